// One outbound group stream (PROTOCOL.md §10). Every fragment is kept until the service's
// cumulative `streamAck` covers it, and what is unacknowledged (start, fragments, end) is
// written again after a recovery or a `streamNack`: the service drops the fragments it
// already has, so nothing is lost or doubled. At most GROUP_STREAM_WINDOW fragments are
// unacknowledged; `write()` waits for room beyond that. Codec-neutral: it deals in messages.
// (Loaded on first use, see lazy.ts.)
import type { EngineHost } from "../core/extension.js";
import type { Timers } from "../core/runtime.js";
import type { StreamDataError, StreamDataMessage, StreamEndMessage, WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import type { GroupStreamWriter, OpenGroupStreamOptions } from "../types/streams.js";
import type { GroupStreamError as StreamError } from "../errors/group-stream-error.js";
import type { Deferred } from "../utils/deferred.js";
import { abortable } from "./abortable.js";
import type { StreamDeps } from "./lazy.js";

/** Unacknowledged fragments a writer keeps at most (each ≤ the service's 1 MB frame limit). */
export const GROUP_STREAM_WINDOW = 64;

/** What the registry calls: a stream frame for this writer, a recovery (no argument), or the lost session. */
export type WriterHook = (m?: WebPubSubMessage | Error) => void;

export function openWriter(
  { checkContent, deferred, AbortError, GroupStreamError }: StreamDeps,
  host: EngineHost,
  timers: Timers,
  group: string,
  id: string,
  o: OpenGroupStreamOptions,
  hooks: Map<string, WriterHook>,
): Promise<GroupStreamWriter> {
  const idle = o.idleTimeoutInMs;
  if (idle !== undefined && !(Number.isSafeInteger(idle) && idle > 0)) throw new RangeError("idleTimeoutInMs must be a positive integer");
  const keepAliveMs = (idle ?? 300000) / 3;
  const start: WebPubSubMessage = { kind: "sendToGroup", group, noEcho: o.noEcho === true, stream: { streamId: id, idleTimeoutInMs: idle } };
  /** Unacknowledged fragments; q[0] has streamSequenceId `a`. `a` is 0 until the start is accepted. */
  const q: StreamDataMessage[] = [];
  let a = 0;
  let ending: StreamEndMessage | undefined;
  /** Set once the stream is over: what writes fail with. */
  let over: StreamError | undefined;
  let busy: unknown;
  let resentFrom = 0;
  let room: Deferred<void> | undefined;
  let timer: unknown;
  const listeners = new Set<(e: StreamDataError) => void>();
  const opened = deferred<GroupStreamWriter>();
  const ended = deferred<void>();
  ended.promise.catch(() => {});

  const send = (m: WebPubSubMessage): unknown => (busy = host.linkUp && host.sendRaw(m));
  const resend = (): void => {
    q.forEach(send);
    if (ending) send(ending);
  };
  const wake = (): void => {
    room?.resolve();
    room = undefined;
  };
  const error = (name: string, message?: string): StreamError => new GroupStreamError(id, { name, message }, a && a - 1);
  const finish = (e?: StreamError): void => {
    if (over) return;
    over = e ?? error("StreamClosed");
    hooks.delete(id);
    timers.clearTimeout(timer);
    wake();
    if (!e) return ended.resolve();
    opened.reject(e);
    ended.reject(e);
    listeners.forEach((l) => l(e));
  };
  const keepAlive = (): void => {
    if (!busy && a) send({ kind: "streamData", streamId: id });
    busy = false;
    timer = timers.setTimeout(keepAlive, keepAliveMs);
  };
  const close = (reason?: StreamEndMessage["error"], signal?: AbortSignalLike): Promise<void> => {
    if (over || ending) return Promise.reject(over ?? error("StreamClosed"));
    send((ending = { kind: "streamEnd", streamId: id, error: reason }));
    return abortable(AbortError, ended.promise, signal);
  };

  hooks.set(id, (m) => {
    if (!m) {
      resentFrom = 0;
      if (!a) send(start);
      return resend();
    }
    if (m instanceof Error) return finish(error("SessionLost", m.message));
    if (m.kind === "streamClosed") {
      return finish(m.error ? error(m.error.name, m.error.message) : ending ? undefined : error("StreamClosed"));
    }
    const e = (m as { expectedSequenceId: number }).expectedSequenceId;
    if (!a) {
      a = 1;
      opened.resolve(writer);
    }
    // Cumulative: everything below `e` is published. An ack beyond what was sent is ignored.
    if (e > a && e <= a + q.length) {
      q.splice(0, e - a);
      a = e;
      wake();
    }
    // A nack asks for everything from `e` again; many nacks for one gap resend it once.
    if (m.kind === "streamNack" && e === a && resentFrom !== a) {
      resentFrom = a;
      resend();
    }
  });

  const writer: GroupStreamWriter = {
    streamId: id,
    async write(content, dataType, wo) {
      checkContent(content, dataType);
      while (!over && !ending && q.length >= GROUP_STREAM_WINDOW) await abortable(AbortError, (room ??= deferred()).promise, wo?.abortSignal);
      if (over || ending) throw over ?? error("StreamClosed");
      // Binary content is copied: it may be written again later, and callers reuse buffers.
      const data = ArrayBuffer.isView(content)
        ? new Uint8Array(content.buffer, content.byteOffset, content.byteLength).slice()
        : content instanceof ArrayBuffer
          ? content.slice(0)
          : content;
      const f: StreamDataMessage = { kind: "streamData", streamId: id, streamSequenceId: a + q.length, dataType, data };
      send(f); // before keeping it: content the codec cannot encode throws here
      q.push(f);
    },
    end: (eo) => close(undefined, eo?.abortSignal),
    abort: (e, ao) => close({ message: e?.message, userErrorCode: e?.userErrorCode }, ao?.abortSignal),
    onError(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };

  if (!host.linkUp) finish(error("NotConnected"));
  else {
    send(start);
    keepAlive();
  }
  return opened.promise;
}

// One outbound group stream (PROTOCOL.md §10). Every fragment is kept until the service's
// cumulative `streamAck` covers it, and everything unacknowledged (start, fragments, end) is
// written again after a recovery or a `streamNack`: the service drops the fragments it
// already has, so nothing is lost or doubled. At most GROUP_STREAM_WINDOW fragments are
// unacknowledged; `write()` waits for room beyond that. Codec-neutral: it deals in messages.
import { GroupStreamError } from "../errors/group-stream-error.js";
import type { EngineHost } from "../core/extension.js";
import type { Timers } from "../core/runtime.js";
import type { MessageContent, StreamDataError, StreamDataMessage, StreamEndMessage, WebPubSubDataType, WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import type { GroupStreamWriter, OpenGroupStreamOptions } from "../types/streams.js";
import { checkContent, nonNegative } from "../utils/validate.js";
import { abortable } from "./abortable.js";

/** Unacknowledged fragments a writer keeps at most (each ≤ the service's 1 MB frame limit). */
export const GROUP_STREAM_WINDOW = 64;

/** What the stream registry calls: a message for this stream, a recovery (no argument), or a lost session. */
export type WriterHook = (m?: WebPubSubMessage | Error) => void;

export function openWriter(
  host: EngineHost,
  timers: Timers,
  group: string,
  id: string,
  o: OpenGroupStreamOptions,
  hooks: Map<string, WriterHook>,
): Promise<GroupStreamWriter> {
  const idle = o.idleTimeoutInMs;
  const keepAliveMs = nonNegative("idleTimeoutInMs", idle, 300000) / 3;
  const start: WebPubSubMessage = { kind: "sendToGroup", group, noEcho: o.noEcho === true, stream: { streamId: id, idleTimeoutInMs: idle } };
  /** Unacknowledged fragments; q[0] has streamSequenceId `a`. */
  const q: StreamDataMessage[] = [];
  let a = 1;
  let started = false;
  let ending: StreamEndMessage | undefined;
  /** Set once the stream is over: the error writes fail with (and the stream's, when it failed). */
  let over: GroupStreamError | undefined;
  let busy = true;
  let resentFrom = 0;
  let room: (() => void) | undefined;
  let roomP: Promise<void> | undefined;
  let timer: unknown;
  const listeners = new Set<(e: StreamDataError) => void>();
  let opened!: (w: GroupStreamWriter) => void;
  let openFailed!: (e: Error) => void;
  let ended!: () => void;
  let endFailed!: (e: Error) => void;
  const endP = new Promise<void>((res, rej) => ((ended = res), (endFailed = rej)));
  endP.catch(() => {});

  const send = (m: WebPubSubMessage): void => {
    busy = true;
    if (host.linkUp) host.sendRaw(m);
  };
  const flush = (): void => {
    if (!started) send(start);
    for (const m of q) send(m);
    if (ending) send(ending);
  };
  const wake = (): void => {
    room?.();
    roomP = room = undefined;
  };
  const fail = (name: string, message?: string): GroupStreamError =>
    new GroupStreamError(id, { name, message: `${message ?? name}; fragments 1..${a - 1} were published` }, a - 1);

  const finish = (error?: GroupStreamError): void => {
    if (over) return;
    over = error ?? fail("StreamClosed", "the stream has ended");
    hooks.delete(id);
    timers.clearTimeout(timer);
    wake();
    if (error) {
      openFailed(error);
      endFailed(error);
      for (const l of listeners) l(error);
    } else ended();
  };

  const keepAlive = (): void => {
    if (!busy && started && host.linkUp) host.sendRaw({ kind: "streamData", streamId: id });
    busy = false;
    timer = timers.setTimeout(keepAlive, keepAliveMs);
  };

  const ack = (e: number): void => {
    if (e > a && e <= a + q.length) {
      q.splice(0, e - a);
      a = e;
      wake();
    }
  };

  hooks.set(id, (m) => {
    if (!m) {
      resentFrom = 0;
      return flush();
    }
    if (m instanceof Error) return finish(fail("SessionLost", `the session was lost (${m.message})`));
    switch (m.kind) {
      case "streamAck":
        ack(m.expectedSequenceId);
        if (!started && m.expectedSequenceId >= 1) {
          started = true;
          opened(writer);
        }
        return;
      case "streamNack":
        ack(m.expectedSequenceId);
        if (m.expectedSequenceId === a && resentFrom !== a) {
          resentFrom = a;
          for (const f of q) send(f);
          if (ending) send(ending);
        }
        return;
      case "streamClosed":
        return m.error ? finish(fail(m.error.name, m.error.message)) : ending ? finish() : finish(fail("StreamClosed"));
    }
  });

  const close = (error?: StreamEndMessage["error"], signal?: AbortSignalLike): Promise<void> => {
    if (over || ending) return Promise.reject(over ?? fail("StreamClosed", "the stream is already ending"));
    send((ending = { kind: "streamEnd", streamId: id, error }));
    return abortable(endP, signal);
  };

  const writer: GroupStreamWriter = {
    streamId: id,
    async write(content: MessageContent, dataType: WebPubSubDataType, wo) {
      checkContent(content, dataType);
      while (!over && !ending && q.length >= GROUP_STREAM_WINDOW) {
        await abortable((roomP ??= new Promise<void>((r) => (room = r))), wo?.abortSignal);
      }
      if (over || ending) throw over ?? fail("StreamClosed", "the stream is ending");
      // Binary content is copied: it may be written again later, and callers reuse buffers.
      const data = ArrayBuffer.isView(content)
        ? new Uint8Array(content.buffer, content.byteOffset, content.byteLength).slice()
        : content instanceof ArrayBuffer
          ? content.slice(0)
          : content;
      const f: StreamDataMessage = { kind: "streamData", streamId: id, streamSequenceId: a + q.length, dataType, data };
      q.push(f);
      send(f);
    },
    end: (eo) => close(undefined, eo?.abortSignal),
    abort: (error, ao) => close({ message: error?.message, userErrorCode: error?.userErrorCode }, ao?.abortSignal),
    onError(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };

  return new Promise<GroupStreamWriter>((res, rej) => {
    opened = res;
    openFailed = rej;
    if (!host.linkUp) return finish(fail("NotConnected", "the client is not connected"));
    flush();
    keepAlive();
  });
}

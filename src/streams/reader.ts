// One `onGroupStream` registration: it turns stream fragments (group messages with a
// `stream` object) into one async-iterable GroupStream per (group, streamId). Options work
// per stream, as in the official client: each stream has its own idle timer and its own
// `handleFromStart` gate. Bounds: GROUP_STREAM_MAX_STREAMS tracked streams per registration
// (a new stream is ignored while that many are open) and GROUP_STREAM_MAX_UNREAD fragments
// not yet read per stream (one more fails the stream with `SlowReader`).
// (Loaded on first use, see lazy.ts; options are checked there.)
import type { Clock, Logger, Timers } from "../core/runtime.js";
import type { GroupDataMessage } from "../types/messages.js";
import type { GroupStream, GroupStreamMessage, GroupStreamSubscription } from "../types/streams.js";
import type { ReaderOptions, StreamDeps } from "./lazy.js";

export const GROUP_STREAM_MAX_STREAMS = 256;
export const GROUP_STREAM_MAX_UNREAD = 1024;

interface Inbound {
  q: GroupStreamMessage[];
  /** undefined while open; null once ended cleanly; else what the iteration throws. */
  x?: Error | null;
  /** The next streamSequenceId expected. */
  n: number;
  seen: number;
  t?: unknown;
  c: AbortController;
  /** Readers waiting for the next fragment or the end. */
  p?: Promise<void>;
  w?: () => void;
}

/** A registration's handler: a stream fragment, or the error of the lost session. */
export type ReaderHook = (m: GroupDataMessage | Error) => void;

export function subscribe(
  { GroupStreamError }: StreamDeps,
  rt: { timers: Timers; clock: Clock; logger: Logger },
  callback: (stream: GroupStream) => void | Promise<void>,
  { idle, fromStart, groups }: ReaderOptions,
  hooks: Set<ReaderHook>,
  asyncDispose: typeof Symbol.asyncDispose,
): GroupStreamSubscription {
  /** By group and stream id; null marks a stream ignored until its end (handleFromStart). */
  const live = new Map<string, Inbound | null>();
  const { timers, clock } = rt;

  const wake = (s: Inbound): void => {
    s.w?.();
    s.p = s.w = undefined;
  };
  const done = (k: string, s: Inbound | null, x: Error | null): void => {
    live.delete(k);
    if (!s) return;
    timers.clearTimeout(s.t);
    s.x = x;
    s.c.abort();
    wake(s);
  };
  const closeAll = (x: Error | null): void => live.forEach((s, k) => done(k, s, x));
  const fail = (k: string, s: Inbound, id: string, name: string): void => done(k, s, new GroupStreamError(id, { name }));

  const hook: ReaderHook = (m) => {
    if (m instanceof Error) return closeAll(new GroupStreamError("", { name: "SessionLost", message: m.message }));
    const st = m.stream!;
    const id = st.streamId;
    const seq = st.streamSequenceId;
    const end = st.endOfStream;
    if (groups && !groups.has(m.group)) return;
    const k = `${m.group.length}:${m.group}${id}`;
    let s = live.get(k);
    if (s === null) {
      if (end) live.delete(k);
      return;
    }
    if (!s) {
      if (live.size >= GROUP_STREAM_MAX_STREAMS) return; // ignored while that many are open
      if (fromStart && seq !== 1) return void (end || live.set(k, null));
      const inbound: Inbound = (s = { q: [], n: seq, seen: 0, c: new AbortController() });
      live.set(k, s);
      const onIdle = (): void => {
        const left = inbound.seen + idle - clock.now();
        if (left > 0) inbound.t = timers.setTimeout(onIdle, left);
        else fail(k, inbound, id, "IdleTimeout");
      };
      inbound.t = timers.setTimeout(onIdle, idle);
      const stream: GroupStream = {
        groupName: m.group,
        streamId: id,
        abortSignal: inbound.c.signal,
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (inbound.q.length) yield inbound.q.shift()!;
            else if (inbound.x) throw inbound.x;
            else if (inbound.x === null) return;
            else await (inbound.p ??= new Promise<void>((r) => (inbound.w = r)));
          }
        },
      };
      try {
        Promise.resolve(callback(stream)).catch((e) => rt.logger.warn(`onGroupStream: ${e}`));
      } catch (e) {
        return done(k, s, e as Error);
      }
    }
    // One stream's fragments come in order (they are sequenced messages): an older one is a
    // duplicate; a newer one means some were lost (e.g. dropped on an unreliable protocol).
    if (seq !== s.n) return seq > s.n ? fail(k, s, id, "InvalidSequenceId") : undefined;
    s.seen = clock.now();
    if (!end || m.data !== undefined) {
      if (s.q.length >= GROUP_STREAM_MAX_UNREAD) return fail(k, s, id, "SlowReader");
      s.q.push({ groupName: m.group, fromUserId: m.fromUserId, sequenceId: m.sequenceId, dataType: m.dataType, data: m.data, stream: st });
      wake(s);
    }
    if (end) done(k, s, st.error ? new GroupStreamError(id, st.error) : null);
    else s.n++;
  };
  hooks.add(hook);

  const close = async (): Promise<void> => {
    if (hooks.delete(hook)) closeAll(null);
  };
  return {
    close,
    get isActive() {
      return hooks.has(hook);
    },
    [asyncDispose]: close,
  };
}

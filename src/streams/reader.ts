// One `onGroupStream` registration: it turns stream fragments (group messages with a
// `stream` object) into one async-iterable GroupStream per (group, streamId). Options work
// per stream, as in the official client: each stream has its own idle timer and its own
// `handleFromStart` gate. Bounds: GROUP_STREAM_MAX_STREAMS tracked streams per registration
// (more are ignored while that many are open) and GROUP_STREAM_MAX_UNREAD fragments not yet
// read per stream (beyond it the stream fails with `SlowReader`).
import { GroupStreamError } from "../errors/group-stream-error.js";
import type { Clock, Logger, Timers } from "../core/runtime.js";
import type { GroupDataMessage, StreamDataError } from "../types/messages.js";
import type { GroupStream, GroupStreamMessage, GroupStreamSubscription, OnGroupStreamOptions } from "../types/streams.js";
import { nonNegative } from "../utils/validate.js";

export const GROUP_STREAM_MAX_STREAMS = 256;
export const GROUP_STREAM_MAX_UNREAD = 1024;

interface Inbound {
  q: GroupStreamMessage[];
  /** undefined: open; null: ended cleanly; else the error the iteration throws. */
  x?: Error | null;
  /** The next streamSequenceId expected. */
  n: number;
  seen: number;
  t?: unknown;
  c: AbortController;
  p?: Promise<void>;
  w?: () => void;
}

/** A subscription's message handler: a stream fragment, or the lost session's error. */
export type ReaderHook = (m: GroupDataMessage | Error) => void;

export function subscribe(
  rt: { timers: Timers; clock: Clock; logger: Logger },
  callback: (stream: GroupStream) => void | Promise<void>,
  o: OnGroupStreamOptions,
  hooks: Set<ReaderHook>,
  asyncDispose: typeof Symbol.asyncDispose,
): GroupStreamSubscription {
  if (typeof callback !== "function") throw new TypeError("onGroupStream needs a callback function");
  const idle = nonNegative("idleTimeoutInMs", o.idleTimeoutInMs, 300000);
  const fromStart = o.handleFromStart === true;
  const groups = o.groupNames && new Set(o.groupNames);
  /** By group and stream id; null marks a stream ignored until its end (handleFromStart). */
  const live = new Map<string, Inbound | null>();
  const { timers, clock } = rt;

  const wake = (s: Inbound): void => {
    s.w?.();
    s.p = s.w = undefined;
  };
  const done = (k: string, s: Inbound, x: Error | null): void => {
    live.delete(k);
    timers.clearTimeout(s.t);
    s.x = x;
    s.c.abort();
    wake(s);
  };
  const err = (id: string, e: StreamDataError): GroupStreamError => new GroupStreamError(id, e);

  const hook: ReaderHook = (m) => {
    if (m instanceof Error) {
      for (const [k, s] of live) if (s) done(k, s, err("", { name: "SessionLost", message: m.message }));
      return live.clear();
    }
    const st = m.stream!;
    const id = st.streamId;
    if (groups && !groups.has(m.group)) return;
    const k = `${m.group.length}:${m.group}${id}`;
    let s = live.get(k);
    if (s === null) {
      if (st.endOfStream) live.delete(k);
      return;
    }
    if (!s) {
      if (live.size >= GROUP_STREAM_MAX_STREAMS) return rt.logger.warn(`ignored stream ${id}: ${live.size} streams are open`);
      if (fromStart && st.streamSequenceId !== 1) {
        if (!st.endOfStream) live.set(k, null);
        return;
      }
      const inbound: Inbound = (s = { q: [], n: st.streamSequenceId, seen: 0, c: new AbortController() });
      live.set(k, s);
      const onIdle = (): void => {
        const left = inbound.seen + idle - clock.now();
        if (left > 0) inbound.t = timers.setTimeout(onIdle, left);
        else done(k, inbound, err(id, { name: "IdleTimeout", message: `no fragment for ${idle} ms` }));
      };
      inbound.t = timers.setTimeout(onIdle, idle);
      const stream: GroupStream = {
        groupName: m.group,
        streamId: id,
        abortSignal: inbound.c.signal,
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (inbound.q.length) yield inbound.q.shift()!;
            else if (inbound.x !== undefined) {
              if (inbound.x) throw inbound.x;
              return;
            } else await (inbound.p ??= new Promise<void>((r) => (inbound.w = r)));
          }
        },
      };
      try {
        Promise.resolve(callback(stream)).catch((e) => rt.logger.warn(`an onGroupStream callback failed: ${e}`));
      } catch (e) {
        rt.logger.warn(`an onGroupStream callback threw: ${e}`);
        return done(k, s, e as Error);
      }
    }
    // Fragments of one stream come in order (they are sequenced messages): an older one is a
    // duplicate, a newer one means fragments were lost (e.g. an unreliable protocol dropped).
    if (st.streamSequenceId < s.n) return;
    if (st.streamSequenceId > s.n) return done(k, s, err(id, { name: "InvalidSequenceId", message: `fragment ${s.n} is missing` }));
    s.seen = clock.now();
    if (!st.endOfStream) s.n++;
    if (!st.endOfStream || m.data !== undefined) {
      if (s.q.length >= GROUP_STREAM_MAX_UNREAD) {
        return done(k, s, err(id, { name: "SlowReader", message: `${s.q.length} fragments were not read` }));
      }
      s.q.push({ groupName: m.group, fromUserId: m.fromUserId, sequenceId: m.sequenceId, dataType: m.dataType, data: m.data, stream: st });
      wake(s);
    }
    if (st.endOfStream) done(k, s, st.error ? err(id, st.error) : null);
  };
  hooks.add(hook);

  const close = async (): Promise<void> => {
    if (!hooks.delete(hook)) return;
    for (const [k, s] of live) if (s) done(k, s, null);
    live.clear();
  };
  return {
    close,
    get isActive() {
      return hooks.has(hook);
    },
    [asyncDispose]: close,
  };
}

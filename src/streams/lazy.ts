// Group streams load on first use: this small part stays in the main bundle, the rest
// (./streams.js: writer and reader) is a chunk of its own, fetched by the first
// `openGroupStream` / `onGroupStream`. From that call on, stream frames are the streams'
// (never `group-message`s): fragments that arrive while the chunk loads are kept, at most
// GROUP_STREAM_MAX_EARLY of them (later ones are dropped, so their stream then fails with
// `InvalidSequenceId`), and handed to the readers in order once it is loaded.
import type { EngineHost } from "../core/extension.js";
import type { Runtime } from "../core/runtime.js";
import type { GroupDataMessage } from "../types/messages.js";
import type { GroupStream, GroupStreamSubscription, GroupStreamWriter, OnGroupStreamOptions, OpenGroupStreamOptions } from "../types/streams.js";
import { AbortError } from "../errors/abort-error.js";
import { GroupStreamError } from "../errors/group-stream-error.js";
import { deferred } from "../utils/deferred.js";
import { checkContent, checkGroup, checkOptions, nonNegative } from "../utils/validate.js";
import type { GroupStreams } from "./streams.js";

export const GROUP_STREAM_MAX_EARLY = 1024;

/** `onGroupStream`'s options, checked (when it is called, before the chunk loads). */
export interface ReaderOptions {
  idle: number;
  fromStart: boolean;
  groups?: Set<string>;
}

/** What the chunk uses from the main bundle, handed to it (see streams.ts). */
export interface StreamDeps {
  checkContent: (content: unknown, dataType: unknown) => void;
  deferred: typeof deferred;
  AbortError: typeof AbortError;
  GroupStreamError: typeof GroupStreamError;
}

type Callback = (stream: GroupStream) => void | Promise<void>;

export interface LazyStreams {
  open(group: string, options?: OpenGroupStreamOptions): Promise<GroupStreamWriter>;
  on(callback: Callback, options: OnGroupStreamOptions | undefined, asyncDispose: typeof Symbol.asyncDispose): GroupStreamSubscription;
}

/**
 * `host()` is the engine the streams ride; with `ready` (a shared connection, whose engine
 * is loaded first) it is read only once `ready` settles.
 */
export function lazyStreams(host: () => EngineHost, rt: Runtime, ready?: Promise<unknown>): LazyStreams {
  let gs: GroupStreams | undefined;
  /** The chunk loaded, or failed to. */
  let settled = false;
  /** Until then, what arrived for the streams, in order: fragments, and the errors of lost sessions. */
  const early: Array<GroupDataMessage | Error> = [];
  /** `onGroupStream` calls made while the chunk loads. */
  const waiting: Array<(gs: GroupStreams) => void> = [];
  let off = (): void => {};
  // Only fragments matter before: no writer exists yet (control frames' result is unused).
  const buffer = (): unknown =>
    (off = host().addExtension({
      onMessage: (m) => m.kind === "groupData" && !!m.stream && (early.length < GROUP_STREAM_MAX_EARLY && early.push(m), true),
      onSessionLost: (error) => void (early.at(-1) instanceof Error || early.push(error)),
    }));
  ready ? ready.then(buffer, () => {}) : buffer();
  const done = (): void => {
    settled = true;
    off(); // once loaded, the streams' own extension takes over; if the chunk failed, fragments are dropped (inbound.ts)
    early.length = waiting.length = 0;
  };
  const loaded = Promise.all([import("./streams.js"), ready]).then(
    ([m]) => {
      const h = host();
      const x = (gs = m.groupStreams(h, rt, { checkContent, deferred, AbortError, GroupStreamError })).x;
      h.addExtension(x);
      waiting.forEach((f) => f(gs!));
      early.forEach((e) => (e instanceof Error ? x.onSessionLost!(e) : x.onMessage!(e)));
      done();
      return gs;
    },
    (e: unknown) => {
      rt.logger.error(`group streams failed to load: ${e}`);
      done();
      throw e;
    },
  );
  loaded.catch(() => {});
  return {
    async open(group, options) {
      checkGroup(group);
      const o = checkOptions<OpenGroupStreamOptions>(options, "options");
      return (await loaded).open(group, o);
    },
    on(callback, options, asyncDispose) {
      if (typeof callback !== "function") throw new TypeError("callback must be a function");
      const o = checkOptions<OnGroupStreamOptions>(options, "options");
      const ro: ReaderOptions = {
        idle: nonNegative("idleTimeoutInMs", o.idleTimeoutInMs, 300000),
        fromStart: o.handleFromStart === true,
        groups: o.groupNames && new Set(o.groupNames),
      };
      let inner: GroupStreamSubscription | undefined;
      let closed = false;
      const sub = (s: GroupStreams): unknown => closed || (inner = s.on(callback, ro, asyncDispose));
      if (gs) sub(gs);
      else waiting.push(sub);
      const close = async (): Promise<void> => {
        closed = true;
        await inner?.close();
      };
      return {
        close,
        get isActive() {
          return inner ? inner.isActive : !closed && !settled;
        },
        [asyncDispose]: close,
      };
    },
  };
}

// Group streams over the engine's extension seam: routes stream frames to their writer and
// stream fragments to the `onGroupStream` registrations (never on as `group-message`), and
// tells both about recoveries and lost sessions. Loaded on first use (./lazy.ts), which
// registers `x` with the engine.
import type { EngineExtension, EngineHost } from "../core/extension.js";
import type { Runtime } from "../core/runtime.js";
import type { GroupStream, GroupStreamSubscription, GroupStreamWriter, OpenGroupStreamOptions } from "../types/streams.js";
import type { ReaderOptions, StreamDeps } from "./lazy.js";
import { subscribe, type ReaderHook } from "./reader.js";
import { openWriter, type WriterHook } from "./writer.js";

export interface GroupStreams {
  open(group: string, options: OpenGroupStreamOptions): Promise<GroupStreamWriter>;
  on(callback: (stream: GroupStream) => void | Promise<void>, options: ReaderOptions, asyncDispose: typeof Symbol.asyncDispose): GroupStreamSubscription;
  /** What the engine must tell the streams. */
  x: EngineExtension;
}

/** `deps` come from the main bundle, so this chunk imports nothing from it (each import would be an export there). */
export function groupStreams(host: EngineHost, rt: Runtime, deps: StreamDeps): GroupStreams {
  const writers = new Map<string, WriterHook>();
  const readers = new Set<ReaderHook>();
  let n = 0;
  const x: EngineExtension = {
    onMessage(m) {
      if (m.kind === "groupData") {
        if (m.stream) readers.forEach((r) => r(m));
        return !!m.stream;
      }
      if (m.kind === "streamAck" || m.kind === "streamNack" || m.kind === "streamClosed") {
        writers.get(m.streamId)?.(m);
        return true;
      }
      return false;
    },
    onLinkUp(info) {
      if (info.recovered) writers.forEach((w) => w());
    },
    onSessionLost(error) {
      [...writers.values(), ...readers].forEach((h) => h(error));
    },
  };
  return {
    x,
    /** `group` and `o` are checked (lazy.ts). */
    async open(group, o) {
      const id = o.streamId ?? `${++n}-${rt.random().toString(36).slice(2)}`;
      if (typeof id !== "string" || !id || writers.has(id)) throw new RangeError(`bad or open streamId ${id}`);
      return openWriter(deps, host, rt.timers, group, id, o, writers);
    },
    on: (callback, options, asyncDispose) => subscribe(deps, rt, callback, options, readers, asyncDispose),
  };
}

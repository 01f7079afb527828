// Group streams over the engine's extension seam: routes stream frames to their writer,
// stream fragments to the `onGroupStream` subscriptions (and never on as `group-message`),
// and tells both about recoveries and lost sessions.
import type { EngineHost } from "../core/extension.js";
import type { Runtime } from "../core/runtime.js";
import type { GroupStream, GroupStreamSubscription, GroupStreamWriter, OnGroupStreamOptions, OpenGroupStreamOptions } from "../types/streams.js";
import { checkGroup, checkOptions } from "../utils/validate.js";
import { subscribe, type ReaderHook } from "./reader.js";
import { openWriter, type WriterHook } from "./writer.js";

export interface GroupStreams {
  open(group: string, options?: OpenGroupStreamOptions): Promise<GroupStreamWriter>;
  on(callback: (stream: GroupStream) => void | Promise<void>, options: OnGroupStreamOptions | undefined, asyncDispose: typeof Symbol.asyncDispose): GroupStreamSubscription;
}

export function groupStreams(host: EngineHost, rt: Runtime): GroupStreams {
  const writers = new Map<string, WriterHook>();
  const readers = new Set<ReaderHook>();
  let n = 0;
  host.addExtension({
    onMessage(m) {
      if (m.kind === "groupData") {
        if (!m.stream) return false;
        for (const r of readers) r(m);
        return true;
      }
      if (m.kind !== "streamAck" && m.kind !== "streamNack" && m.kind !== "streamClosed") return false;
      writers.get(m.streamId)?.(m);
      return true;
    },
    onLinkUp(info) {
      if (info.recovered) for (const w of writers.values()) w();
    },
    onSessionLost(error) {
      for (const w of [...writers.values()]) w(error);
      for (const r of readers) r(error);
    },
  });
  return {
    async open(group, options) {
      checkGroup(group);
      const o = checkOptions<OpenGroupStreamOptions>(options, "options");
      const id = o.streamId ?? `${(++n).toString(36)}-${rt.random().toString(36).slice(2)}`;
      if (typeof id !== "string" || id === "") throw new TypeError("streamId must be a non-empty string");
      if (writers.has(id)) throw new RangeError(`stream ${id} is already open`);
      return openWriter(host, rt.timers, group, id, o, writers);
    },
    on: (callback, options, asyncDispose) => subscribe(rt, callback, checkOptions(options, "options"), readers, asyncDispose),
  };
}

// Calling an application's listeners: each one in turn, on a copy of the list (a listener
// may remove itself), and one that throws is logged and cannot break the client.
import type { Emitter } from "mitt";
import type { WebPubSubClientEvents } from "../types/events.js";
import type { Logger } from "./runtime.js";

type Events = WebPubSubClientEvents;

export function emitSafely<K extends keyof Events>(emitter: Emitter<Events>, logger: Logger, type: K, event: Events[K]): void {
  for (const handler of emitter.all.get(type)?.slice() ?? []) {
    try {
      (handler as unknown as (e: Events[K]) => void)(event);
    } catch (error) {
      logger.error(`a "${type}" listener threw: ${error}`);
    }
  }
}

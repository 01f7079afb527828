// Entry of the shared-connection feature (`shareConnection` option), loaded by the facade
// with a dynamic import only when the option is set, so apps that do not use it do not
// carry it.
import type { Emitter } from "mitt";
import type { Engine } from "../core/engine.js";
import type { Runtime } from "../core/runtime.js";
import type { WebPubSubClientEvents } from "../types/events.js";
import type { WebPubSubClientProtocol } from "../types/messages.js";
import type { AbortSignalLike, WebPubSubClientOptions } from "../types/options.js";
import { provide, type SharedDeps } from "./deps.js";
import type { MakeEngine } from "./holder.js";
import { browserPlatform } from "./platform.js";
import { SharedTabEngine } from "./tab-client.js";
import { capture, capturedEngine } from "./worker-host.js";
import { connectWorker } from "./worker-link.js";
import { shareableOptions } from "./worker-options.js";
import { startWorker } from "./worker-start.js";

export { SharedTabEngine } from "./tab-client.js";

/** What the facade uses of its engine; the shared engine must offer all of it. */
type FacadeSurface = Pick<Engine, "state" | "start" | "stop" | "submit" | "emitter"> & {
  session: Pick<Engine["session"], "connectionId" | "userId">;
  outbox: Pick<Engine["outbox"], "nextAckId" | "usedAckId" | "nextInvocationId" | "checkKeyFree">;
  groups: Pick<Engine["groups"], "joined" | "left">;
};

/**
 * The engine a client with `shareConnection: key` uses instead of its own (positional
 * arguments: the call sits in the main bundle, where every byte counts).
 */
export function sharedEngine(
  deps: SharedDeps,
  key: string,
  emitter: Emitter<WebPubSubClientEvents>,
  makeEngine: MakeEngine,
  runtime: Runtime,
  protocol: WebPubSubClientProtocol,
  getClientAccessUrl: (signal?: AbortSignalLike) => Promise<string>,
  options?: WebPubSubClientOptions,
): SharedTabEngine {
  provide(deps);
  if (capture) {
    // Inside the SharedWorker: its own client facade hands over what the worker's holder needs.
    capture({ makeEngine, runtime, protocol, getClientAccessUrl });
    return capturedEngine() as unknown as SharedTabEngine;
  }
  const shared = shareableOptions(options);
  const worker = (resume: Parameters<typeof connectWorker>[0]["resume"]) =>
    connectWorker({ start: () => startWorker(key), key, protocolName: protocol.name, options: shared, resume, runtime, getClientAccessUrl });
  const engine = new SharedTabEngine({ key, makeEngine, runtime, protocol, getClientAccessUrl, platform: browserPlatform(), worker }, emitter);
  const checked: FacadeSurface = engine; // compile-time check that the surfaces match
  return checked as SharedTabEngine;
}

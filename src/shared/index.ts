// Entry of the shared-connection feature (`shareConnection` option), loaded by the facade
// with a dynamic import only when the option is set, so apps that do not use it do not
// carry it.
import type { Emitter } from "mitt";
import type { Runtime } from "../core/runtime.js";
import type { WebPubSubClientEvents } from "../types/events.js";
import type { WebPubSubClientProtocol } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import type { MakeEngine } from "./holder.js";
import { browserPlatform } from "./platform.js";
import { SharedTabEngine } from "./tab-client.js";

export { SharedTabEngine } from "./tab-client.js";

export interface ShareSetup {
  key: string;
  emitter: Emitter<WebPubSubClientEvents>;
  makeEngine: MakeEngine;
  runtime: Runtime;
  protocol: WebPubSubClientProtocol;
  getClientAccessUrl(signal?: AbortSignalLike): Promise<string>;
}

/** The engine a client with `shareConnection: key` uses instead of its own. */
export function sharedEngine(setup: ShareSetup): SharedTabEngine {
  const { emitter, ...cfg } = setup;
  return new SharedTabEngine({ ...cfg, platform: browserPlatform() }, emitter);
}

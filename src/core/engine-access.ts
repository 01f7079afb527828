// Internal features (group streams, shared connections) reach a client's engine through
// here, so the public class grows no public API. The facade registers its engine at
// construction.
import type { EngineHost } from "./extension.js";

const hosts = new WeakMap<object, EngineHost>();

/** @internal Called once by the WebPubSubClient constructor. */
export function registerHost(client: object, host: EngineHost): void {
  hosts.set(client, host);
}

/** @internal The engine behind a WebPubSubClient. Throws for anything else. */
export function hostOf(client: object): EngineHost {
  const host = hosts.get(client);
  if (!host) throw new TypeError("not a WebPubSubClient");
  return host;
}

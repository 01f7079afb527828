// Internal features and tests reach a client's engine through here, so the public class
// grows no public API. The facade registers its engine at construction.
import type { Engine } from "./engine.js";
import type { EngineHost } from "./extension.js";

const hosts = new WeakMap<object, Engine>();

/** @internal Called once by the WebPubSubClient constructor. */
export function registerHost(client: object, engine: Engine): void {
  hosts.set(client, engine);
}

/** @internal The engine seam (extension.ts) behind a WebPubSubClient. Throws for anything else. */
export function hostOf(client: object): EngineHost {
  const engine = hosts.get(client);
  if (!engine) throw new TypeError("not a WebPubSubClient");
  return {
    get linkUp() {
      return engine.linkUp;
    },
    sendRaw: (message) => engine.sendRaw(message),
    addExtension: (extension) => engine.addExtension(extension),
  };
}

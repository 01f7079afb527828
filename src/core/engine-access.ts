// Internal features (group streams, shared connections) reach a client's engine through
// here, so the public class grows no public API. The facade registers its engine at
// construction.
import type { AbortSignalLike } from "../types/options.js";
import type { Engine } from "./engine.js";
import type { EngineHost, SessionSnapshot } from "./extension.js";
import { resumeSnapshot, takeSnapshot } from "./snapshot.js";

export interface EngineInternals extends EngineHost {
  /** What another engine needs to recover this session; undefined when there is none. */
  snapshot(): SessionSnapshot | undefined;
  /**
   * Starts a stopped client by recovering `snapshot`'s session (no credential call, no
   * rejoin, nothing delivered twice). When the service refuses it, falls back to a
   * brand-new connection through the credential, as start() does. Resolves once connected.
   */
  resume(snapshot: SessionSnapshot, abortSignal?: AbortSignalLike): Promise<void>;
}

const hosts = new WeakMap<object, Engine>();

/** @internal Called once by the WebPubSubClient constructor. */
export function registerHost(client: object, engine: Engine): void {
  hosts.set(client, engine);
}

/** @internal The engine behind a WebPubSubClient, with the session hand-over (snapshot.ts). Throws for anything else. */
export function hostOf(client: object): EngineInternals {
  const engine = hosts.get(client);
  if (!engine) throw new TypeError("not a WebPubSubClient");
  return {
    get linkUp() {
      return engine.linkUp;
    },
    sendRaw: (message) => engine.sendRaw(message),
    addExtension: (extension) => engine.addExtension(extension),
    snapshot: () => takeSnapshot(engine),
    resume: (snapshot, signal) => resumeSnapshot(engine, snapshot, signal),
  };
}

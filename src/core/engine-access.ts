// Internal features (group streams, shared connections) reach a client's engine through
// here, so the public class grows no public API. The facade registers its engine at
// construction.
import type { AbortSignalLike } from "../types/options.js";
import type { EngineHost, SessionSnapshot } from "./extension.js";

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

const hosts = new WeakMap<object, EngineInternals>();

/** @internal Called once by the WebPubSubClient constructor. */
export function registerHost(client: object, host: EngineInternals): void {
  hosts.set(client, host);
}

/** @internal The engine behind a WebPubSubClient. Throws for anything else. */
export function hostOf(client: object): EngineInternals {
  const host = hosts.get(client);
  if (!host) throw new TypeError("not a WebPubSubClient");
  return host;
}

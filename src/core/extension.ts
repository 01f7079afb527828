// The seam between the engine and the features built on it (group streams, shared
// connections). The engine implements `EngineHost`; a feature registers an
// `EngineExtension` and never reaches into the engine's fields.
import type { WebPubSubMessage } from "../types/messages.js";

/** What the engine offers a feature. */
export interface EngineHost {
  /**
   * Writes one message on the current socket if the link is open. Returns false (and
   * writes nothing) when there is no open socket; the feature keeps the message and
   * sends it again from `onLinkUp`.
   */
  sendRaw(message: WebPubSubMessage): boolean;
  /** True while a socket is open and the session confirmed (a frame arrived on it). */
  readonly linkUp: boolean;
  /** Registers a feature; the returned function unregisters it. */
  addExtension(extension: EngineExtension): () => void;
}

/** What a feature may hear from the engine. Every hook is optional. */
export interface EngineExtension {
  /**
   * Each parsed downstream message, in arrival order. Data messages come after the
   * engine's sequence de-duplication and acknowledgement bookkeeping, so a resent
   * duplicate never reaches here. Return true to consume the message: the engine then
   * does not route it further (no `group-message` / `server-message`).
   */
  onMessage?(message: WebPubSubMessage): boolean;
  /**
   * The link is confirmed up: `recovered` false after a brand-new connection's
   * `connected` frame, true after a recovery of the same session was confirmed.
   */
  onLinkUp?(info: { connectionId: string; recovered: boolean }): void;
  /** The socket dropped; the session may still be recovered. */
  onLinkDown?(): void;
  /** The session is gone for good (a new connection will follow, or the client stopped). */
  onSessionLost?(error: Error): void;
}

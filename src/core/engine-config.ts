import type { WebPubSubClientProtocol } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import type { RetryPolicy } from "./retry-policy.js";

export interface EngineConfig {
  /** Asked once per brand-new connection, never for a recovery. */
  getClientAccessUrl(abortSignal?: AbortSignalLike): Promise<string>;
  protocol: WebPubSubClientProtocol;
  autoReconnect: boolean;
  autoRejoinGroups: boolean;
  messageRetry: RetryPolicy;
  reconnectRetry: RetryPolicy;
  keepAliveIntervalMs: number;
  keepAliveTimeoutMs: number;
  ackTimeoutMs: number;
  /** How long the credential and a new socket may take to deliver `connected`. */
  connectTimeoutMs: number;
  /** How long a session is tried after the link was last known up (30 s). */
  recoveryWindowMs: number;
  /** The longest wait between two failing recovery attempts (1 s). */
  recoveryDelayMs: number;
}

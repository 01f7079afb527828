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
}

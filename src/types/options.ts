import type { WebPubSubClientProtocol } from "./messages.js";

/** `AbortSignal`-shaped: what every option named `abortSignal` accepts. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export type RetryMode = "Exponential" | "Fixed";

export interface WebPubSubRetryOptions {
  maxRetries?: number;
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  mode?: RetryMode;
}

/** A `{ debug, info, warn, error }` sink. Tokens are redacted before anything reaches it. */
export interface WebPubSubLogger {
  debug?(message: string, ...args: unknown[]): void;
  info?(message: string, ...args: unknown[]): void;
  warn?(message: string, ...args: unknown[]): void;
  error?(message: string, ...args: unknown[]): void;
}

/** The constructor shape of a standards WebSocket (browser, `ws`, React Native). */
export interface WebSocketLikeConstructor {
  new (url: string, protocols?: string | string[]): WebSocketLike;
}

export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drop the socket without a closing handshake. */
  terminate?(): void;
}

export interface WebPubSubClientOptions {
  protocol?: WebPubSubClientProtocol;
  autoReconnect?: boolean;
  autoRejoinGroups?: boolean;
  /** The 1.0 name of `autoRejoinGroups`, still accepted. */
  autoRestoreGroups?: boolean;
  messageRetryOptions?: WebPubSubRetryOptions;
  reconnectRetryOptions?: WebPubSubRetryOptions;
  /** Ping cadence; 0 disables. Default 20000. A ping unanswered for 5 s means the link is dead. */
  keepAliveIntervalInMs?: number;
  /** Silence (on the monotonic or the wall clock) after which the link is judged dead; 0 disables dead-link detection. Default 120000. */
  keepAliveTimeoutInMs?: number;
  /** Beyond: how long an acked operation waits before it is resent with the same ackId. Default 30000. */
  ackTimeoutInMs?: number;
  /** Beyond: a WebSocket constructor to use instead of the detected one. */
  WebSocket?: WebSocketLikeConstructor;
  /** Beyond: where diagnostics go; silent by default. */
  logger?: WebPubSubLogger;
  // ---- shareConnection (issue 14) ----
  /**
   * Beyond: every same-origin tab whose client uses the same key shares one WebSocket and
   * one session (browsers only; see the README's "One connection for all tabs").
   */
  shareConnection?: string;
  // ---- end shareConnection ----
}

export interface GetClientAccessUrlOptions {
  abortSignal?: AbortSignalLike;
}

export interface WebPubSubClientCredential {
  getClientAccessUrl: string | ((options?: GetClientAccessUrlOptions) => Promise<string>);
}

export interface StartOptions {
  abortSignal?: AbortSignalLike;
}

export interface JoinGroupOptions {
  ackId?: number;
  abortSignal?: AbortSignalLike;
}

export type LeaveGroupOptions = JoinGroupOptions;

export interface SendToGroupOptions {
  noEcho?: boolean;
  fireAndForget?: boolean;
  ackId?: number;
  abortSignal?: AbortSignalLike;
}

export interface SendEventOptions {
  fireAndForget?: boolean;
  ackId?: number;
  abortSignal?: AbortSignalLike;
}

export interface InvokeEventOptions {
  invocationId?: string;
  abortSignal?: AbortSignalLike;
}

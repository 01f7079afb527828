import type { RetryMode, WebPubSubRetryOptions } from "../types/options.js";
import { nonNegative } from "../utils/validate.js";

export interface RetryPolicy {
  readonly maxRetries: number;
  /** Delay before retry number `attempt` (1-based). Exponential mode uses full jitter. */
  delay(attempt: number): number;
}

export function createRetryPolicy(
  options: WebPubSubRetryOptions | undefined,
  defaults: Required<WebPubSubRetryOptions>,
  random: () => number,
  label: string,
): RetryPolicy {
  const o = options ?? {};
  const maxRetries = nonNegative(`${label}.maxRetries`, o.maxRetries, defaults.maxRetries);
  const base = nonNegative(`${label}.retryDelayInMs`, o.retryDelayInMs, defaults.retryDelayInMs);
  const cap = Math.max(base, nonNegative(`${label}.maxRetryDelayInMs`, o.maxRetryDelayInMs, defaults.maxRetryDelayInMs));
  const mode: RetryMode = o.mode ?? defaults.mode;
  if (mode !== "Fixed" && mode !== "Exponential") {
    throw new RangeError(`${label}.mode must be "Fixed" or "Exponential", got ${String(mode)}`);
  }
  return {
    maxRetries,
    delay(attempt) {
      if (mode === "Fixed") return base;
      const ceiling = Math.min(cap, base * 2 ** Math.min(attempt - 1, 30));
      return Math.floor(random() * ceiling);
    },
  };
}

export const MESSAGE_RETRY_DEFAULTS: Required<WebPubSubRetryOptions> = {
  maxRetries: 3,
  retryDelayInMs: 1000,
  maxRetryDelayInMs: 30000,
  mode: "Fixed",
};

export const RECONNECT_RETRY_DEFAULTS: Required<WebPubSubRetryOptions> = {
  maxRetries: Number.MAX_VALUE,
  retryDelayInMs: 1000,
  maxRetryDelayInMs: 30000,
  mode: "Fixed",
};

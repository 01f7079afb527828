import type { RetryMode, WebPubSubRetryOptions } from "../types/options.js";
import { nonNegative } from "../utils/validate.js";

/** How many times, and how long to wait before each retry. */
export class RetryPolicy {
  declare readonly maxRetries: number;
  readonly #base: number;
  readonly #cap: number;
  /** Exponential mode: delays are drawn at random below a growing ceiling (full jitter). */
  declare readonly jittered: boolean;
  readonly #random: () => number;

  constructor(options: WebPubSubRetryOptions | undefined, defaults: Required<WebPubSubRetryOptions>, random: () => number, label: string) {
    const o = options ?? {};
    const num = (key: "maxRetries" | "retryDelayInMs" | "maxRetryDelayInMs"): number => nonNegative(`${label}.${key}`, o[key], defaults[key]);
    this.maxRetries = num("maxRetries");
    this.#base = num("retryDelayInMs");
    this.#cap = Math.max(this.#base, num("maxRetryDelayInMs"));
    const mode: RetryMode = o.mode ?? defaults.mode;
    if (mode !== "Fixed" && mode !== "Exponential") throw new RangeError(`${label}.mode must be "Fixed" or "Exponential", got ${String(mode)}`);
    this.jittered = mode === "Exponential";
    this.#random = random;
  }

  /** Delay before retry number `attempt` (1-based). Exponential mode uses full jitter. */
  delay(attempt: number): number {
    if (!this.jittered) return this.#base;
    const ceiling = Math.min(this.#cap, this.#base * 2 ** Math.min(attempt - 1, 30));
    return Math.floor(this.#random() * ceiling);
  }
}

export const MESSAGE_RETRY_DEFAULTS: Required<WebPubSubRetryOptions> = {
  maxRetries: 3,
  retryDelayInMs: 1000,
  maxRetryDelayInMs: 30000,
  mode: "Fixed",
};

export const RECONNECT_RETRY_DEFAULTS: Required<WebPubSubRetryOptions> = { ...MESSAGE_RETRY_DEFAULTS, maxRetries: Number.MAX_VALUE };

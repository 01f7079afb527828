// Pings on a cadence and judges the link by the wall clock: when a tick finds no traffic
// for `timeoutMs` (a dead peer, a slept laptop, a throttled tab), the link is declared dead
// at once instead of waiting for yet another timer. Each frame stamps the wall-clock time it
// arrived, so traffic from before a machine sleep cannot pass for traffic after it.
import type { Link } from "./outbox.js";
import type { Clock, Timers } from "./runtime.js";

export interface KeepAliveHost extends Link {
  /** No traffic for `silentForMs`: the link is dead. */
  linkDead(silentForMs: number): void;
}

export class KeepAlive {
  #timer: unknown;
  #lastSeen = 0;
  readonly #tickMs: number;

  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #host: KeepAliveHost;

  constructor(timers: Timers, clock: Clock, intervalMs: number, timeoutMs: number, host: KeepAliveHost) {
    this.#timers = timers;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#host = host;
    this.#tickMs = intervalMs > 0 ? (timeoutMs > 0 ? Math.min(intervalMs, timeoutMs) : intervalMs) : Math.min(timeoutMs, 20000);
  }

  start(): void {
    this.stop();
    if (this.#tickMs <= 0) return;
    this.#lastSeen = this.#clock.now();
    this.#timer = this.#timers.setTimeout(() => this.#tick(), this.#tickMs);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Called for every frame received: stamps the time it arrived. */
  seen(): void {
    this.#lastSeen = this.#clock.now();
  }

  /** Runs the check now (e.g. the browser says it is back online). */
  check(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#tick();
  }

  #tick(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    const silent = now - this.#lastSeen;
    if (this.#timeoutMs > 0 && silent >= this.#timeoutMs) {
      this.#host.linkDead(silent);
      return;
    }
    if (this.#intervalMs > 0) this.#host.write({ kind: "ping" });
    this.#timer = this.#timers.setTimeout(() => this.#tick(), this.#tickMs);
  }
}

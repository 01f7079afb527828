// Dead-link detection. A `ping` that gets no frame back within PROBE_TIMEOUT_MS means the
// link is dead, even when the socket looks open (a blackholed network, a NAT that forgot
// the flow). Pings go out every `intervalMs` (as the official client's keep-alive, so the
// service sees no more traffic than before); a probe goes out at once when an operation
// has waited ACK_PROBE_MS with nothing received, and when the host says the network or
// the page is back. Intervals run on the monotonic clock; the wall clock only shows that
// the machine slept: `timeoutMs` of silence on either clock is death, found at the first
// timer or signal that runs after waking.
import type { Clock, Timers } from "./runtime.js";

export const PROBE_TIMEOUT_MS = 5000;
export const ACK_PROBE_MS = 3000;

export interface KeepAliveHost {
  ping(): void;
  /** No answer: the link is dead. */
  dead(): void;
  /** True while an operation waits for its answer. */
  waiting(): boolean;
}

export class KeepAlive {
  #timer: unknown;
  #due = Infinity;
  #deadline: unknown;
  #nextPing = 0;
  #seen = 0;
  #seenWall = 0;
  #up = false;

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
  }

  start(): void {
    this.stop();
    this.#up = true;
    this.seen();
    this.#nextPing = this.#seen + this.#intervalMs;
    this.#schedule();
  }

  stop(): void {
    this.#up = false;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.seen();
  }

  /** A frame arrived: the link is alive. */
  seen(): void {
    this.#seen = this.#clock.now();
    this.#seenWall = this.#clock.wall();
    this.#timers.clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  /** An operation that expects an answer was written: check on it in ACK_PROBE_MS. */
  expect(): void {
    if (this.#up && this.#timeoutMs > 0 && this.#deadline === undefined) this.#schedule(this.#clock.now() + ACK_PROBE_MS);
  }

  /** Pings now and expects an answer within the deadline (one probe at a time). */
  probe(): void {
    if (!this.#up || this.#silent()) return;
    this.#host.ping();
    if (this.#deadline === undefined && this.#timeoutMs > 0) {
      this.#deadline = this.#timers.setTimeout(() => this.#host.dead(), Math.min(PROBE_TIMEOUT_MS, this.#timeoutMs));
    }
  }

  /** Declares the link dead when nothing arrived for `timeoutMs` on either clock. */
  #silent(): boolean {
    const t = this.#timeoutMs;
    const dead = t > 0 && (this.#clock.now() - this.#seen >= t || this.#clock.wall() - this.#seenWall >= t);
    if (dead) this.#host.dead();
    return dead;
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#silent()) return;
    const now = this.#clock.now();
    if (this.#intervalMs > 0 && now >= this.#nextPing) {
      this.#nextPing = now + this.#intervalMs;
      this.probe();
    } else if (this.#host.waiting() && now - this.#seen >= ACK_PROBE_MS) this.probe();
    this.#schedule();
  }

  #schedule(due = Infinity): void {
    const t = this.#timeoutMs;
    const now = this.#clock.now();
    if (this.#intervalMs > 0) due = Math.min(due, this.#nextPing);
    if (t > 0) due = Math.min(due, this.#seen + t, this.#deadline === undefined && this.#host.waiting() ? this.#seen + ACK_PROBE_MS : Infinity);
    if (this.#timer !== undefined && this.#due <= due) return; // the armed timer comes first
    this.#timers.clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = due < Infinity ? this.#timers.setTimeout(() => this.#tick(), Math.max(due - now, 1)) : undefined;
  }
}

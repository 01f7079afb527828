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

/** A class: an idle client holds one object, not a closure per step. */
export class KeepAlive {
  #timer: unknown;
  #timerDue = Infinity;
  #deadline: unknown;
  #nextPing = 0;
  #seenAt = 0;
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
    this.#nextPing = this.#seenAt + this.#intervalMs;
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
    const clock = this.#clock;
    this.#seenAt = clock.now();
    this.#seenWall = clock.wall();
    if (this.#deadline !== undefined) {
      this.#timers.clearTimeout(this.#deadline);
      this.#deadline = undefined;
    }
  }

  /** An operation that expects an answer was written: check on it in ACK_PROBE_MS. */
  expect(): void {
    if (this.#up && this.#timeoutMs > 0 && this.#deadline === undefined) this.#schedule(this.#clock.now() + ACK_PROBE_MS);
  }

  /** Pings now and expects an answer within the deadline (one probe at a time). */
  probe(): void {
    if (!this.#up || this.#silent()) return;
    const host = this.#host;
    const timeoutMs = this.#timeoutMs;
    host.ping();
    if (this.#deadline === undefined && timeoutMs > 0) this.#deadline = this.#timers.setTimeout(() => host.dead(), Math.min(PROBE_TIMEOUT_MS, timeoutMs));
  }

  /** Declares the link dead when nothing arrived for `timeoutMs` on either clock. */
  #silent(): boolean {
    const clock = this.#clock;
    const timeoutMs = this.#timeoutMs;
    const dead = timeoutMs > 0 && (clock.now() - this.#seenAt >= timeoutMs || clock.wall() - this.#seenWall >= timeoutMs);
    if (dead) this.#host.dead();
    return dead;
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#silent()) return;
    const now = this.#clock.now();
    const intervalMs = this.#intervalMs;
    if (intervalMs > 0 && now >= this.#nextPing) {
      this.#nextPing = now + intervalMs;
      this.probe();
    } else if (this.#host.waiting() && now - this.#seenAt >= ACK_PROBE_MS) this.probe();
    this.#schedule();
  }

  #schedule(due = Infinity): void {
    const now = this.#clock.now();
    const timeoutMs = this.#timeoutMs;
    const seenAt = this.#seenAt;
    if (this.#intervalMs > 0) due = Math.min(due, this.#nextPing);
    if (timeoutMs > 0) due = Math.min(due, seenAt + timeoutMs, this.#deadline === undefined && this.#host.waiting() ? seenAt + ACK_PROBE_MS : Infinity);
    if (this.#timer !== undefined && this.#timerDue <= due) return; // the armed timer comes first
    const timers = this.#timers;
    timers.clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = due < Infinity ? timers.setTimeout(() => this.#tick(), Math.max(due - now, 1)) : undefined;
  }
}

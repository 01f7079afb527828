// Dead-link detection. A `ping` that gets no frame back within PROBE_TIMEOUT_MS means the
// link is dead, even when the socket looks open (a blackholed network, a NAT that forgot
// the flow). Pings go out every `intervalMs` (as the official client's keep-alive, so the
// service sees no more traffic than before); a probe goes out at once when an operation
// has waited ACK_PROBE_MS with nothing received, and when the host says the network or
// the page is back. Every interval is measured on the monotonic clock; the wall clock
// only shows that the machine slept: silence of `timeoutMs` on either clock is death.
import type { Clock, Timers } from "./runtime.js";

export const PROBE_TIMEOUT_MS = 5000;
export const ACK_PROBE_MS = 3000;

export interface KeepAliveHost {
  ping(): void;
  /** No answer: the link is dead. */
  dead(why: string): void;
  /** True while an operation waits for its ack. */
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
    this.#arm(Infinity);
    this.#timers.clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  /** A frame arrived: the link is alive. */
  seen(): void {
    this.#seen = this.#clock.now();
    this.#seenWall = this.#clock.wall();
    if (this.#deadline !== undefined) {
      this.#timers.clearTimeout(this.#deadline);
      this.#deadline = undefined;
    }
  }

  /** An operation was written that expects an ack: probe if nothing arrives for a while. */
  expect(): void {
    if (this.#up && this.#timeoutMs > 0) this.#arm(Math.min(this.#due, this.#clock.now() + ACK_PROBE_MS));
  }

  /** Pings now (unless a probe is already out) and expects an answer within the deadline. */
  probe(): void {
    if (!this.#up || this.#silent()) return;
    this.#ping(this.#deadline === undefined);
  }

  #ping(watch: boolean): void {
    this.#host.ping();
    if (watch && this.#timeoutMs > 0) {
      this.#deadline = this.#timers.setTimeout(() => this.#host.dead("no answer to a ping"), Math.min(PROBE_TIMEOUT_MS, this.#timeoutMs));
    }
  }

  /** Declares the link dead when nothing arrived for `timeoutMs` on either clock. */
  #silent(): boolean {
    const t = this.#timeoutMs;
    if (t > 0 && (this.#clock.now() - this.#seen >= t || this.#clock.wall() - this.#seenWall >= t)) {
      this.#host.dead(`silent for ${t} ms`);
      return true;
    }
    return false;
  }

  #tick(): void {
    this.#due = Infinity;
    this.#timer = undefined;
    if (this.#silent()) return;
    const now = this.#clock.now();
    const slept = this.#clock.wall() - this.#seenWall > now - this.#seen + PROBE_TIMEOUT_MS;
    if (this.#intervalMs > 0 && now >= this.#nextPing) {
      this.#nextPing = now + this.#intervalMs;
      this.#ping(this.#deadline === undefined);
    } else if (slept || (this.#host.waiting() && now - this.#seen >= ACK_PROBE_MS)) this.probe();
    this.#schedule();
  }

  #schedule(): void {
    const t = this.#timeoutMs;
    let due = this.#intervalMs > 0 ? this.#nextPing : Infinity;
    if (t > 0) due = Math.min(due, this.#seen + t, this.#deadline === undefined && this.#host.waiting() ? this.#seen + ACK_PROBE_MS : Infinity);
    this.#arm(Math.max(due, this.#clock.now() + 1));
  }

  #arm(due: number): void {
    if (due === this.#due && this.#timer !== undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = due < Infinity ? this.#timers.setTimeout(() => this.#tick(), due - this.#clock.now()) : undefined;
  }
}

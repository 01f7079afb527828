// When to try again after a link dropped, and when to give a session up: pure rules on an
// injected monotonic time, tested as a table (test/client/recovery-policy.test.ts).
//
// - Recovery (same session): the first attempt after a confirmed link dropped goes at once.
//   Attempts that fail (the socket never opens, or closes before the service confirmed the
//   session) back off with full jitter, from RECOVERY_BASE_MS doubling up to the cap.
//   The session is given up when nothing was confirmed for `windowMs` since the link was
//   last known up, as the service's own session timer runs from the latest drop.
// - Brand-new connections: an attempt that fails, or a connection that dies within
//   YOUNG_MS of its `connected` frame, counts as a failure; the reconnect policy's delay
//   grows with the failures in a row, so a service that accepts and closes at once sees
//   a few attempts a second at most.
import type { RetryPolicy } from "./retry-policy.js";

export const RECOVERY_BASE_MS = 250;
/** How long a session is tried after the link was last known up (the service keeps it 30 s). */
export const RECOVERY_WINDOW_MS = 30000;
/** The longest wait between two failing recovery attempts. */
export const RECOVERY_CAP_MS = 1000;
export const YOUNG_MS = 1000;

export class RecoveryPolicy {
  /** When the link was last known up (confirmed, or up until it dropped). */
  #upAt = 0;
  #recoveryFailures = 0;
  /** When the current brand-new connection was confirmed. */
  #connectedAt = -Infinity;
  #connectFailures = 0;

  readonly #windowMs: number;
  readonly #capMs: number;
  readonly #reconnect: RetryPolicy;
  readonly #random: () => number;

  constructor(windowMs: number, capMs: number, reconnect: RetryPolicy, random: () => number) {
    this.#windowMs = windowMs;
    this.#capMs = capMs;
    this.#reconnect = reconnect;
    this.#random = random;
  }

  /** The link is confirmed up, or was up until `now` (it just dropped). */
  up(now: number): void {
    this.#upAt = now;
    this.#recoveryFailures = 0;
  }

  recoveryFailed(): void {
    this.#recoveryFailures++;
  }

  /** Milliseconds to wait before the next recovery attempt, or -1: give the session up. */
  recoveryDelay(now: number): number {
    const left = this.#upAt + this.#windowMs - now;
    if (left <= 0) return -1;
    const n = this.#recoveryFailures;
    return n && Math.min(left, Math.floor(this.#random() * Math.min(this.#capMs, RECOVERY_BASE_MS * 2 ** Math.min(n - 1, 20))));
  }

  /** A brand-new connection is confirmed. */
  connected(now: number): void {
    this.#connectedAt = now;
  }

  /** The session is gone: a connection that died young counts as a failed attempt. */
  lost(now: number): void {
    this.#connectFailures = now - this.#connectedAt < YOUNG_MS ? this.#connectFailures + 1 : 0;
  }

  connectFailed(): void {
    this.#connectFailures++;
  }

  /**
   * Before the next brand-new connection attempt: none after a healthy connection (or,
   * in Exponential mode, a jittered first one), else the reconnect policy's delay.
   */
  reconnectDelay(): number {
    const n = this.#connectFailures;
    return n ? this.#reconnect.delay(n) : this.#reconnect.jittered ? this.#reconnect.delay(1) : 0;
  }
}

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

export type KeepAlive = ReturnType<typeof keepAlive>;

export function keepAlive(timers: Timers, clock: Clock, intervalMs: number, timeoutMs: number, host: KeepAliveHost) {
  let timer: unknown;
  let timerDue = Infinity;
  let deadline: unknown;
  let nextPing = 0;
  let seenAt = 0;
  let seenWall = 0;
  let up = false;

  /** Declares the link dead when nothing arrived for `timeoutMs` on either clock. */
  const silent = (): boolean => {
    const dead = timeoutMs > 0 && (clock.now() - seenAt >= timeoutMs || clock.wall() - seenWall >= timeoutMs);
    if (dead) host.dead();
    return dead;
  };
  const tick = (): void => {
    timer = undefined;
    if (silent()) return;
    const now = clock.now();
    if (intervalMs > 0 && now >= nextPing) {
      nextPing = now + intervalMs;
      k.probe();
    } else if (host.waiting() && now - seenAt >= ACK_PROBE_MS) k.probe();
    schedule();
  };
  const schedule = (due = Infinity): void => {
    const now = clock.now();
    if (intervalMs > 0) due = Math.min(due, nextPing);
    if (timeoutMs > 0) due = Math.min(due, seenAt + timeoutMs, deadline === undefined && host.waiting() ? seenAt + ACK_PROBE_MS : Infinity);
    if (timer !== undefined && timerDue <= due) return; // the armed timer comes first
    timers.clearTimeout(timer);
    timerDue = due;
    timer = due < Infinity ? timers.setTimeout(tick, Math.max(due - now, 1)) : undefined;
  };

  const k = {
    start(): void {
      k.stop();
      up = true;
      nextPing = seenAt + intervalMs;
      schedule();
    },

    stop(): void {
      up = false;
      timers.clearTimeout(timer);
      timer = undefined;
      k.seen();
    },

    /** A frame arrived: the link is alive. */
    seen(): void {
      seenAt = clock.now();
      seenWall = clock.wall();
      if (deadline !== undefined) {
        timers.clearTimeout(deadline);
        deadline = undefined;
      }
    },

    /** An operation that expects an answer was written: check on it in ACK_PROBE_MS. */
    expect(): void {
      if (up && timeoutMs > 0 && deadline === undefined) schedule(clock.now() + ACK_PROBE_MS);
    },

    /** Pings now and expects an answer within the deadline (one probe at a time). */
    probe(): void {
      if (!up || silent()) return;
      host.ping();
      if (deadline === undefined && timeoutMs > 0) deadline = timers.setTimeout(host.dead, Math.min(PROBE_TIMEOUT_MS, timeoutMs));
    },
  };
  return k;
}

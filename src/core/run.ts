// Run tokens and bounded waits. Every start(), stop() and retry loop replaces the engine's
// run; whatever awaited and finds its run replaced gives up without acting, and `halt`
// (rejected by stop) ends any wait that is still pending.
import { ConnectionError } from "../errors/connection-error.js";
import type { Timers } from "./runtime.js";

export interface Run {
  /** Rejects when the run is ended (stop, abort). */
  halt: Promise<never>;
  end(error: Error): void;
}

export function newRun(): Run {
  let end!: (error: Error) => void;
  const halt = new Promise<never>((_, reject) => (end = reject));
  halt.catch(() => {});
  return { halt, end };
}

/** `p`, unless the run halts first, or `ms` pass (a ConnectionError naming `what`). */
export function within<T>(p: Promise<T>, run: Run, timers: Timers, ms: number, what: string): Promise<T> {
  let timer: unknown;
  const late = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => reject(new ConnectionError(`No ${what} within ${ms} ms.`)), ms);
  });
  const done = (): void => timers.clearTimeout(timer);
  return Promise.race([p, late, run.halt]).finally(done);
}

/** Hosts fire a timer set beyond 2^31-1 ms at once; such delays mean "practically never". */
export const clamped = (t: Timers): Timers => ({
  setTimeout: (fn, ms) => t.setTimeout(fn, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (h) => t.clearTimeout(h),
});

// Run tokens and bounded waits. Every start(), stop() and retry loop replaces the engine's
// run; whatever awaited and finds its run replaced gives up without acting, and `halt`
// (rejected by stop) ends any wait that is still pending.
import { ConnectionError } from "../errors/connection-error.js";
import type { Timers } from "./runtime.js";
import { deferred } from "../utils/deferred.js";

export interface Run {
  /** Rejects when the run is ended (stop, abort). */
  halt: Promise<never>;
  end(error: Error): void;
}

export function newRun(): Run {
  const d = deferred<never>();
  d.promise.catch(() => {}); // nobody may be waiting when it ends
  return { halt: d.promise, end: d.reject };
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

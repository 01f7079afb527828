// Run tokens and bounded waits. Every start(), stop() and retry loop replaces the engine's
// run; whatever awaited and finds its run replaced gives up without acting, and `end`
// (stop, abort) ends any wait on the run that is still pending. An idle run holds nothing:
// a wait that settled is forgotten (no promise stays chained to a run that never ends).
import { ConnectionError } from "../errors/connection-error.js";
import type { Timers } from "./runtime.js";

export class Run {
  /** The rejects of the waits in progress; undefined once the run ended. */
  #waits: Set<(error: Error) => void> | undefined = new Set();
  /** Why the run ended. */
  #ended?: Error;

  /** Ends the run: every wait in progress, and any later one, rejects with `error` (the first one given). */
  end(error: Error): void {
    const waits = this.#waits;
    if (!waits) return;
    this.#waits = undefined;
    this.#ended = error;
    waits.forEach((reject) => reject(error));
  }

  /** `p`, unless the run ends first. */
  race<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waits = this.#waits;
      if (!waits) return reject(this.#ended);
      waits.add(reject);
      p.then(resolve, reject).finally(() => waits.delete(reject));
    });
  }
}

/** `p`, unless the run ends first, or `ms` pass (a ConnectionError naming `what`). */
export function within<T>(p: Promise<T>, run: Run, timers: Timers, ms: number, what: string): Promise<T> {
  let timer: unknown;
  const late = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => reject(new ConnectionError(`No ${what} within ${ms} ms.`)), ms);
  });
  const done = (): void => timers.clearTimeout(timer);
  return run.race(Promise.race([p, late])).finally(done);
}

import type { AbortError } from "../errors/abort-error.js";
import type { AbortSignalLike } from "../types/options.js";

/**
 * `p`, or an AbortError as soon as `signal` aborts (what `p` stands for carries on).
 * The class is passed in: this module is in the streams chunk, which imports nothing from the main bundle.
 */
export function abortable<T>(Abort: typeof AbortError, p: Promise<T>, signal?: AbortSignalLike): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((res, rej) => {
    const stop = (): void => rej(new Abort());
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    p.then(res, rej).finally(() => signal.removeEventListener("abort", stop));
  });
}

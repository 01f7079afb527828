import { AbortError } from "../errors/abort-error.js";
import type { AbortSignalLike } from "../types/options.js";
import { onAbort } from "../utils/on-abort.js";

/** `p`, or an AbortError as soon as `signal` aborts (what `p` stands for carries on). */
export function abortable<T>(p: Promise<T>, signal?: AbortSignalLike): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((res, rej) => {
    const stop = (): void => rej(new AbortError());
    if (signal.aborted) stop();
    p.then(res, rej).finally(onAbort(signal, stop));
  });
}

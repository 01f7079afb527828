import type { AbortSignalLike } from "../types/options.js";

/** Calls `fn` once when `signal` aborts; returns what removes the listener. No signal: nothing to remove. */
export function onAbort(signal: AbortSignalLike | undefined, fn: () => void): () => void {
  signal?.addEventListener("abort", fn, { once: true });
  return () => signal?.removeEventListener("abort", fn);
}

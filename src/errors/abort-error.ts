/** The caller's `abortSignal` fired. */
export class AbortError extends Error {
  override name = "AbortError";

  constructor(message = "The operation was aborted.") {
    super(message);
  }
}

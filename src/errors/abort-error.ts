/** The caller's `abortSignal` fired. */
export class AbortError extends Error {
  override name = "AbortError";

  constructor(message = "Aborted.") {
    super(message);
  }
}

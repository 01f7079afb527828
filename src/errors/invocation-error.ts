import type { AckMessageError } from "../types/messages.js";

export interface InvocationErrorOptions {
  invocationId: string;
  errorDetail?: AckMessageError;
}

/** `invokeEvent` failed: the handler refused, the call was aborted, or the link was lost. */
export class InvocationError extends Error {
  override name = "InvocationError";
  declare invocationId: string;
  declare errorDetail?: AckMessageError;

  constructor(message: string, options: InvocationErrorOptions) {
    super(message);
    this.invocationId = options.invocationId;
    this.errorDetail = options.errorDetail;
  }
}

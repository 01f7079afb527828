import type { AckMessageError } from "../types/messages.js";

export interface SendMessageErrorOptions {
  ackId?: number;
  errorDetail?: AckMessageError;
}

/**
 * An operation (join, leave, send) failed. `ackId` is set whenever the operation had
 * one, so passing it back as `{ ackId }` retries the same operation exactly once.
 */
export class SendMessageError extends Error {
  override name = "SendMessageError";
  declare ackId?: number;
  declare errorDetail?: AckMessageError;

  constructor(message: string, options: SendMessageErrorOptions = {}) {
    super(message);
    this.ackId = options.ackId;
    this.errorDetail = options.errorDetail;
  }
}

import { redactUrl } from "../utils/redact.js";

/** `start()` could not open a connection: the socket closed or failed before `connected`. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  /** The WebSocket close code, when the socket closed. */
  declare code?: number;
  declare reason?: string;

  constructor(message: string, code?: number, reason?: string) {
    super(redactUrl(message)); // the service's reasons may quote a token
    this.code = code;
    this.reason = reason && redactUrl(reason);
  }
}

/** `start()` could not open a connection: the socket closed or failed before `connected`. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  /** The WebSocket close code, when the socket closed. */
  code?: number;
  reason?: string;

  constructor(message: string, code?: number, reason?: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

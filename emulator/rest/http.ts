/** Small helpers for the HTTP server: REST bodies and errors, and answers to requests Node could not parse. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

export class BodyTooLargeError extends Error {}

/** Reads a request (or, for the event-handler client, a response) body, failing with {@link BodyTooLargeError} past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      req.resume();
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}

export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader("Content-Length", "0");
  res.end();
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = Buffer.from(JSON.stringify(body), "utf8");
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", String(text.length));
  res.end(req.method === "HEAD" ? undefined : text);
}

/** Errors are `{"code","message"}` JSON (headers only for HEAD). */
export function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(req, res, status, { code, message });
}

/**
 * A request Node's parser refused: too large headers (a 1 MB token in the URL or a header) get
 * 431, a request that took too long 408, anything else 400; then the socket closes.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (socket.destroyed) return;
  const [status, text] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout"]
        : [400, "Bad Request"];
  const body = status === 431 ? "The request line and headers are limited to 16 KB: pass the access token in the query or an Authorization header, within that." : text;
  if ((socket as Duplex & { writable: boolean }).writable) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  // keep reading (and dropping) what the client is still sending, so that it sees the answer and not a reset
  socket.on("data", () => undefined);
  socket.resume();
  setTimeout(() => socket.destroy(), 2000).unref();
}

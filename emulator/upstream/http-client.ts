/** A minimal HTTP(S) POST/OPTIONS client with a capped response body and no connection reuse. */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { BodyTooLargeError, readBody } from "../rest/http";

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function httpSend(
  method: "POST" | "OPTIONS",
  url: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  options: { signal: AbortSignal; maxResponseBytes: number; timeoutMs: number },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error(`invalid event handler URL ${url}`));
      return;
    }
    const send = target.protocol === "https:" ? httpsRequest : target.protocol === "http:" ? httpRequest : undefined;
    if (!send) {
      reject(new Error(`unsupported event handler URL scheme ${target.protocol}`));
      return;
    }
    const allHeaders: Record<string, string> = { ...headers };
    if (body) allHeaders["Content-Length"] = String(body.length);
    const req = send(target, { method, headers: allHeaders, agent: false, signal: options.signal, timeout: options.timeoutMs });
    req.on("timeout", () => req.destroy(new Error(`event handler did not answer within ${options.timeoutMs} ms`)));
    req.on("error", reject);
    req.on("response", (res) => {
      readBody(res, options.maxResponseBytes).then(
        (data) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }),
        (err: unknown) => {
          if (!(err instanceof BodyTooLargeError)) return reject(err);
          res.destroy();
          reject(new Error("event handler response is too large"));
        },
      );
    });
    req.end(body);
  });
}

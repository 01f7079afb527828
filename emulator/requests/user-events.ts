/** User events to the event handler (PROTOCOL §8), in order per connection, and what the handler answers. */
import type { AckError } from "../protocol/codec";
import { contentTypeOf, dataTypeFromContentType, type Payload } from "../protocol/payload";
import type { Connection } from "../sessions/connection";
import type { Service } from "../sessions/service";
import { decodeStates } from "../upstream/states";

export function invocationFailed(message: string): AckError {
  return { name: "InvocationFailed", message };
}

/** The handler's response body as a payload (undefined when empty); invalid JSON degrades to text. */
function payloadFromUpstream(contentType: string | undefined, body: Buffer): Payload | undefined {
  if (body.length === 0) return undefined;
  const dataType = dataTypeFromContentType(contentType) ?? "binary";
  if (dataType === "json") {
    try {
      JSON.parse(body.toString("utf8"));
    } catch {
      return { dataType: "text", body };
    }
  }
  return { dataType, body };
}

/** Sends a user event upstream (in order with the connection's other events) and returns the handler's answer. */
export function callUserEvent(
  service: Service,
  conn: Connection,
  event: string,
  payload: Payload,
  signal?: AbortSignal,
): Promise<{ ok: true; payload?: Payload } | { ok: false; error: AckError }> {
  const upstream = service.upstream;
  if (!upstream) return Promise.resolve({ ok: false, error: invocationFailed("No event handler is configured.") });
  return new Promise((resolve) => {
    void conn.enqueueUpstream(async () => {
      if (signal?.aborted || conn.ended) {
        resolve({ ok: false, error: invocationFailed("The invocation was cancelled.") });
        return;
      }
      try {
        const res = await upstream.send("user", event, service.upstreamContext(conn), { contentType: contentTypeOf(payload.dataType), data: payload.body }, signal);
        const states = decodeStates(res.headers["ce-connectionstate"]);
        if (states) conn.states = states;
        if (res.status < 200 || res.status >= 300) {
          const detail = res.body.toString("utf8").slice(0, 200);
          resolve({ ok: false, error: invocationFailed(`The event handler answered ${res.status}${detail ? `: ${detail}` : ""}.`) });
          return;
        }
        const answer = payloadFromUpstream(res.headers["content-type"], res.body);
        resolve(answer ? { ok: true, payload: answer } : { ok: true });
      } catch (err) {
        resolve({ ok: false, error: invocationFailed(`The event handler could not be reached: ${err instanceof Error ? err.message : String(err)}`) });
      }
    });
  });
}

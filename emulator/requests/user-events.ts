/** User events to the event handler (PROTOCOL §8), in order per connection, and what the handler answers. */
import type { AckError } from "../protocol/codec";
import { contentTypeOf, dataTypeFromContentType, isJsonText, type Payload } from "../protocol/payload";
import type { Connection } from "../sessions/connection";
import type { Service } from "../sessions/service";
import { MAX_PENDING_UPSTREAM_BYTES, MAX_PENDING_UPSTREAM_EVENTS } from "../sessions/limits";
import { decodeStates } from "../upstream/states";
import { anySignal } from "../upstream/upstream";
import { clip } from "../protocol/clip";

/** The ack error name when a connection has too many events waiting for the event handler. */
export const TOO_MANY_REQUESTS = "TooManyRequests";

export type UserEventResult = { ok: true; payload?: Payload } | { ok: false; error: AckError };

export function invocationFailed(message: string): AckError {
  return { name: "InvocationFailed", message };
}

/** The handler's response body as a payload (undefined when empty); invalid JSON degrades to text. */
function payloadFromUpstream(contentType: string | undefined, body: Buffer): Payload | undefined {
  if (body.length === 0) return undefined;
  const dataType = dataTypeFromContentType(contentType) ?? "binary";
  if (dataType === "json" && !isJsonText(body.toString("utf8"))) return { dataType: "text", body };
  return { dataType, body };
}

/**
 * Sends a user event upstream (in order with the connection's other events) and returns the
 * handler's answer. Past the per-connection bound the event is not queued: the result is a
 * `TooManyRequests` error at once. The call is abandoned when the connection ends.
 */
export function callUserEvent(
  service: Service,
  conn: Connection,
  event: string,
  payload: Payload,
  signal?: AbortSignal,
): Promise<UserEventResult> {
  const upstream = service.upstream;
  if (!upstream) return Promise.resolve({ ok: false, error: invocationFailed("No event handler is configured.") });
  return new Promise((resolve) => {
    const queued = conn.tryEnqueueUpstream(payload.body.length, async () => {
      if (signal?.aborted || conn.ended) {
        resolve({ ok: false, error: invocationFailed("The invocation was cancelled.") });
        return;
      }
      const combined = signal ? anySignal(signal, conn.lifetime.signal) : { signal: conn.lifetime.signal, dispose: () => undefined };
      try {
        const res = await upstream.send("user", event, service.upstreamContext(conn), { contentType: contentTypeOf(payload.dataType), data: payload.body }, combined.signal);
        const states = decodeStates(res.headers["ce-connectionstate"]);
        if (states) conn.states = states;
        if (res.status < 200 || res.status >= 300) {
          const detail = clip(res.body.toString("utf8"), 200);
          resolve({ ok: false, error: invocationFailed(`The event handler answered ${res.status}${detail ? `: ${detail}` : ""}.`) });
          return;
        }
        const answer = payloadFromUpstream(res.headers["content-type"], res.body);
        resolve(answer ? { ok: true, payload: answer } : { ok: true });
      } catch (err) {
        resolve({ ok: false, error: invocationFailed(`The event handler could not be reached: ${err instanceof Error ? err.message : String(err)}`) });
      } finally {
        combined.dispose();
      }
    });
    if (!queued) {
      const message = `The connection already has ${MAX_PENDING_UPSTREAM_EVENTS} events (or ${MAX_PENDING_UPSTREAM_BYTES / 1024 / 1024} MB) waiting for the event handler; send again later.`;
      resolve({ ok: false, error: { name: TOO_MANY_REQUESTS, message } });
    }
  });
}

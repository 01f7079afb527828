/** Executes the frames clients send (PROTOCOL §3, §6): groups, messages, events, invocations, acks. */
import type { ClientSocket } from "./client-socket";
import type { Connection } from "./connection";
import { parseClientFrame, type ClientFrame } from "./frames";
import { groupNameError } from "./names";
import { contentTypeOf, dataTypeFromContentType, type Payload } from "./payload";
import { invokeResponseFrame, pongFrame, type AckError } from "./server-frames";
import type { Service } from "./service";
import { decodeStates } from "./upstream";

/** One message from a client: 1 MB. Larger ones close the connection with 1009 (a reliable session is kept). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

type Outcome = AckError | undefined;

const DUPLICATE: AckError = { name: "Duplicate", message: "The ackId has been used before: the request was already executed." };

function invocationFailed(message: string): AckError {
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

/**
 * Runs an operation under ackId de-duplication: an ackId that already succeeded is answered
 * `Duplicate` and not executed again; a failed one may be retried. Without an ackId, a
 * rejected request closes the connection (1008), except when the event handler failed.
 */
function runAcked(service: Service, conn: Connection, ackId: number | undefined, op: () => Outcome | Promise<Outcome>): void {
  const safeOp = (): Outcome | Promise<Outcome> => {
    try {
      const result = op();
      return result instanceof Promise ? result.catch(internalError) : result;
    } catch (err) {
      return internalError(err);
    }
  };
  const internalError = (err: unknown): Outcome => {
    service.log(`internal error on ${conn.id}: ${String(err)}`);
    return { name: "InternalServerError", message: "The service failed to execute the request." };
  };
  if (ackId === undefined) {
    const onOutcome = (outcome: Outcome): void => {
      if (outcome && outcome.name !== "InvocationFailed") service.closeConnection(conn, 1008, `${outcome.name}: ${outcome.message}`);
    };
    const result = safeOp();
    if (result instanceof Promise) void result.then(onOutcome);
    else onOutcome(result);
    return;
  }
  const prior = conn.ackIds.get(ackId);
  if (prior === true) {
    conn.sendAck(ackId, DUPLICATE);
    return;
  }
  if (prior) {
    void prior.then(() => runAcked(service, conn, ackId, op));
    return;
  }
  const finish = (outcome: Outcome): boolean => {
    if (outcome) conn.ackIds.delete(ackId);
    else conn.rememberAckId(ackId);
    conn.sendAck(ackId, outcome);
    return outcome === undefined;
  };
  const result = safeOp();
  if (result instanceof Promise) conn.ackIds.set(ackId, result.then(finish));
  else finish(result);
}

function groupOp(service: Service, conn: Connection, frame: Extract<ClientFrame, { type: "joinGroup" | "leaveGroup" }>): Outcome {
  const invalid = groupNameError(frame.group);
  if (invalid) return { name: "BadRequest", message: invalid };
  if (!conn.permissions.allows("joinLeaveGroup", frame.group)) {
    return { name: "Forbidden", message: `The connection has no permission to join or leave group '${frame.group}'.` };
  }
  const hub = service.hubOf(conn);
  if (frame.type === "joinGroup") hub.join(conn, frame.group);
  else hub.leave(conn, frame.group);
  return undefined;
}

function sendToGroupOp(service: Service, conn: Connection, frame: Extract<ClientFrame, { type: "sendToGroup" }>): Outcome {
  const invalid = groupNameError(frame.group);
  if (invalid) return { name: "BadRequest", message: invalid };
  if (!conn.permissions.allows("sendToGroup", frame.group)) {
    return { name: "Forbidden", message: `The connection has no permission to send to group '${frame.group}'.` };
  }
  const hub = service.hubOf(conn);
  const source = conn.userId === undefined ? { from: "group" as const, group: frame.group } : { from: "group" as const, group: frame.group, fromUserId: conn.userId };
  hub.deliver(hub.groupMembers(frame.group), source, frame.payload, frame.noEcho ? new Set([conn.id]) : undefined);
  return undefined;
}

/** Sends a user event upstream (in order with the connection's other events) and returns the handler's answer. */
function callUserEvent(
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

function eventOp(service: Service, conn: Connection, frame: Extract<ClientFrame, { type: "event" }>): Promise<Outcome> {
  return callUserEvent(service, conn, frame.event, frame.payload).then((result) => {
    if (!result.ok) return result.error;
    if (result.payload) conn.deliver({ from: "server" }, result.payload);
    return undefined;
  });
}

function invoke(service: Service, conn: Connection, frame: Extract<ClientFrame, { type: "invoke" }>): void {
  const id = frame.invocationId;
  if (conn.invocations.has(id)) {
    conn.write(invokeResponseFrame(id, { error: { name: "BadRequest", message: `Invocation '${id}' is already in progress.` } }));
    return;
  }
  if (frame.target !== "event") {
    conn.write(invokeResponseFrame(id, { error: { name: "BadRequest", message: `Unsupported invoke target '${frame.target}'.` } }));
    return;
  }
  const controller = new AbortController();
  conn.invocations.set(id, controller);
  void callUserEvent(service, conn, frame.event, frame.payload, controller.signal).then((result) => {
    if (conn.invocations.get(id) !== controller) return;
    conn.invocations.delete(id);
    if (controller.signal.aborted) return; // cancelled: the client has already given up on it
    conn.write(invokeResponseFrame(id, result.ok ? (result.payload ? { payload: result.payload } : {}) : { error: result.error }));
  });
}

function handleSimpleMessage(service: Service, conn: Connection, data: Buffer, isBinary: boolean): void {
  const upstream = service.upstream;
  if (!upstream) {
    service.closeConnection(conn, 1000, "No event handler is configured to receive messages from simple WebSocket clients.");
    return;
  }
  const payload: Payload = { dataType: isBinary ? "binary" : "text", body: data };
  void callUserEvent(service, conn, "message", payload).then((result) => {
    if (result.ok && result.payload) conn.deliver({ from: "server" }, result.payload);
    else if (!result.ok) service.log(`message event of ${conn.id}: ${result.error.message}`);
  });
}

export function handleClientMessage(service: Service, conn: Connection, sock: ClientSocket, data: Buffer, isBinary: boolean): void {
  if (conn.socket !== sock || conn.ended) return;
  if (data.length > MAX_MESSAGE_BYTES) {
    service.closeConnection(conn, 1009, `The message is ${data.length} bytes; the limit is ${MAX_MESSAGE_BYTES} bytes (1 MB).`);
    return;
  }
  if (!conn.framed) {
    handleSimpleMessage(service, conn, data, isBinary);
    return;
  }
  const parsed = parseClientFrame(isBinary ? data : data.toString("utf8"));
  if (!parsed.ok) {
    service.closeConnection(conn, 1008, `Invalid message: ${parsed.reason}`);
    return;
  }
  const frame = parsed.frame;
  switch (frame.type) {
    case "joinGroup":
    case "leaveGroup":
      runAcked(service, conn, frame.ackId, () => groupOp(service, conn, frame));
      return;
    case "sendToGroup":
      runAcked(service, conn, frame.ackId, () => sendToGroupOp(service, conn, frame));
      return;
    case "event":
      runAcked(service, conn, frame.ackId, () => eventOp(service, conn, frame));
      return;
    case "invoke":
      invoke(service, conn, frame);
      return;
    case "cancelInvocation": {
      const controller = conn.invocations.get(frame.invocationId);
      if (controller) {
        conn.invocations.delete(frame.invocationId);
        controller.abort();
      }
      return;
    }
    case "sequenceAck":
      conn.session?.ack(frame.sequenceId);
      return;
    case "ping":
      conn.write(pongFrame());
      return;
    case "invokeResponse":
      return; // answers to service-initiated invocations, which this service never makes
  }
}

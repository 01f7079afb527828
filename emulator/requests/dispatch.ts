/** Executes the requests clients send (PROTOCOL §3, §6): groups, messages, events, invocations, acks. */
import type { ClientRequest } from "../protocol/codec";
import { eventNameError, groupNameError, MAX_EVENT_NAME_CHARS } from "../protocol/names";
import type { Payload } from "../protocol/payload";
import type { ClientSocket } from "../sessions/client-socket";
import type { Connection } from "../sessions/connection";
import type { Service } from "../sessions/service";
import { handleStreamRequest } from "../sessions/streams";
import { runAcked, type Outcome } from "./acked";
import { callUserEvent, TOO_MANY_REQUESTS } from "./user-events";
import { MAX_MESSAGE_BYTES } from "../sessions/limits";

function groupOp(service: Service, conn: Connection, frame: Extract<ClientRequest, { type: "joinGroup" | "leaveGroup" }>): Outcome {
  const invalid = groupNameError(frame.group);
  if (invalid) return { name: "BadRequest", message: invalid };
  if (!conn.permissions.allows("joinLeaveGroup", frame.group)) {
    return { name: "Forbidden", message: `The connection has no permission to join or leave group '${frame.group}'.` };
  }
  const hub = service.hubOf(conn);
  if (frame.type === "leaveGroup") hub.leave(conn, frame.group);
  else if (!hub.join(conn, frame.group)) {
    return { name: "BadRequest", message: conn.groupsFullMessage() };
  }
  return undefined;
}

function sendToGroupOp(service: Service, conn: Connection, frame: Extract<ClientRequest, { type: "sendToGroup" }>): Outcome {
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

function eventOp(service: Service, conn: Connection, frame: Extract<ClientRequest, { type: "event" }>): Outcome | Promise<Outcome> {
  const invalid = eventNameError(frame.event);
  if (invalid) return { name: "BadRequest", message: invalid };
  return callUserEvent(service, conn, frame.event, frame.payload).then((result) => {
    if (!result.ok) return result.error;
    if (result.payload) conn.deliver({ from: "server" }, result.payload);
    return undefined;
  });
}

function invoke(service: Service, conn: Connection, frame: Extract<ClientRequest, { type: "invoke" }>): void {
  const id = frame.invocationId;
  if (id.length > MAX_EVENT_NAME_CHARS || frame.event.length > MAX_EVENT_NAME_CHARS) {
    service.closeConnection(conn, 1008, `Invalid message: invocation ids and event names are at most ${MAX_EVENT_NAME_CHARS} characters.`);
    return;
  }
  if (conn.invocations.has(id)) {
    conn.send({ type: "invokeResponse", invocationId: id, result: { error: { name: "BadRequest", message: `Invocation '${id}' is already in progress.` } } });
    return;
  }
  if (frame.target !== "event") {
    conn.send({ type: "invokeResponse", invocationId: id, result: { error: { name: "BadRequest", message: `Unsupported invoke target '${frame.target}'.` } } });
    return;
  }
  const controller = new AbortController();
  conn.invocations.set(id, controller);
  void callUserEvent(service, conn, frame.event, frame.payload, controller.signal).then((result) => {
    if (conn.invocations.get(id) !== controller) return;
    conn.invocations.delete(id);
    if (controller.signal.aborted) return; // cancelled: the client has already given up on it
    conn.send({ type: "invokeResponse", invocationId: id, result: result.ok ? (result.payload ? { payload: result.payload } : {}) : { error: result.error } });
  });
}

function simpleMessage(service: Service, conn: Connection, payload: Payload): void {
  const upstream = service.upstream;
  if (!upstream) {
    service.closeConnection(conn, 1000, "No event handler is configured to receive messages from simple WebSocket clients.");
    return;
  }
  void callUserEvent(service, conn, "message", payload).then((result) => {
    if (result.ok && result.payload) conn.deliver({ from: "server" }, result.payload);
    else if (!result.ok && result.error.name === TOO_MANY_REQUESTS) service.closeConnection(conn, 1008, `${result.error.name}: ${result.error.message}`);
    else if (!result.ok) service.log(`message event of ${conn.id}: ${result.error.message}`);
  });
}

export function handleClientMessage(service: Service, conn: Connection, sock: ClientSocket, data: Buffer, isBinary: boolean): void {
  if (conn.socket !== sock || conn.ended) return;
  if (data.length > MAX_MESSAGE_BYTES) {
    service.closeConnection(conn, 1009, `The message is ${data.length} bytes; the limit is ${MAX_MESSAGE_BYTES} bytes (1 MB).`);
    return;
  }
  const decoded = conn.codec.decode(data, isBinary);
  if (!decoded.ok) {
    service.closeConnection(conn, 1008, `Invalid message: ${decoded.reason}`);
    return;
  }
  const request = decoded.request;
  switch (request.type) {
    case "joinGroup":
    case "leaveGroup":
      runAcked(service, conn, request.ackId, () => groupOp(service, conn, request));
      return;
    case "sendToGroup":
      runAcked(service, conn, request.ackId, () => sendToGroupOp(service, conn, request));
      return;
    case "event":
      runAcked(service, conn, request.ackId, () => eventOp(service, conn, request));
      return;
    case "invoke":
      invoke(service, conn, request);
      return;
    case "cancelInvocation": {
      const controller = conn.invocations.get(request.invocationId);
      if (controller) {
        conn.invocations.delete(request.invocationId);
        controller.abort();
      }
      return;
    }
    case "sequenceAck": {
      const session = conn.session;
      if (!session) return;
      const lastSent = session.nextId - 1;
      if (request.sequenceId > lastSent) {
        // acking what was never sent would let a client that stops reading escape the unacked bound (PROTOCOL §3)
        service.closeConnection(conn, 1008, `Invalid sequenceAck: ${request.sequenceId} is above the last sequence id sent (${lastSent}).`);
        return;
      }
      session.ack(request.sequenceId);
      return;
    }
    case "ping":
      conn.send({ type: "pong" });
      return;
    case "invokeResponse":
      return; // answers to service-initiated invocations, which this service never makes
    case "message":
      simpleMessage(service, conn, request.payload);
      return;
    case "streamStart": // group streams
    case "streamData":
    case "streamEnd":
      handleStreamRequest(service, conn, request);
      return;
  }
}

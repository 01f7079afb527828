/** Parsing and validating frames that clients send on the JSON subprotocols (PROTOCOL §3). */
import { clip, MAX_QUOTED_CHARS } from "./clip";
import type { ClientRequest } from "./codec";
import { parseStreamRequest } from "./json-streams";
import { isDataType, payloadFromFrameData, type DataType, type Payload } from "./payload";

/** A request on the JSON subprotocols: every {@link ClientRequest} but a simple client's raw `message`. */
export type ClientFrame = Exclude<ClientRequest, { type: "message" }>;

export type FrameParseResult = { ok: true; frame: ClientFrame } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

class FrameError extends Error {}

function fail(reason: string): never {
  throw new FrameError(reason);
}

function requireString(obj: Record<string, unknown>, field: string, type: string): string {
  const value = obj[field];
  if (typeof value !== "string") fail(`'${field}' is required and must be a string in a '${type}' message.`);
  return value;
}

function requireNonEmpty(obj: Record<string, unknown>, field: string, type: string): string {
  const value = requireString(obj, field, type);
  if (value.length === 0) fail(`'${field}' must not be empty in a '${type}' message.`);
  return value;
}

function optionalAckId(obj: Record<string, unknown>): { ackId?: number } {
  const value = obj.ackId;
  if (value === undefined || value === null) return {};
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) fail("'ackId' must be a non-negative integer.");
  return { ackId: value };
}

/** `dataType` defaults to json; `data` may be absent only when `optionalData` (then an empty text payload). */
function payloadOf(obj: Record<string, unknown>, type: string, optionalData: boolean): Payload {
  const rawType = obj.dataType ?? "json";
  if (!isDataType(rawType)) fail(`'dataType' must be one of text, json, binary, protobuf in a '${type}' message.`);
  const dataType: DataType = rawType;
  if (obj.data === undefined) {
    if (optionalData) return { dataType: obj.dataType === undefined ? "text" : dataType, body: Buffer.alloc(0) };
    fail(`'data' is required in a '${type}' message.`);
  }
  const payload = payloadFromFrameData(dataType, obj.data);
  if (typeof payload === "string") fail(`${payload} in a '${type}' message.`);
  return payload;
}

function streamRequest(obj: Record<string, unknown>, group: string | undefined, noEcho: boolean): ClientFrame {
  const request = parseStreamRequest(obj, group, noEcho);
  if (typeof request === "string") fail(request);
  return request;
}

function toFrame(obj: Record<string, unknown>): ClientFrame {
  const type = obj.type;
  if (typeof type !== "string") fail("'type' is required and must be a string.");
  switch (type) {
    case "joinGroup":
    case "leaveGroup":
      return { type, group: requireString(obj, "group", type), ...optionalAckId(obj) };
    case "sendToGroup": {
      const noEcho = obj.noEcho ?? false;
      if (typeof noEcho !== "boolean") fail("'noEcho' must be a boolean in a 'sendToGroup' message.");
      if (obj.stream !== undefined) return streamRequest(obj, requireString(obj, "group", type), noEcho); // group streams
      return { type, group: requireString(obj, "group", type), ...optionalAckId(obj), noEcho, payload: payloadOf(obj, type, false) };
    }
    case "event":
      return { type, event: requireNonEmpty(obj, "event", type), ...optionalAckId(obj), payload: payloadOf(obj, type, true) };
    case "sequenceAck": {
      const id = obj.sequenceId;
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) fail("'sequenceId' must be a non-negative integer in a 'sequenceAck' message.");
      return { type, sequenceId: id };
    }
    case "ping":
      return { type };
    case "invoke": {
      const target = obj.target ?? "event";
      if (typeof target !== "string") fail("'target' must be a string in an 'invoke' message.");
      return {
        type,
        invocationId: requireNonEmpty(obj, "invocationId", type),
        target,
        event: target === "event" ? requireNonEmpty(obj, "event", type) : typeof obj.event === "string" ? obj.event : "",
        payload: payloadOf(obj, type, true),
      };
    }
    case "cancelInvocation":
    case "invokeResponse":
      return { type, invocationId: requireNonEmpty(obj, "invocationId", type) };
    case "streamData": // group streams
    case "streamEnd":
      return streamRequest(obj, undefined, false);
    default:
      fail(`Unknown message type '${clip(type, MAX_QUOTED_CHARS)}'.`);
  }
}

/** Parses one WebSocket message (text, or UTF-8 JSON in a binary frame). */
export function parseClientFrame(data: string | Buffer): FrameParseResult {
  try {
    const text = typeof data === "string" ? data : utf8.decode(data);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, reason: "The message is not valid JSON." };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { ok: false, reason: "The message must be a JSON object." };
    }
    return { ok: true, frame: toFrame(value as Record<string, unknown>) };
  } catch (err) {
    if (err instanceof FrameError) return { ok: false, reason: err.message };
    if (err instanceof TypeError) return { ok: false, reason: "The message is not valid UTF-8." };
    return { ok: false, reason: "The message could not be parsed." };
  }
}

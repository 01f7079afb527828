/**
 * The protobuf subprotocols as a {@link Codec} (PROTOCOL §11): `protobuf.webpubsub.azure.v1`
 * and its reliable variant. Messages are built by protobufjs from `webpubsub.proto`
 * (embedded in protobuf-schema.ts), so this codec shares no code with the client SDK's
 * hand-written one. Payloads cross subprotocols unchanged (a {@link Payload} is bytes plus
 * a data type): `json` travels as `json_data`, `protobuf` as `protobuf_data` (the bytes
 * are a serialized `google.protobuf.Any`, the same bytes JSON clients get as base64).
 */
import protobuf from "protobufjs";
import type { ClientRequest, Codec, DecodeResult, DownstreamFrame, StreamInfo, StreamRequest, WireData } from "./codec";
import { isStreamIdleTimeoutMs, MAX_STREAM_IDLE_TIMEOUT_MS } from "./json-streams";
import { isJsonText, type Payload } from "./payload";
import { WEBPUBSUB_PROTO } from "./protobuf-schema";

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  const any = protobuf.common.get("google/protobuf/any.proto") as { nested: protobuf.INamespace["nested"] };
  root.addJSON(any.nested!);
  protobuf.parse(WEBPUBSUB_PROTO, root, { keepCase: true });
  root.resolveAll();
  return root;
}

const root = buildRoot();
/** The message types, for tests that check the client's codec against this one. */
export const UpstreamMessage = root.lookupType("UpstreamMessage");
export const DownstreamMessage = root.lookupType("DownstreamMessage");
export const AnyMessage = root.lookupType("google.protobuf.Any");

class Invalid extends Error {}
const invalid = (reason: string): never => {
  throw new Invalid(reason);
};

type Obj = Record<string, unknown> & { $type?: protobuf.Type };

/** A uint64 field as a number; one beyond 2^53 - 1 is refused, never rounded. */
function uint(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "number" ? value : Number(String(value));
  if (!Number.isSafeInteger(n) || n < 0) invalid(`'${field}' is above 2^53 - 1 (${String(value)}).`);
  return n;
}

const utf8 = new TextDecoder("utf-8");

/** `MessageData` → Payload; `undefined` when no data case is set. */
function payloadOf(data: Obj | null | undefined): Payload | undefined {
  if (!data) return undefined;
  switch (data.data) {
    case "text_data":
      return { dataType: "text", body: Buffer.from(data.text_data as string, "utf8") };
    case "json_data": {
      const text = data.json_data as string;
      if (!isJsonText(text)) invalid("'json_data' is not valid JSON.");
      return { dataType: "json", body: Buffer.from(text, "utf8") };
    }
    case "binary_data":
      return { dataType: "binary", body: Buffer.from(data.binary_data as Uint8Array) };
    case "protobuf_data":
      return { dataType: "protobuf", body: Buffer.from(AnyMessage.encode(data.protobuf_data as Obj).finish()) };
  }
  return undefined;
}

function requirePayload(data: Obj | null | undefined, type: string): Payload {
  return payloadOf(data) ?? invalid(`'data' is required in a '${type}' message.`);
}

/** `optional uint64 ack_id`: protobufjs sets a present field on the message itself (the prototype holds the default). */
function ackId(m: Obj): { ackId?: number } {
  const id = Object.hasOwn(m, "ack_id") ? uint(m.ack_id, "ack_id") : undefined;
  return id === undefined ? {} : { ackId: id };
}

const has = (m: Obj, field: string): boolean => Object.hasOwn(m, field);

/** As on JSON, an empty stream id is malformed; its length bound is the streams' (sessions/streams.ts). */
function streamIdOf(m: Obj, where: string): string {
  const id = m.stream_id as string;
  if (id.length === 0) invalid(`'stream_id' must not be empty in ${where}.`);
  return id;
}

/** Group-stream requests (PROTOCOL §10), with the JSON subprotocols' rules. */
function streamRequest(kind: string, m: Obj): StreamRequest {
  switch (kind) {
    case "send_to_group_message": {
      if (m.data || has(m, "ack_id")) invalid("a stream start (a 'send_to_group_message' with 'stream') carries no 'data' or 'ack_id'.");
      const s = m.stream as Obj;
      const start: StreamRequest = { type: "streamStart", group: m.group as string, noEcho: m.no_echo === true, streamId: streamIdOf(s, "a stream start") };
      if (has(s, "idle_timeout_ms")) {
        const idle = s.idle_timeout_ms;
        if (!isStreamIdleTimeoutMs(idle)) return invalid(`'idle_timeout_ms' must be from 1 to ${MAX_STREAM_IDLE_TIMEOUT_MS}.`);
        start.idleTimeoutMs = idle;
      }
      return start;
    }
    case "stream_data_message": {
      const streamId = streamIdOf(m, "a 'stream_data_message'");
      const payload = payloadOf(m.data as Obj);
      if (!has(m, "stream_sequence_id") && !m.data) return { type: "streamData", streamId }; // keep-alive
      const seq = has(m, "stream_sequence_id") ? uint(m.stream_sequence_id, "stream_sequence_id") : undefined;
      if (seq === undefined || seq < 1) invalid("'stream_sequence_id' must be a positive integer in a 'stream_data_message' that carries data.");
      if (!payload) invalid("'data' is required in a 'stream_data_message' with a 'stream_sequence_id'.");
      return { type: "streamData", streamId, streamSequenceId: seq, payload };
    }
    default: {
      const streamId = streamIdOf(m, "a 'stream_end_message'");
      const e = m.error as Obj | undefined;
      if (!e) return { type: "streamEnd", streamId };
      return { type: "streamEnd", streamId, error: { message: (e.message as string) || undefined, userErrorCode: (e.user_error_code as string) || undefined } };
    }
  }
}

function toRequest(up: Obj): ClientRequest {
  const m = up[up.message as string] as Obj | undefined;
  if (!m) return invalid("the UpstreamMessage has no known message case.");
  switch (up.message) {
    case "stream_data_message":
    case "stream_end_message":
      return streamRequest(up.message, m);
    case "send_to_group_message":
      if (m.stream) return streamRequest(up.message, m);
      return { type: "sendToGroup", group: m.group as string, ...ackId(m), noEcho: m.no_echo === true, payload: requirePayload(m.data as Obj, "sendToGroup") };
    case "event_message": {
      if (!m.event) invalid("'event' must not be empty in an 'event' message.");
      const payload = payloadOf(m.data as Obj) ?? { dataType: "text", body: Buffer.alloc(0) };
      return { type: "event", event: m.event as string, ...ackId(m), payload };
    }
    case "join_group_message":
    case "leave_group_message":
      return { type: up.message === "join_group_message" ? "joinGroup" : "leaveGroup", group: m.group as string, ...ackId(m) };
    case "sequence_ack_message":
      return { type: "sequenceAck", sequenceId: uint(m.sequence_id, "sequence_id") ?? 0 };
    case "ping_message":
      return { type: "ping" };
    default:
      return invalid(`'${String(up.message)}' is not a request this service knows.`);
  }
}

function decode(data: Buffer, isBinary: boolean): DecodeResult {
  if (!isBinary) return { ok: false, reason: "the protobuf subprotocols carry binary frames only." };
  let up: Obj;
  try {
    up = UpstreamMessage.decode(data) as unknown as Obj;
  } catch (e) {
    return { ok: false, reason: `not a valid UpstreamMessage (${e instanceof Error ? e.message : String(e)}).` };
  }
  try {
    return { ok: true, request: toRequest(up) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
}

/** `MessageData` per payload: a fan-out hands every recipient the same Payload, so its Any is decoded and checked once, not once per recipient. */
const messageDataOf = new WeakMap<Payload, Obj>();

function messageData(p: Payload): Obj {
  let data = messageDataOf.get(p);
  if (!data) messageDataOf.set(p, (data = buildMessageData(p)));
  return data;
}

/**
 * Payload → `MessageData`. `protobuf` bytes that are not exactly a serialized Any (a REST
 * body or a JSON client's base64 can be anything) go as `binary_data` **(choice)**: the
 * bytes arrive intact rather than re-encoded into something else.
 */
function buildMessageData(p: Payload): Obj {
  switch (p.dataType) {
    case "text":
      return { text_data: utf8.decode(p.body) };
    case "json":
      return { json_data: p.body.length === 0 ? "null" : utf8.decode(p.body) };
    case "binary":
      return { binary_data: p.body };
    case "protobuf": {
      try {
        const any = AnyMessage.decode(p.body);
        if (Buffer.from(AnyMessage.encode(any).finish()).equals(p.body)) return { protobuf_data: any };
      } catch {
        // not an Any: below
      }
      return { binary_data: p.body };
    }
  }
}

function streamInfo(info: StreamInfo): Obj {
  const s: Obj = { stream_id: info.streamId, stream_sequence_id: info.streamSequenceId };
  if (info.endOfStream) s.end_of_stream = true;
  if (info.error) s.error = { name: info.error.name, message: info.error.message ?? "", user_error_code: info.error.userErrorCode ?? "" };
  return s;
}

function downstream(frame: DownstreamFrame): Obj | undefined {
  switch (frame.type) {
    case "connected": {
      const c: Obj = { connection_id: frame.connectionId };
      if (frame.userId !== undefined) c.user_id = frame.userId;
      if (frame.reconnectionToken !== undefined) c.reconnection_token = frame.reconnectionToken;
      return { system_message: { connected_message: c } };
    }
    case "disconnected":
      return { system_message: { disconnected_message: { reason: frame.message } } };
    case "ack":
      return { ack_message: frame.error ? { ack_id: frame.ackId, success: false, error: frame.error } : { ack_id: frame.ackId, success: true } };
    case "message": {
      const d: Obj = { from: frame.source.from };
      const stream = frame.source.from === "group" ? frame.source.stream : undefined;
      // the last fragment of a group stream carries no data (as on JSON)
      if (!stream?.endOfStream) d.data = messageData(frame.payload);
      if (frame.source.from === "group") d.group = frame.source.group;
      if (frame.sequenceId !== undefined) d.sequence_id = frame.sequenceId;
      if (stream) d.stream = streamInfo(stream);
      return { data_message: d };
    }
    case "pong":
      return { pong_message: {} };
    case "streamAck":
      return { stream_ack_message: { stream_id: frame.streamId, expected_sequence_id: frame.expectedSequenceId } };
    case "streamNack":
      return { stream_nack_message: { stream_id: frame.streamId, name: frame.name, message: frame.message, expected_sequence_id: frame.expectedSequenceId } };
    case "streamClosed":
      return { stream_closed_message: frame.error ? { stream_id: frame.streamId, error: frame.error } : { stream_id: frame.streamId } };
    default:
      return undefined; // invokeResponse: the protobuf subprotocols define no invoke
  }
}

function encode(frame: DownstreamFrame): WireData | undefined {
  const obj = downstream(frame);
  if (!obj) return undefined;
  const bytes = DownstreamMessage.encode(DownstreamMessage.fromObject(obj)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function makeProtobufCodec(reliable: boolean): Codec {
  return { reliable, framed: true, decode, encode };
}

export const protobufCodec: Codec = makeProtobufCodec(false);
export const reliableProtobufCodec: Codec = makeProtobufCodec(true);

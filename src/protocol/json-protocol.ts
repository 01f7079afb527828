// The JSON subprotocols (`json.webpubsub.azure.v1` and its reliable twin): one frame is
// one JSON object. Parsing validates every field it reads and returns null for frames it
// does not understand, so a hostile server can neither throw nor inject odd shapes.
import type {
  AckMessageError,
  JSONTypes,
  MessageContent,
  StreamInfo,
  WebPubSubClientProtocol,
  WebPubSubDataType,
  WebPubSubMessage,
} from "../types/messages.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { decodeUtf8 } from "./utf8.js";
import { DATA_TYPES } from "../utils/validate.js";

type Frame = Record<string, unknown>;


const isString = (v: unknown): v is string => typeof v === "string";
/** `v` when it is a string, else undefined. */
const str = (v: unknown): string => (isString(v) ? v : (undefined as unknown as string));
const isSequenceId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

const errorDetail = (v: unknown): AckMessageError | undefined =>
  v !== null && typeof v === "object" ? { name: str((v as Frame).name) ?? "Unknown", message: str((v as Frame).message) ?? "" } : undefined;

/** Decodes `data` for its dataType; `undefined` means the pair is malformed. */
const decodeData = (dataType: WebPubSubDataType, data: unknown): JSONTypes | ArrayBuffer | undefined =>
  dataType === "text" ? str(data) : dataType === "json" ? (data as JSONTypes) : isString(data) ? (decodeBase64(data) ?? undefined) : undefined;

const encodeData = (dataType: WebPubSubDataType | undefined, data: MessageContent | undefined): unknown =>
  (dataType === "binary" || dataType === "protobuf") && data !== undefined ? encodeBase64(data as ArrayBuffer | ArrayBufferView) : dataType && data;

const dataTypeOf = (v: unknown): WebPubSubDataType | undefined =>
  v === undefined ? "json" : DATA_TYPES.includes(v) ? (v as WebPubSubDataType) : undefined;

function parseDataMessage(f: Frame, reliable: boolean): WebPubSubMessage | null {
  const dataType = dataTypeOf(f.dataType);
  if (!dataType) return null;
  // group streams: a fragment carries `stream`; the last one may carry no data
  const stream = f.stream as StreamInfo | undefined;
  if (stream !== undefined && !isStreamInfo(stream as unknown as Frame)) return null;
  const data = decodeData(dataType, f.data) as JSONTypes | ArrayBuffer;
  if (data === undefined && !(stream?.endOfStream && f.data === undefined)) return null;
  // A sequenceId that is not a positive integer is noise: never delivered as if valid.
  if (reliable && f.sequenceId !== undefined && !isSequenceId(f.sequenceId)) return null;
  const sequenceId = reliable ? (f.sequenceId as number | undefined) : undefined;
  if (f.from === "server") return { kind: "serverData", dataType, data, sequenceId };
  if (f.from === "group" && isString(f.group)) {
    return {
      kind: "groupData",
      group: f.group,
      fromUserId: str(f.fromUserId),
      dataType,
      data,
      sequenceId,
      stream,
    };
  }
  return null;
}

// ---- group streams (PROTOCOL.md §10): malformed stream frames are dropped whole
const isOptString = (v: unknown): boolean => v === undefined || isString(v);
/** An absent or well-formed stream error ({ name, message?, userErrorCode? }). */
const isStreamError = (e: Frame | undefined): boolean =>
  e === undefined || (isString(e?.name) && isOptString(e.message) && isOptString(e.userErrorCode));
const isStreamInfo = (s: Frame): boolean =>
  isString(s?.streamId) && isSequenceId(s.streamSequenceId) && typeof (s.endOfStream ?? false) === "boolean" && isStreamError(s.error as Frame);
const isStreamFrame = (f: Frame): boolean =>
  isString(f.streamId) &&
  isStreamError(f.error as Frame) &&
  (f.type === "streamClosed" || (isSequenceId(f.expectedSequenceId) && (f.type === "streamAck" || (isString(f.name) && isOptString(f.message)))));
// ---- end group streams

function parseFrame(f: Frame, reliable: boolean): WebPubSubMessage | null {
  switch (f.type) {
    case "message":
      return parseDataMessage(f, reliable);
    case "ack":
      if (typeof f.ackId !== "number" || !Number.isSafeInteger(f.ackId)) return null;
      return { kind: "ack", ackId: f.ackId, success: f.success === true, error: errorDetail(f.error) };
    case "pong":
      return { kind: "pong" };
    case "system":
      if (f.event === "connected" && isString(f.connectionId)) {
        return {
          kind: "connected",
          connectionId: f.connectionId,
          userId: str(f.userId),
          reconnectionToken: str(f.reconnectionToken),
        };
      }
      if (f.event === "disconnected") return { kind: "disconnected", message: str(f.message) ?? "" };
      return null;
    case "invokeResponse": {
      if (!isString(f.invocationId)) return null;
      const success = f.success === true;
      const out: WebPubSubMessage = { kind: "invokeResponse", invocationId: f.invocationId, success };
      if (!success) out.error = errorDetail(f.error) ?? { name: "Unknown", message: "" };
      else if (f.data !== undefined) {
        const dataType = dataTypeOf(f.dataType);
        const data = dataType && decodeData(dataType, f.data);
        if (data === undefined) return null;
        out.dataType = dataType;
        out.data = data;
      }
      return out;
    }
    case "streamAck":
    case "streamNack":
    case "streamClosed":
      return isStreamFrame(f) ? ({ ...f, kind: f.type } as unknown as WebPubSubMessage) : null;
    default:
      return null;
  }
}

/** Messages a client may send; each message's fields are the frame's, under `type`. */
const SENDABLE = ["joinGroup", "leaveGroup", "sendToGroup", "streamData", "streamEnd", "sendEvent", "invoke", "cancelInvocation", "sequenceAck", "ping"];

function toFrame(m: WebPubSubMessage): Frame {
  const { kind, ...f } = m as unknown as Frame & { kind: string; dataType?: WebPubSubDataType; data?: MessageContent; stream?: StreamInfo & { idleTimeoutInMs?: number } };
  if (!SENDABLE.includes(kind)) throw new TypeError(`a client cannot send a "${kind}" message`);
  const { stream, dataType } = f;
  // a streamData with no dataType is a keep-alive: just type and streamId
  return {
    type: kind === "sendEvent" ? "event" : kind,
    target: kind === "invoke" ? "event" : undefined,
    ...f,
    data: encodeData(dataType, f.data),
    stream: stream && { streamId: stream.streamId, idleTimeoutMs: stream.idleTimeoutInMs },
  };
}

function createJsonProtocol(name: string, reliable: boolean): WebPubSubClientProtocol {
  return {
    name,
    isReliableSubProtocol: reliable,
    parseMessages(input) {
      let value: unknown;
      try {
        value = JSON.parse(typeof input === "string" ? input : decodeUtf8(input));
      } catch {
        return null;
      }
      return value !== null && typeof value === "object" && !Array.isArray(value)
        ? parseFrame(value as Frame, reliable)
        : null;
    },
    writeMessage(message) {
      return JSON.stringify(toFrame(message));
    },
  };
}

/** `json.webpubsub.azure.v1`: no sequence ids, no recovery. */
export const WebPubSubJsonProtocol = (): WebPubSubClientProtocol => createJsonProtocol("json.webpubsub.azure.v1", false);

/** `json.reliable.webpubsub.azure.v1`: sequence ids, sequenceAck and recovery. The default. */
export const WebPubSubJsonReliableProtocol = (): WebPubSubClientProtocol =>
  createJsonProtocol("json.reliable.webpubsub.azure.v1", true);

// The group-stream part of the channel between tabs and the holder (wire.ts has the rest):
// a tab's stream frames for the service, the service's answers routed back to the tab that
// opened the stream, and stream fragments on their way to the tabs. As everywhere on the
// channel nothing is trusted: each check below returns a fresh object built from the
// fields it accepted (never the sender's object), or undefined.
import type {
  StreamAckMessage,
  StreamClosedMessage,
  StreamDataMessage,
  StreamEndMessage,
  StreamInfo,
  StreamNackMessage,
  SendToGroupMessage,
  WebPubSubDataType,
} from "../types/messages.js";

/** Most stream ids a tab announces in a `hello` (its open streams, for a new holder). */
export const WIRE_MAX_STREAMS = 256;
/** Longest id, group, event name, invocation id, URL or error text the channel accepts. */
export const WIRE_MAX_TEXT = 4096;

/** What a tab asks the holder to write on the socket: a stream's start, data, keep-alive or end. */
export type StreamFrame = SendToGroupMessage | StreamDataMessage | StreamEndMessage;
/** What the holder hands the tab that opened the stream. */
export type StreamReply = StreamAckMessage | StreamNackMessage | StreamClosedMessage;

// The channel's primitive checks (wire.ts, reload-store.ts and worker-host.ts use them too).
export type Obj = Record<string, unknown>;
export const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
/** An id, group, name or URL: not empty, bounded. */
export const wireText = (x: unknown): x is string => typeof x === "string" && x.length > 0 && x.length <= WIRE_MAX_TEXT;
/** Free text (error messages): may be empty, bounded. */
export const wireNote = (x: unknown): x is string => typeof x === "string" && x.length <= WIRE_MAX_TEXT;
const optNote = (x: unknown): boolean => x === undefined || wireNote(x);
export const uint = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
export const DATA_TYPES = new Set(["text", "json", "binary", "protobuf"]);

/** Content after structured cloning, as the client's checks take it. */
export function wireContent(dataType: unknown, data: unknown): dataType is WebPubSubDataType {
  if (typeof dataType !== "string" || !DATA_TYPES.has(dataType)) return false;
  if (dataType === "text") return typeof data === "string";
  if (dataType === "binary" || dataType === "protobuf") return data instanceof ArrayBuffer || ArrayBuffer.isView(data);
  return data !== undefined && typeof data !== "function";
}

const clean = <T extends Obj>(o: T): T => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
};

/** A tab's stream frame, rebuilt; undefined for anything else. */
export function streamFrame(x: unknown): StreamFrame | undefined {
  if (!isObj(x) || !wireText(x.kind === "sendToGroup" ? (x.stream as Obj | undefined)?.streamId : x.streamId)) return undefined;
  switch (x.kind) {
    case "sendToGroup": {
      const s = x.stream as Obj;
      const idle = s.idleTimeoutInMs;
      if (!wireText(x.group) || typeof x.noEcho !== "boolean" || x.data !== undefined || x.dataType !== undefined || x.ackId !== undefined) return undefined;
      if (idle !== undefined && !(uint(idle) && idle > 0)) return undefined;
      return { kind: "sendToGroup", group: x.group, noEcho: x.noEcho, stream: clean({ streamId: s.streamId as string, idleTimeoutInMs: idle as number | undefined }) };
    }
    case "streamData":
      if (x.streamSequenceId === undefined && x.dataType === undefined && x.data === undefined) return { kind: "streamData", streamId: x.streamId as string };
      if (!uint(x.streamSequenceId) || x.streamSequenceId < 1 || !wireContent(x.dataType, x.data)) return undefined;
      return { kind: "streamData", streamId: x.streamId as string, streamSequenceId: x.streamSequenceId, dataType: x.dataType, data: x.data as never };
    case "streamEnd": {
      const e = x.error;
      if (e === undefined) return { kind: "streamEnd", streamId: x.streamId as string };
      if (!isObj(e) || !optNote(e.message) || !optNote(e.userErrorCode)) return undefined;
      return { kind: "streamEnd", streamId: x.streamId as string, error: clean({ message: e.message as string | undefined, userErrorCode: e.userErrorCode as string | undefined }) };
    }
    default:
      return undefined;
  }
}

/** The service's answer to a stream's publisher, rebuilt; undefined for anything else. */
export function streamReply(x: unknown): StreamReply | undefined {
  if (!isObj(x) || !wireText(x.streamId)) return undefined;
  const streamId = x.streamId;
  switch (x.kind) {
    case "streamAck":
      return uint(x.expectedSequenceId) ? { kind: "streamAck", streamId, expectedSequenceId: x.expectedSequenceId } : undefined;
    case "streamNack":
      if (!uint(x.expectedSequenceId) || !wireText(x.name) || !optNote(x.message)) return undefined;
      return clean<StreamNackMessage & Obj>({ kind: "streamNack", streamId, expectedSequenceId: x.expectedSequenceId, name: x.name, message: x.message as string | undefined });
    case "streamClosed": {
      const e = x.error;
      if (e === undefined) return { kind: "streamClosed", streamId };
      if (!isObj(e) || !wireText(e.name) || !optNote(e.message)) return undefined;
      return { kind: "streamClosed", streamId, error: clean({ name: e.name, message: e.message as string | undefined }) };
    }
    default:
      return undefined;
  }
}

/** The `stream` of a fragment on its way to the tabs: well formed, or not a fragment at all. */
export function streamInfo(x: unknown): x is StreamInfo {
  if (!isObj(x) || !wireText(x.streamId) || !uint(x.streamSequenceId) || x.streamSequenceId < 1) return false;
  if (x.endOfStream !== undefined && typeof x.endOfStream !== "boolean") return false;
  const e = x.error;
  return e === undefined || (isObj(e) && wireText(e.name) && optNote(e.message) && optNote(e.userErrorCode));
}

/** The stream ids of a `hello` (absent: none). */
export function streamIds(x: unknown): boolean {
  return x === undefined || (Array.isArray(x) && x.length <= WIRE_MAX_STREAMS && x.every(wireText));
}

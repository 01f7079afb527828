/** Group-stream frames on the JSON subprotocols (PROTOCOL §10): parsing what publishers send, building what the service sends. */
import type { StreamFrame, StreamInfo, StreamRequest } from "./codec";
import { isDataType, payloadFromFrameData } from "./payload";

/** The largest `idleTimeoutMs` a stream may ask for (1 hour); the default is 300000. */
export const MAX_STREAM_IDLE_TIMEOUT_MS = 3_600_000;

type Obj = Record<string, unknown>;

/** Whether a stream start may ask for this idle timeout (an integer from 1 to {@link MAX_STREAM_IDLE_TIMEOUT_MS}), on either subprotocol family. */
export function isStreamIdleTimeoutMs(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1 && value <= MAX_STREAM_IDLE_TIMEOUT_MS;
}

function streamIdOf(value: unknown, where: string): string {
  if (typeof value !== "string" || value.length === 0) throw `'streamId' must be a non-empty string in ${where}.`;
  return value;
}

const optionalString = (v: unknown): boolean => v === undefined || typeof v === "string";

/**
 * A stream request from a parsed JSON frame (`sendToGroup` with `stream`, `streamData`,
 * `streamEnd`), or a string saying why it is malformed (the connection is then closed 1008).
 */
export function parseStreamRequest(obj: Obj, group: string | undefined, noEcho: boolean): StreamRequest | string {
  try {
    switch (obj.type) {
      case "sendToGroup": {
        const s = obj.stream as Obj;
        if (typeof s !== "object" || s === null || Array.isArray(s)) return "'stream' must be an object in a 'sendToGroup' message.";
        if (obj.data !== undefined || obj.dataType !== undefined || obj.ackId !== undefined) {
          return "a stream start ('sendToGroup' with 'stream') carries no 'data', 'dataType' or 'ackId'.";
        }
        const idle = s.idleTimeoutMs;
        if (idle !== undefined && idle !== null && !isStreamIdleTimeoutMs(idle)) {
          return `'stream.idleTimeoutMs' must be an integer from 1 to ${MAX_STREAM_IDLE_TIMEOUT_MS}.`;
        }
        const start: StreamRequest = { type: "streamStart", group: group!, noEcho, streamId: streamIdOf(s.streamId, "a stream start") };
        if (typeof idle === "number") start.idleTimeoutMs = idle;
        return start;
      }
      case "streamData": {
        const streamId = streamIdOf(obj.streamId, "a 'streamData' message");
        const seq = obj.streamSequenceId;
        if (seq === undefined && obj.data === undefined && obj.dataType === undefined) return { type: "streamData", streamId }; // keep-alive
        if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) {
          return "'streamSequenceId' must be a positive integer in a 'streamData' message that carries data.";
        }
        const dataType = obj.dataType ?? "json";
        if (!isDataType(dataType)) return "'dataType' must be one of text, json, binary, protobuf in a 'streamData' message.";
        if (obj.data === undefined) return "'data' is required in a 'streamData' message with a 'streamSequenceId'.";
        const payload = payloadFromFrameData(dataType, obj.data);
        if (typeof payload === "string") return `${payload} in a 'streamData' message.`;
        return { type: "streamData", streamId, streamSequenceId: seq, payload };
      }
      case "streamEnd": {
        const streamId = streamIdOf(obj.streamId, "a 'streamEnd' message");
        const e = obj.error as Obj | undefined;
        if (e === undefined || e === null) return { type: "streamEnd", streamId };
        if (typeof e !== "object" || Array.isArray(e) || !optionalString(e.message) || !optionalString(e.userErrorCode)) {
          return "'error' must be an object with optional string 'message' and 'userErrorCode' in a 'streamEnd' message.";
        }
        return { type: "streamEnd", streamId, error: { message: e.message as string | undefined, userErrorCode: e.userErrorCode as string | undefined } };
      }
      default:
        return `Unknown message type '${String(obj.type)}'.`;
    }
  } catch (reason) {
    return String(reason);
  }
}

/** The JSON form of a stream frame for the publisher. */
export function streamFrameJson(frame: StreamFrame): string {
  return JSON.stringify(frame);
}

/** The `stream` field of a fragment delivered to subscribers (keys in wire order). */
export function streamInfoJson(info: StreamInfo): Obj {
  const out: Obj = { streamId: info.streamId, streamSequenceId: info.streamSequenceId };
  if (info.endOfStream) out.endOfStream = true;
  if (info.error) out.error = info.error;
  return out;
}

// Client → service: `UpstreamMessage` (PROTOCOL.md §11). Field numbers are those of the
// public schema; optional fields (`ack_id`, `no_echo`, `stream_sequence_id`) are written
// whenever they are set, even to 0 or false, so presence survives the trip.
import { bytesOf } from "../protocol/base64.js";
import type { MessageContent, WebPubSubDataType, WebPubSubMessage } from "../types/messages.js";
import { checkAny } from "./any.js";
import { utf8 } from "./utf8.js";
import { encodeMessage, uint, type Field } from "./wire.js";

/** Appends `[no, value]` when `value` is set. */
function opt(fields: Field[], no: number, value: Field[1] | undefined): Field[] {
  if (value !== undefined) fields.push([no, value]);
  return fields;
}

/** A proto3 string field, left out when empty (its default). */
const str = (fields: Field[], no: number, s: string | undefined): Field[] => opt(fields, no, s ? utf8(s) : undefined);

const ackId = (v: number | undefined): number | undefined => (v === undefined ? v : uint(v, "ackId"));

/** `MessageData`: the oneof case that carries `dataType`. */
function messageData(dataType: WebPubSubDataType, data: MessageContent): Field[] {
  switch (dataType) {
    case "text":
      return [[1, utf8(data as string)]];
    case "binary":
      return [[2, bytesOf(data as ArrayBuffer)]];
    case "protobuf":
      return [[3, checkAny(bytesOf(data as ArrayBuffer))]];
    default: {
      const json = JSON.stringify(data);
      if (json === undefined) throw new TypeError(`"json" content must be a JSON value`);
      return [[4, utf8(json)]];
    }
  }
}

const withData = (fields: Field[], no: number, dataType?: WebPubSubDataType, data?: MessageContent): Field[] =>
  opt(fields, no, dataType !== undefined && data !== undefined ? messageData(dataType, data) : undefined);

/** The oneof case number and body of `m`; throws a TypeError for what protobuf cannot carry. */
function upstream(m: WebPubSubMessage): Field {
  switch (m.kind) {
    case "sendToGroup": {
      const f = withData(str([], 1, m.group), 3, m.dataType, m.data);
      opt(f, 2, ackId(m.ackId));
      opt(f, 4, m.noEcho);
      if (m.stream) f.push([7, opt(str([], 1, m.stream.streamId), 2, m.stream.idleTimeoutInMs)]);
      return [1, f];
    }
    case "sendEvent":
      return [5, opt(withData(str([], 1, m.event), 2, m.dataType, m.data), 3, ackId(m.ackId))];
    case "joinGroup":
    case "leaveGroup":
      return [m.kind === "joinGroup" ? 6 : 7, opt(str([], 1, m.group), 2, ackId(m.ackId))];
    case "sequenceAck":
      return [8, m.sequenceId ? [[1, uint(m.sequenceId, "sequenceId")]] : []];
    case "ping":
      return [9, []];
    case "streamData": {
      const seq = m.streamSequenceId;
      return [13, withData(opt(str([], 1, m.streamId), 2, seq === undefined ? seq : uint(seq, "streamSequenceId")), 3, m.dataType, m.data)];
    }
    case "streamEnd": {
      const f = str([], 1, m.streamId);
      if (m.error) f.push([2, str(str([], 1, m.error.message), 2, m.error.userErrorCode)]);
      return [14, f];
    }
    case "invoke":
    case "cancelInvocation":
      throw new TypeError(`the protobuf subprotocols define no "${m.kind}" request; use sendEvent, or a JSON subprotocol for invokeEvent`);
    default:
      throw new TypeError(`a client cannot send a "${m.kind}" message`);
  }
}

/** One `UpstreamMessage` frame for `m`. */
export function writeUpstream(m: WebPubSubMessage): ArrayBuffer {
  const bytes = encodeMessage([upstream(m)]);
  return bytes.buffer as ArrayBuffer;
}

/** The JSON subprotocols as a {@link Codec}: `json.webpubsub.azure.v1` and its reliable variant. */
import type { Codec, DownstreamFrame, WireData } from "./codec";
import { ackFrame, connectedFrame, disconnectedFrame, invokeResponseFrame, messageFrame, pongFrame } from "./json-frames";
import { parseClientFrame } from "./json-requests";
import { streamFrameJson } from "./json-streams";

function encode(frame: DownstreamFrame): WireData {
  switch (frame.type) {
    case "connected":
      return connectedFrame(frame.connectionId, frame.userId, frame.reconnectionToken);
    case "disconnected":
      return disconnectedFrame(frame.message);
    case "ack":
      return ackFrame(frame.ackId, frame.error);
    case "message":
      return messageFrame(frame.sequenceId, frame.source, frame.payload);
    case "pong":
      return pongFrame();
    case "invokeResponse":
      return invokeResponseFrame(frame.invocationId, frame.result);
    case "streamAck":
    case "streamNack":
    case "streamClosed":
      return streamFrameJson(frame);
  }
}

function makeJsonCodec(reliable: boolean): Codec {
  return {
    reliable,
    framed: true,
    decode(data, isBinary) {
      // JSON may arrive as a text frame or as UTF-8 in a binary frame (PROTOCOL §3).
      const parsed = parseClientFrame(isBinary ? data : data.toString("utf8"));
      return parsed.ok ? { ok: true, request: parsed.frame } : parsed;
    },
    encode,
  };
}

export const jsonCodec: Codec = makeJsonCodec(false);
export const reliableJsonCodec: Codec = makeJsonCodec(true);

/**
 * Simple WebSocket clients (no PubSub subprotocol, PROTOCOL §6) as a {@link Codec}: what they
 * send is raw data (an upstream `message` event); they receive only data, text and JSON as text
 * frames, binary and protobuf as binary frames, and no system frames, acks or pongs.
 */
import type { Codec } from "./codec";

export const rawCodec: Codec = {
  reliable: false,
  framed: false,
  decode(data, isBinary) {
    return { ok: true, request: { type: "message", payload: { dataType: isBinary ? "binary" : "text", body: data } } };
  },
  encode(frame) {
    if (frame.type !== "message" || (frame.source.from === "group" && frame.source.stream?.endOfStream)) return undefined;
    const { payload } = frame;
    return payload.dataType === "text" || payload.dataType === "json" ? payload.body.toString("utf8") : payload.body;
  },
};

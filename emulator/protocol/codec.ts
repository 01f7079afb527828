/**
 * The codec seam: how one subprotocol turns WebSocket messages into requests, and downstream
 * frames into what is written on the socket. Everything above this file (sessions, requests,
 * REST) works with the codec-neutral shapes below; message data travels as a {@link Payload}
 * (a data type plus bytes), never as one wire form.
 *
 * Implementations: `json-codec.ts` (JSON and reliable JSON, PROTOCOL §3-§5) and `raw-codec.ts`
 * (simple WebSocket clients, §6). A protobuf codec (§11) and group-stream frames (§10) plug in here.
 */
import type { Payload } from "./payload";

/** The error object of a failed ack or invocation (PROTOCOL §4). */
export interface AckError {
  name: string;
  message: string;
}

/** Who a data message is from, as its recipients see it (PROTOCOL §4). */
export type MessageSource = { from: "server" } | { from: "group"; group: string; fromUserId?: string; stream?: StreamInfo };

// ---- group streams (PROTOCOL §10)
/** Why a stream ended badly, as subscribers and the publisher see it. */
export interface StreamError {
  name: string;
  message?: string;
  userErrorCode?: string;
}

/** The `stream` object of a fragment delivered to subscribers; the last one has `endOfStream` (and no payload). */
export interface StreamInfo {
  streamId: string;
  streamSequenceId: number;
  endOfStream?: boolean;
  error?: StreamError;
}

/** The stream requests a publisher sends. A `streamData` without `streamSequenceId` is a keep-alive. */
export type StreamRequest =
  | { type: "streamStart"; group: string; noEcho: boolean; streamId: string; idleTimeoutMs?: number }
  | { type: "streamData"; streamId: string; streamSequenceId?: number; payload?: Payload }
  | { type: "streamEnd"; streamId: string; error?: { message?: string; userErrorCode?: string } };

/** What the service answers a publisher. */
export type StreamFrame =
  | { type: "streamAck"; streamId: string; expectedSequenceId: number }
  | { type: "streamNack"; streamId: string; expectedSequenceId: number; name: string; message: string }
  | { type: "streamClosed"; streamId: string; error?: AckError };
// ---- end group streams

/** A request a client sent, decoded. `message` is what a simple WebSocket client sends (raw data). */
export type ClientRequest =
  | { type: "joinGroup"; group: string; ackId?: number }
  | { type: "leaveGroup"; group: string; ackId?: number }
  | { type: "sendToGroup"; group: string; ackId?: number; noEcho: boolean; payload: Payload }
  | { type: "event"; event: string; ackId?: number; payload: Payload }
  | { type: "sequenceAck"; sequenceId: number }
  | { type: "ping" }
  | { type: "invoke"; invocationId: string; target: string; event: string; payload: Payload }
  | { type: "cancelInvocation"; invocationId: string }
  | { type: "invokeResponse"; invocationId: string }
  | { type: "message"; payload: Payload }
  | StreamRequest;

/** A decoded request, or why the message is a protocol violation (the service closes with 1008). */
export type DecodeResult = { ok: true; request: ClientRequest } | { ok: false; reason: string };

/** A frame the service sends, before encoding. `sequenceId` is set on reliable subprotocols only. */
export type DownstreamFrame =
  | { type: "connected"; connectionId: string; userId?: string; reconnectionToken?: string }
  | { type: "disconnected"; message: string }
  | { type: "ack"; ackId: number; error?: AckError }
  | { type: "message"; sequenceId?: number; source: MessageSource; payload: Payload }
  | { type: "pong" }
  | { type: "invokeResponse"; invocationId: string; result: { payload?: Payload } | { error: AckError } }
  | StreamFrame;

/** What goes on the socket: a string is sent as a text frame, a Buffer as a binary frame. */
export type WireData = string | Buffer;

export interface Codec {
  /** Whether data messages are numbered and kept until acknowledged (PROTOCOL §5). */
  readonly reliable: boolean;
  /** Whether the subprotocol carries system frames, acks and pongs (false: simple clients). */
  readonly framed: boolean;
  /** One WebSocket message, text (`isBinary` false) or binary. Never throws. */
  decode(data: Buffer, isBinary: boolean): DecodeResult;
  /** The wire form of a frame, or `undefined` when this subprotocol does not carry it. */
  encode(frame: DownstreamFrame): WireData | undefined;
}

/** The size a frame occupies on the wire (for the outgoing-data bounds). */
export function wireBytes(data: WireData): number {
  return typeof data === "string" ? Buffer.byteLength(data) : data.length;
}

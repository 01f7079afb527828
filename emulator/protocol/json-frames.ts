/** Builders for the frames the service sends on the JSON subprotocols (PROTOCOL §4). */
import type { AckError, MessageSource } from "./codec";
import { streamInfoJson } from "./json-streams";
import { payloadJsonFragment, type Payload } from "./payload";

export type { AckError } from "./codec";

export function connectedFrame(connectionId: string, userId: string | undefined, reconnectionToken: string | undefined): string {
  return JSON.stringify({ type: "system", event: "connected", userId, connectionId, reconnectionToken });
}

export function disconnectedFrame(message: string): string {
  return JSON.stringify({ type: "system", event: "disconnected", message });
}

export function ackFrame(ackId: number, error?: AckError): string {
  return error ? JSON.stringify({ type: "ack", ackId, success: false, error }) : JSON.stringify({ type: "ack", ackId, success: true });
}

export function pongFrame(): string {
  return '{"type":"pong"}';
}

/** A message frame; `sequenceId` only on reliable subprotocols. */
export function messageFrame(
  sequenceId: number | undefined,
  source: MessageSource,
  payload: Payload,
): string {
  const head: Record<string, unknown> = sequenceId === undefined ? {} : { sequenceId };
  head.type = "message";
  head.from = source.from;
  if (source.from === "group") {
    head.group = source.group;
    if (source.fromUserId !== undefined) head.fromUserId = source.fromUserId;
    // group streams: a fragment names its stream; the last one carries no data, but a
    // dataType (@azure/web-pubsub-client 1.1.0 drops group messages that have none)
    if (source.stream) {
      head.stream = streamInfoJson(source.stream);
      if (source.stream.endOfStream) return JSON.stringify({ ...head, dataType: "json" });
    }
  }
  head.dataType = payload.dataType;
  const headJson = JSON.stringify(head);
  return `${headJson.slice(0, -1)},"data":${payloadJsonFragment(payload)}}`;
}

export function invokeResponseFrame(invocationId: string, result: { payload?: Payload } | { error: AckError }): string {
  if ("error" in result) return JSON.stringify({ type: "invokeResponse", invocationId, success: false, error: result.error });
  const head = JSON.stringify({ type: "invokeResponse", invocationId, success: true, ...(result.payload ? { dataType: result.payload.dataType } : {}) });
  if (!result.payload) return head;
  return `${head.slice(0, -1)},"data":${payloadJsonFragment(result.payload)}}`;
}

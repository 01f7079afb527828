/**
 * Group streams (PROTOCOL §10), codec-neutral: a publisher opens a stream to a group, sends
 * numbered fragments, and ends it; each fragment reaches the group's current members as an
 * ordinary (sequenced, reliably delivered) group message carrying a `stream` object.
 *
 * - Start: needs the group's `sendToGroup` role; answered `streamAck` (expectedSequenceId 1).
 *   A start for a stream this connection already has open is answered the same way (a
 *   publisher resends its start after a recovery).
 * - Data: the expected id is published and acknowledged (acks are cumulative and batched: one
 *   per stream per turn of the event loop); a lower id is a duplicate, dropped but acknowledged;
 *   a higher one is answered `streamNack` `InvalidSequenceId` with the expected id.
 * - A data frame without `streamSequenceId` is a keep-alive; any frame resets the idle timer.
 * - End: subscribers get the end (with `UserError` when the publisher aborted); the publisher
 *   gets a final `streamAck` and `streamClosed`. A repeated end is answered with the same
 *   `streamClosed` again (a publisher resends its end after a recovery) and publishes nothing.
 * - Idle timeout, revoked role, the publisher's session gone: subscribers get the end with
 *   `IdleTimeout`, `Forbidden` or `Cancelled`; the publisher (if still there) `streamClosed`
 *   with that error.
 * - Frames for a stream the connection never opened: `streamClosed` `StreamNotFound`.
 *
 * Bounds: MAX_OPEN_STREAMS per connection (a start beyond it is refused `BadRequest`), stream
 * ids of at most MAX_STREAM_ID_LENGTH characters (a longer one is refused `BadRequest`);
 * MAX_CLOSED_STREAMS closed stream ids remembered per connection (oldest forgotten first).
 */
import type { AckError, StreamError, StreamRequest } from "../protocol/codec";
import { groupNameError } from "../protocol/names";
import type { Payload } from "../protocol/payload";
import type { Connection } from "./connection";
import type { Hub } from "./hub";

export const MAX_OPEN_STREAMS = 64;
export const MAX_CLOSED_STREAMS = 256;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
/** A stream id longer than this is refused at start (`BadRequest`). */
export const MAX_STREAM_ID_LENGTH = 128;

interface OpenStream {
  id: string;
  group: string;
  noEcho: boolean;
  /** The next streamSequenceId to publish. */
  expected: number;
  idleMs: number;
  timer: NodeJS.Timeout;
  ackPending: boolean;
}

interface Streams {
  open: Map<string, OpenStream>;
  /** Closed stream ids and the error they closed with (undefined: cleanly). */
  closed: Map<string, AckError | undefined>;
}

/** What the stream logic needs from the service. */
export interface StreamHost {
  hubOf(conn: Connection): Hub;
  log(line: string): void;
}

const registry = new WeakMap<Connection, Streams>();

function streamsOf(conn: Connection): Streams {
  let s = registry.get(conn);
  if (!s) registry.set(conn, (s = { open: new Map(), closed: new Map() }));
  return s;
}

const EMPTY: Payload = { dataType: "text", body: Buffer.alloc(0) };

function publish(host: StreamHost, conn: Connection, s: OpenStream, payload: Payload, streamSequenceId: number, end?: { error?: StreamError }): void {
  const hub = host.hubOf(conn);
  const stream = end ? { streamId: s.id, streamSequenceId, endOfStream: true, ...(end.error ? { error: end.error } : {}) } : { streamId: s.id, streamSequenceId };
  const source = conn.userId === undefined ? { from: "group" as const, group: s.group, stream } : { from: "group" as const, group: s.group, fromUserId: conn.userId, stream };
  hub.deliver(hub.groupMembers(s.group), source, payload, s.noEcho ? new Set([conn.id]) : undefined);
}

function remember(streams: Streams, id: string, error: AckError | undefined): void {
  streams.closed.delete(id);
  streams.closed.set(id, error);
  if (streams.closed.size > MAX_CLOSED_STREAMS) streams.closed.delete(streams.closed.keys().next().value!);
}

/** Ends an open stream: subscribers get the end (with `subscriberError`), the publisher `streamClosed` (with `error`). */
function close(host: StreamHost, conn: Connection, s: OpenStream, subscriberError: StreamError | undefined, error: AckError | undefined): void {
  const streams = streamsOf(conn);
  if (streams.open.get(s.id) !== s) return;
  streams.open.delete(s.id);
  clearTimeout(s.timer);
  remember(streams, s.id, error);
  try {
    publish(host, conn, s, EMPTY, s.expected, { error: subscriberError });
  } catch (err) {
    host.log(`stream ${s.id} of ${conn.id}: publishing its end failed: ${String(err)}`);
  }
  if (!conn.ended) {
    if (!error) conn.send({ type: "streamAck", streamId: s.id, expectedSequenceId: s.expected });
    conn.send(error ? { type: "streamClosed", streamId: s.id, error } : { type: "streamClosed", streamId: s.id });
  }
}

function touch(host: StreamHost, conn: Connection, s: OpenStream): void {
  clearTimeout(s.timer);
  s.timer = setTimeout(() => {
    const message = `No stream frame within ${s.idleMs} ms.`;
    close(host, conn, s, { name: "IdleTimeout", message }, { name: "IdleTimeout", message });
  }, s.idleMs);
  s.timer.unref?.();
}

function scheduleAck(conn: Connection, s: OpenStream): void {
  if (s.ackPending) return;
  s.ackPending = true;
  setImmediate(() => {
    s.ackPending = false;
    if (streamsOf(conn).open.get(s.id) === s && !conn.ended) conn.send({ type: "streamAck", streamId: s.id, expectedSequenceId: s.expected });
  });
}

function notOpen(conn: Connection, streamId: string): void {
  const streams = streamsOf(conn);
  if (streams.closed.has(streamId)) {
    const error = streams.closed.get(streamId);
    conn.send(error ? { type: "streamClosed", streamId, error } : { type: "streamClosed", streamId });
    return;
  }
  conn.send({ type: "streamClosed", streamId, error: { name: "StreamNotFound", message: `The connection has no open stream '${streamId}'.` } });
}

const forbidden = (group: string): AckError => ({ name: "Forbidden", message: `The connection has no permission to send to group '${group}'.` });

/** Executes one stream request of `conn`. */
export function handleStreamRequest(host: StreamHost, conn: Connection, request: StreamRequest): void {
  const streams = streamsOf(conn);
  const streamId = request.streamId;
  const s = streams.open.get(streamId);
  try {
    switch (request.type) {
      case "streamStart": {
        if (s) {
          conn.send({ type: "streamAck", streamId, expectedSequenceId: s.expected });
          return;
        }
        const invalid = groupNameError(request.group);
        const refusal: AckError | undefined = invalid
          ? { name: "BadRequest", message: invalid }
          : streamId.length > MAX_STREAM_ID_LENGTH
            ? { name: "BadRequest", message: `A stream id has at most ${MAX_STREAM_ID_LENGTH} characters.` }
          : !conn.permissions.allows("sendToGroup", request.group)
            ? forbidden(request.group)
            : streams.open.size >= MAX_OPEN_STREAMS
              ? { name: "BadRequest", message: `The connection already has ${MAX_OPEN_STREAMS} open streams.` }
              : undefined;
        if (refusal) {
          conn.send({ type: "streamClosed", streamId, error: refusal });
          return;
        }
        streams.closed.delete(streamId);
        const idleMs = request.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
        const opened: OpenStream = { id: streamId, group: request.group, noEcho: request.noEcho, expected: 1, idleMs, timer: undefined as unknown as NodeJS.Timeout, ackPending: false };
        streams.open.set(streamId, opened);
        touch(host, conn, opened);
        conn.send({ type: "streamAck", streamId, expectedSequenceId: 1 });
        return;
      }
      case "streamData": {
        if (!s) {
          const error = streams.closed.get(streamId);
          // After its end, a resent fragment is a duplicate; anything else is an error.
          if (streams.closed.has(streamId) && error === undefined && request.streamSequenceId !== undefined) {
            conn.send({ type: "streamClosed", streamId, error: { name: "BadRequest", message: `Stream '${streamId}' has ended.` } });
            return;
          }
          notOpen(conn, streamId);
          return;
        }
        touch(host, conn, s);
        const seq = request.streamSequenceId;
        if (seq === undefined) return; // keep-alive
        if (seq < s.expected) return scheduleAck(conn, s); // duplicate
        if (seq > s.expected) {
          conn.send({ type: "streamNack", streamId, expectedSequenceId: s.expected, name: "InvalidSequenceId", message: `Expected fragment ${s.expected}, got ${seq}.` });
          return;
        }
        if (!conn.permissions.allows("sendToGroup", s.group)) {
          const error = forbidden(s.group);
          close(host, conn, s, error, error);
          return;
        }
        publish(host, conn, s, request.payload!, seq);
        s.expected++;
        scheduleAck(conn, s);
        return;
      }
      case "streamEnd": {
        if (!s) return notOpen(conn, streamId);
        const e = request.error;
        close(host, conn, s, e ? { name: "UserError", message: e.message ?? "", ...(e.userErrorCode !== undefined ? { userErrorCode: e.userErrorCode } : {}) } : undefined, undefined);
        return;
      }
    }
  } catch (err) {
    host.log(`stream ${streamId} of ${conn.id}: ${String(err)}`);
    const error = { name: "InternalServerError", message: "The service failed to handle the stream frame." };
    if (s) close(host, conn, s, error, error);
    else conn.send({ type: "streamClosed", streamId, error });
  }
}

/** The publisher's connection is gone for good: its open streams end with `Cancelled`. */
export function endStreamsOf(host: StreamHost, conn: Connection): void {
  const streams = registry.get(conn);
  if (!streams) return;
  for (const s of [...streams.open.values()]) close(host, conn, s, { name: "Cancelled", message: "The publisher's connection closed." }, undefined);
  registry.delete(conn);
}

// Service → client: `DownstreamMessage` (PROTOCOL.md §11). Unknown fields and unknown
// oneof cases are skipped (the frame is then ignored: null); a frame that is not valid
// protobuf, has a known field with the wrong wire type, an integer above 2^53 or
// `json_data` that is not JSON throws `ProtobufFrameError`, which the client logs and
// drops, so nothing wrong is ever delivered.
import type { JSONTypes, StreamInfo, WebPubSubDataType, WebPubSubMessage } from "../types/messages.js";
import { readAny } from "./any.js";
import { fromUtf8 } from "./utf8.js";
import { expect, ProtobufFrameError, Reader } from "./wire.js";

type Value = number | boolean | string | Uint8Array;
/** A decoded message by field number; [0] (no field has number 0) is the last known field seen: the oneof case. */
type Fields = Array<Value | undefined>;

/**
 * Reads a message whose schema is `kinds`: the character at index n is the kind of field
 * n: `i` uint (varint), `b` bool, `s` string, `m` bytes or a sub-message; others unknown.
 */
function read(bytes: Uint8Array, kinds: string): Fields {
  const out: Fields = [];
  const r = new Reader(bytes);
  for (let tag; (tag = r.next()) >= 0; ) {
    const no = Math.floor(tag / 8);
    const k = kinds[no];
    if (k === "i" || k === "b") {
      expect(tag, 0);
      const v = r.int();
      out[no] = k === "b" ? v !== 0 : v;
    } else if (k === "s" || k === "m") {
      expect(tag, 2);
      const b = r.bytes();
      out[no] = k === "s" ? fromUtf8(b) : b;
    } else {
      r.skip(tag);
      continue;
    }
    out[0] = no;
  }
  return out;
}

const S = (v: Value | undefined): string => (v as string | undefined) ?? "";
const N = (v: Value | undefined): number => (v as number | undefined) ?? 0;
const M = (v: Value | undefined): Uint8Array => (v as Uint8Array | undefined) ?? new Uint8Array(0);
/** A copy in an ArrayBuffer of its own (`new Uint8Array(view)` copies; Node's pooled views' `slice` would not). */
const own = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer as ArrayBuffer;

/** `MessageData`: its oneof case, or undefined when no known case is set. */
function messageData(bytes: Uint8Array): { dataType: WebPubSubDataType; data: JSONTypes | ArrayBuffer } | undefined {
  const d = read(bytes, " smms");
  const v = d[d[0] as number];
  switch (d[0]) {
    case 1:
      return { dataType: "text", data: v as string };
    case 2:
      return { dataType: "binary", data: own(v as Uint8Array) };
    case 3:
      readAny(v as Uint8Array); // a malformed Any makes the frame malformed
      return { dataType: "protobuf", data: own(v as Uint8Array) };
    case 4:
      try {
        return { dataType: "json", data: JSON.parse(v as string) as JSONTypes };
      } catch {
        throw new ProtobufFrameError("malformed protobuf frame: json_data is not JSON");
      }
  }
  return undefined;
}

function streamInfo(bytes: Uint8Array): StreamInfo {
  const s = read(bytes, " sibm");
  const info: StreamInfo = { streamId: S(s[1]), streamSequenceId: N(s[2]) };
  if (s[3]) info.endOfStream = true;
  if (s[4]) {
    const e = read(M(s[4]), " sss");
    info.error = { name: S(e[1]) };
    if (e[2]) info.error.message = e[2] as string;
    if (e[3]) info.error.userErrorCode = e[3] as string;
  }
  return info;
}

function dataMessage(bytes: Uint8Array, reliable: boolean): WebPubSubMessage | null {
  const f = read(bytes, " ssmi m");
  const payload = f[3] ? messageData(f[3] as Uint8Array) : undefined;
  const sequenceId = reliable && f[4] ? (f[4] as number) : undefined;
  if (f[1] === "server") {
    return payload ? { kind: "serverData", dataType: payload.dataType, data: payload.data, sequenceId } : null;
  }
  const stream = f[6] ? streamInfo(f[6] as Uint8Array) : undefined;
  // Only a stream fragment (e.g. the end of a stream) may come without data.
  if (f[1] !== "group" || f[2] === undefined || (!payload && !stream)) return null;
  const m: WebPubSubMessage = {
    kind: "groupData",
    group: f[2] as string,
    fromUserId: undefined as unknown as string,
    dataType: payload?.dataType as WebPubSubDataType,
    data: payload?.data as JSONTypes,
    sequenceId,
  };
  if (stream) m.stream = stream;
  return m;
}

const errorOf = (bytes: Uint8Array): { name: string; message: string } => {
  const e = read(bytes, " ss");
  return { name: S(e[1]), message: S(e[2]) };
};

/** Parses one `DownstreamMessage` frame. */
export function readDownstream(input: string | ArrayBuffer | Uint8Array, reliable: boolean): WebPubSubMessage | null {
  if (typeof input === "string") throw new ProtobufFrameError("malformed protobuf frame: a text frame");
  const top = read(input instanceof Uint8Array ? input : new Uint8Array(input), " mmmm mmm");
  const body = M(top[top[0] as number]);
  switch (top[0]) {
    case 1: {
      const a = read(body, " ibm");
      const ack: WebPubSubMessage = { kind: "ack", ackId: N(a[1]), success: a[2] === true };
      if (a[3]) ack.error = errorOf(a[3] as Uint8Array);
      return ack;
    }
    case 2:
      return dataMessage(body, reliable);
    case 3: {
      const sys = read(body, " mm");
      if (sys[0] === 1) {
        const c = read(M(sys[1]), " sss");
        if (!c[1]) return null;
        return {
          kind: "connected",
          connectionId: c[1] as string,
          userId: (c[2] || undefined) as string,
          reconnectionToken: (c[3] || undefined) as string,
        };
      }
      return sys[0] === 2 ? { kind: "disconnected", message: S(read(M(sys[2]), "  s")[2]) } : null;
    }
    case 4:
      return { kind: "pong" };
    case 6: {
      const a = read(body, " si");
      return { kind: "streamAck", streamId: S(a[1]), expectedSequenceId: N(a[2]) };
    }
    case 7: {
      const n = read(body, " sssi");
      return { kind: "streamNack", streamId: S(n[1]), name: S(n[2]), message: S(n[3]), expectedSequenceId: N(n[4]) };
    }
    case 8: {
      const c = read(body, " sm");
      const closed: WebPubSubMessage = { kind: "streamClosed", streamId: S(c[1]) };
      if (c[2]) closed.error = errorOf(c[2] as Uint8Array);
      return closed;
    }
  }
  return null;
}

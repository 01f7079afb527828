// Property tests: the client's hand-written codec against the service's protobufjs codec,
// both ways, with unknown fields and cases from a "future" schema, and hostile bytes.
import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { DownstreamMessage, UpstreamMessage, protobufCodec, reliableProtobufCodec } from "../../emulator/protocol/protobuf-codec";
import { WEBPUBSUB_PROTO } from "../../emulator/protocol/protobuf-schema";
import type { DownstreamFrame } from "../../emulator/protocol/codec";
import { encodeAny, ProtobufFrameError, WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index";
import type { WebPubSubMessage } from "../../src/types/messages";

const client = WebPubSubProtobufReliableProtocol();
const RUNS = { numRuns: 300, seed: 1212 } as const;

const str = fc.string({ unit: "binary", maxLength: 12 });
const streamId = fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 });
const id = fc.oneof(fc.nat({ max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }));
const bytes = fc.uint8Array({ maxLength: 24 });
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

type Data = { dataType: "text"; data: string } | { dataType: "json"; data: unknown } | { dataType: "binary"; data: Uint8Array } | { dataType: "protobuf"; data: Uint8Array };
const data: fc.Arbitrary<Data> = fc.oneof(
  str.map((d) => ({ dataType: "text" as const, data: d })),
  fc.jsonValue().map((d) => ({ dataType: "json" as const, data: d })),
  bytes.map((d) => ({ dataType: "binary" as const, data: d })),
  fc.record({ typeUrl: str, value: bytes }).map((a) => ({ dataType: "protobuf" as const, data: encodeAny(a) })),
);

// ---- client → service ------------------------------------------------------------------

const upstreamMessage: fc.Arbitrary<WebPubSubMessage> = fc.oneof(
  fc.record({ kind: fc.constantFrom("joinGroup" as const, "leaveGroup" as const), group: str, ackId: optional(id) }),
  fc.tuple(str, optional(id), fc.boolean(), data).map(([group, ackId, noEcho, d]) => ({ kind: "sendToGroup" as const, group, ackId, noEcho, ...d })),
  fc.tuple(str, optional(id), data).map(([event, ackId, d]) => ({ kind: "sendEvent" as const, event, ackId, ...d })),
  fc.record({ kind: fc.constant("sequenceAck" as const), sequenceId: id }),
  fc.constant({ kind: "ping" as const }),
  // group streams (PROTOCOL §10); ids of 1-128 characters, sequence ids from 1
  fc.tuple(str, fc.boolean(), streamId, optional(fc.integer({ min: 1, max: 3_600_000 }))).map(([group, noEcho, sid, idle]) => ({ kind: "sendToGroup" as const, group, noEcho, stream: { streamId: sid, idleTimeoutInMs: idle } })),
  fc.tuple(streamId, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), data).map(([sid, seq, d]) => ({ kind: "streamData" as const, streamId: sid, streamSequenceId: seq, ...d })),
  streamId.map((sid) => ({ kind: "streamData" as const, streamId: sid })),
  fc.tuple(streamId, optional(fc.record({ message: optional(str.filter((x) => x !== "")), userErrorCode: optional(str.filter((x) => x !== "")) }))).map(([sid, error]) => ({ kind: "streamEnd" as const, streamId: sid, error })),
) as fc.Arbitrary<WebPubSubMessage>;

/** What the service must make of `m` (its request shape). */
function expectedRequest(m: WebPubSubMessage): unknown {
  const ack = (a?: number) => (a === undefined ? {} : { ackId: a });
  const payload = (d: Data) => ({
    dataType: d.dataType,
    body: d.dataType === "text" ? Buffer.from(d.data) : d.dataType === "json" ? Buffer.from(JSON.stringify(d.data)) : Buffer.from(d.data),
  });
  switch (m.kind) {
    case "joinGroup":
    case "leaveGroup":
      return { ok: true, request: { type: m.kind, group: m.group, ...ack(m.ackId) } };
    case "sendToGroup":
      if (m.stream) {
        const idle = m.stream.idleTimeoutInMs === undefined ? {} : { idleTimeoutMs: m.stream.idleTimeoutInMs };
        return { ok: true, request: { type: "streamStart", group: m.group, noEcho: m.noEcho, streamId: m.stream.streamId, ...idle } };
      }
      return { ok: true, request: { type: "sendToGroup", group: m.group, ...ack(m.ackId), noEcho: m.noEcho, payload: payload(m as unknown as Data) } };
    case "sendEvent":
      return m.event === "" ? { ok: false, reason: expect.stringMatching(/'event' must not be empty/) } : { ok: true, request: { type: "event", event: m.event, ...ack(m.ackId), payload: payload(m as unknown as Data) } };
    case "sequenceAck":
      return { ok: true, request: { type: "sequenceAck", sequenceId: m.sequenceId } };
    case "streamData":
      return { ok: true, request: m.streamSequenceId === undefined ? { type: "streamData", streamId: m.streamId } : { type: "streamData", streamId: m.streamId, streamSequenceId: m.streamSequenceId, payload: payload(m as unknown as Data) } };
    case "streamEnd":
      return { ok: true, request: m.error ? { type: "streamEnd", streamId: m.streamId, error: m.error } : { type: "streamEnd", streamId: m.streamId } };
    case "ping":
      return { ok: true, request: { type: "ping" } };
  }
}

// ---- service → client ------------------------------------------------------------------

const ackError = fc.record({ name: str, message: str });
const source = fc.oneof(fc.constant({ from: "server" as const }), fc.record({ from: fc.constant("group" as const), group: str, fromUserId: optional(str) }));
const payload = data.map((d) => ({
  dataType: d.dataType,
  body: d.dataType === "text" ? Buffer.from(d.data) : d.dataType === "json" ? Buffer.from(JSON.stringify(d.data)) : Buffer.from(d.data),
}));
const frame: fc.Arbitrary<DownstreamFrame> = fc.oneof(
  fc.record({ type: fc.constant("connected" as const), connectionId: str.filter((s) => s !== ""), userId: optional(str.filter((s) => s !== "")), reconnectionToken: optional(str.filter((s) => s !== "")) }),
  fc.record({ type: fc.constant("disconnected" as const), message: str }),
  fc.record({ type: fc.constant("ack" as const), ackId: id, error: optional(ackError) }),
  fc.record({ type: fc.constant("message" as const), sequenceId: optional(id.filter((n) => n > 0)), source, payload }),
  fc.constant({ type: "pong" as const }),
  fc.record({ type: fc.constant("streamAck" as const), streamId, expectedSequenceId: id }),
  fc.record({ type: fc.constant("streamNack" as const), streamId, expectedSequenceId: id, name: str, message: str }),
  fc.record({ type: fc.constant("streamClosed" as const), streamId, error: optional(ackError) }),
  fc.tuple(optional(id.filter((n) => n > 0)), str, fc.record({ streamId, streamSequenceId: id.filter((n) => n > 0), endOfStream: fc.boolean(), error: optional(fc.record({ name: str, message: optional(str.filter((x) => x !== "")), userErrorCode: optional(str.filter((x) => x !== "")) })) }), payload).map(
    ([sequenceId, group, stream, p]) => ({ type: "message" as const, sequenceId, source: { from: "group" as const, group, stream: { ...stream, endOfStream: stream.endOfStream || undefined, error: stream.endOfStream ? stream.error : undefined } }, payload: p }),
  ),
) as fc.Arbitrary<DownstreamFrame>;

/** What the client must make of a frame the service encoded. */
function expectedMessage(f: DownstreamFrame): unknown {
  switch (f.type) {
    case "connected":
      return { kind: "connected", connectionId: f.connectionId, userId: f.userId, reconnectionToken: f.reconnectionToken };
    case "disconnected":
      return { kind: "disconnected", message: f.message };
    case "ack":
      return f.error ? { kind: "ack", ackId: f.ackId, success: false, error: f.error } : { kind: "ack", ackId: f.ackId, success: true };
    case "message": {
      const p = f.payload;
      const body = p.dataType === "text" ? p.body.toString() : p.dataType === "json" ? JSON.parse(p.body.toString()) : new Uint8Array(p.body).buffer;
      const d = { dataType: p.dataType, data: body, sequenceId: f.sequenceId };
      if (f.source.from === "server") return { kind: "serverData", ...d };
      const stream = f.source.stream;
      if (!stream) return { kind: "groupData", group: f.source.group, fromUserId: undefined, ...d };
      const info = JSON.parse(JSON.stringify(stream)); // without the undefined keys
      // the last fragment carries no data
      return { kind: "groupData", group: f.source.group, fromUserId: undefined, ...(stream.endOfStream ? { sequenceId: f.sequenceId } : d), stream: info };
    }
    case "streamAck":
    case "streamNack":
    case "streamClosed": {
      const { type, ...rest } = f;
      return JSON.parse(JSON.stringify({ kind: type, ...rest }));
    }
    default:
      return { kind: "pong" };
  }
}

/** The schema with fields and oneof cases neither codec knows, as a later service might send. */
const future = (() => {
  const root = new protobuf.Root();
  root.addJSON((protobuf.common.get("google/protobuf/any.proto") as { nested: protobuf.INamespace["nested"] }).nested!);
  const text = WEBPUBSUB_PROTO.replace("StreamClosedMessage stream_closed_message = 8;", "StreamClosedMessage stream_closed_message = 8;\n    FutureMessage future_message = 30;")
    .replace("message PongMessage {}", "message PongMessage {}\n  message FutureMessage { string x = 1; }")
    .replace("    uint64 ack_id = 1;\n    bool success = 2;", "    uint64 ack_id = 1;\n    bool success = 2;\n    fixed64 later = 9;\n    repeated string notes = 10;")
    .replace("    string from = 1;", "    string from = 1;\n    fixed32 hint = 12;\n    int64 signed = 13;")
    .replace("    string json_data = 4;", "    string json_data = 4;\n    double number_data = 9;");
  protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  return root.lookupType("DownstreamMessage");
})();

describe("client codec ⇄ service codec", () => {
  it("every upstream message the client writes is read by the service as the request it means", () => {
    fc.assert(
      fc.property(upstreamMessage, (m) => {
        const wire = Buffer.from(client.writeMessage(m) as ArrayBuffer);
        expect(protobufCodec.decode(wire, true)).toEqual(expectedRequest(m));
      }),
      RUNS,
    );
  });

  it("every frame the service encodes is parsed by the client as the message it means", () => {
    fc.assert(
      fc.property(frame, (f) => {
        const wire = reliableProtobufCodec.encode(f) as Buffer;
        const parsed = client.parseMessages(new Uint8Array(wire));
        // protobuf bytes that are no Any travel as binary (see protobuf-codec.ts); Any bytes stay protobuf
        expect(parsed).toEqual(expectedMessage(f));
      }),
      RUNS,
    );
  });

  it("fields and oneof cases from a later schema are skipped: the rest of the frame still reads the same", () => {
    const extras = fc.record({ later: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), notes: fc.array(str, { maxLength: 3 }), hint: fc.nat(), signed: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) });
    fc.assert(
      fc.property(fc.oneof(frame.filter((f) => f.type === "ack" || f.type === "message")), extras, fc.boolean(), (f, x, futureCase) => {
        const known = DownstreamMessage.toObject(DownstreamMessage.decode(reliableProtobufCodec.encode(f) as Buffer), { oneofs: false, bytes: Array as never });
        const obj = known as Record<string, Record<string, unknown>>;
        if (obj.ack_message) Object.assign(obj.ack_message, { later: x.later, notes: x.notes });
        if (obj.data_message) Object.assign(obj.data_message, { hint: x.hint, signed: x.signed });
        const wire = future.encode(future.fromObject(obj)).finish();
        expect(client.parseMessages(wire)).toEqual(expectedMessage(f));
        if (futureCase) {
          // a case this client does not know, then the frame: an old schema cannot tell the unknown
          // field belongs to the oneof, so (as protobufjs with this schema) the known case is read
          const first = future.encode(future.fromObject({ future_message: { x: "?" } })).finish();
          expect(client.parseMessages(new Uint8Array([...first, ...wire]))).toEqual(expectedMessage(f));
          expect(client.parseMessages(first)).toBeNull();
        }
      }),
      RUNS,
    );
    const unknownData = future.encode(future.fromObject({ data_message: { from: "group", group: "g", data: { number_data: 1.5 } } })).finish();
    expect(client.parseMessages(unknownData)).toBeNull();
  });
});

describe("hostile bytes", () => {
  const KINDS = new Set(["ack", "groupData", "serverData", "connected", "disconnected", "pong", "streamAck", "streamNack", "streamClosed"]);
  const validFrame = frame.map((f) => new Uint8Array(reliableProtobufCodec.encode(f) as Buffer));
  const mutated = fc.tuple(validFrame, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "cut", "insert")), { minLength: 1, maxLength: 4 })).map(([b, edits]) => {
    let out = [...b];
    for (const [at, v, op] of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      if (op === "set") out[i] = v;
      else if (op === "cut") out = out.slice(0, i);
      else out.splice(i, 0, v);
    }
    return new Uint8Array(out);
  });
  const hostile = fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated);

  it("the client either ignores a frame (null), rejects it with ProtobufFrameError, or reads what protobufjs reads", () => {
    fc.assert(
      fc.property(hostile, (b) => {
        let parsed: unknown;
        try {
          parsed = client.parseMessages(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtobufFrameError);
          return;
        }
        if (parsed === null) return;
        const m = parsed as { kind: string; data?: unknown };
        expect(KINDS.has(m.kind)).toBe(true);
        // never a wrong delivery: the library sees the same case (it decodes what we accepted)
        const lib = DownstreamMessage.decode(b) as unknown as { message?: string };
        const caseOf: Record<string, string> = { ack: "ack_message", groupData: "data_message", serverData: "data_message", connected: "system_message", disconnected: "system_message", pong: "pong_message", streamAck: "stream_ack_message", streamNack: "stream_nack_message", streamClosed: "stream_closed_message" };
        expect(lib.message).toBe(caseOf[m.kind]);
        // and, for a data message, the same data case and content
        const d = (lib as unknown as { data_message?: { data?: Record<string, unknown> & { data?: string } } }).data_message?.data;
        if ((m.kind === "groupData" || m.kind === "serverData") && d?.data) {
          const dm = m as unknown as { dataType: string; data: unknown };
          const libCase = { text_data: "text", binary_data: "binary", protobuf_data: "protobuf", json_data: "json" }[d.data];
          expect(dm.dataType).toBe(libCase);
          const v = d[d.data];
          if (libCase === "text") expect(dm.data).toBe(v);
          else if (libCase === "json") expect(dm.data).toEqual(JSON.parse(v as string));
          else if (libCase === "binary") expect(new Uint8Array(dm.data as ArrayBuffer)).toEqual(new Uint8Array(v as Uint8Array));
        }
      }),
      { numRuns: 2000, seed: 1213 },
    );
  });

  it("the service answers hostile upstream bytes with a request or a reason, never a throw", () => {
    const validUp = upstreamMessage.map((m) => new Uint8Array(client.writeMessage(m) as ArrayBuffer));
    const mutatedUp = fc.tuple(validUp, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, v]) => {
      const out = new Uint8Array(b);
      if (out.length) out[at % out.length] = v;
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutatedUp), (b) => {
        const r = protobufCodec.decode(Buffer.from(b), true);
        expect(typeof r.ok).toBe("boolean");
        if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000, seed: 1214 },
    );
  });

  it("UpstreamMessage from the library is read by the service the same whichever codec wrote it", () => {
    fc.assert(
      fc.property(upstreamMessage, (m) => {
        const ours = Buffer.from(client.writeMessage(m) as ArrayBuffer);
        const theirs = Buffer.from(UpstreamMessage.encode(UpstreamMessage.decode(ours)).finish());
        expect(protobufCodec.decode(theirs, true)).toEqual(protobufCodec.decode(ours, true));
      }),
      RUNS,
    );
  });
});

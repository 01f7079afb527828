// The client's hand-written protobuf codec, frame by frame, checked against the service's
// protobufjs codec (built from emulator/protocol/webpubsub.proto): what one writes the
// other reads, in both directions, plus the edges (presence, unknown fields and cases,
// malformed frames, integers beyond 2^53, invoke refused).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DownstreamMessage, UpstreamMessage, protobufCodec, reliableProtobufCodec } from "../../emulator/protocol/protobuf-codec";
import { WEBPUBSUB_PROTO } from "../../emulator/protocol/protobuf-schema";
import {
  decodeAny,
  encodeAny,
  ProtobufFrameError,
  WebPubSubProtobufProtocol,
  WebPubSubProtobufReliableProtocol,
} from "../../src/protobuf/index";
import type { WebPubSubMessage } from "../../src/types/messages";

const reliable = WebPubSubProtobufReliableProtocol();
const plain = WebPubSubProtobufProtocol();

const up = (m: WebPubSubMessage) => UpstreamMessage.toObject(UpstreamMessage.decode(new Uint8Array(reliable.writeMessage(m) as ArrayBuffer)), { longs: Number, oneofs: true, bytes: Array });
const down = (obj: object): Uint8Array => DownstreamMessage.encode(DownstreamMessage.fromObject(obj)).finish();
const parse = (obj: object, p = reliable) => p.parseMessages(down(obj));
const request = (m: WebPubSubMessage) => protobufCodec.decode(Buffer.from(reliable.writeMessage(m) as ArrayBuffer), true);

describe("schema", () => {
  it("the embedded schema is the .proto file, byte for byte", () => {
    expect(WEBPUBSUB_PROTO).toBe(readFileSync(new URL("../../emulator/protocol/webpubsub.proto", import.meta.url), "utf8"));
  });

  it("names and reliability of the two protocols", () => {
    expect([plain.name, plain.isReliableSubProtocol]).toEqual(["protobuf.webpubsub.azure.v1", false]);
    expect([reliable.name, reliable.isReliableSubProtocol]).toEqual(["protobuf.reliable.webpubsub.azure.v1", true]);
  });
});

describe("client → service (UpstreamMessage)", () => {
  it("joinGroup / leaveGroup: ack_id present only when set, 0 included", () => {
    expect(up({ kind: "joinGroup", group: "g", ackId: 0 })).toEqual({ message: "join_group_message", join_group_message: { group: "g", ack_id: 0 } });
    expect(up({ kind: "leaveGroup", group: "g" })).toEqual({ message: "leave_group_message", leave_group_message: { group: "g" } });
    expect(request({ kind: "joinGroup", group: "g" })).toEqual({ ok: true, request: { type: "joinGroup", group: "g" } });
    expect(request({ kind: "leaveGroup", group: "g", ackId: 0 })).toEqual({ ok: true, request: { type: "leaveGroup", group: "g", ackId: 0 } });
  });

  it("sendToGroup with every dataType; noEcho false is sent (presence)", () => {
    const any = encodeAny({ typeUrl: "type.googleapis.com/t.M", value: new Uint8Array([8, 1]) });
    const cases: Array<[WebPubSubMessage, object, object]> = [
      [{ kind: "sendToGroup", group: "g", ackId: 1, noEcho: false, dataType: "text", data: "héllo" }, { text_data: "héllo", data: "text_data" }, { dataType: "text", body: Buffer.from("héllo") }],
      [{ kind: "sendToGroup", group: "g", ackId: 2, noEcho: true, dataType: "json", data: { a: [1, "x"] } }, { json_data: '{"a":[1,"x"]}', data: "json_data" }, { dataType: "json", body: Buffer.from('{"a":[1,"x"]}') }],
      [{ kind: "sendToGroup", group: "g", ackId: 3, noEcho: false, dataType: "binary", data: new Uint8Array([0, 255]).buffer }, { binary_data: [0, 255], data: "binary_data" }, { dataType: "binary", body: Buffer.from([0, 255]) }],
      [{ kind: "sendToGroup", group: "g", ackId: 4, noEcho: false, dataType: "protobuf", data: any }, { protobuf_data: { type_url: "type.googleapis.com/t.M", value: [8, 1] }, data: "protobuf_data" }, { dataType: "protobuf", body: Buffer.from(any) }],
    ];
    for (const [m, data, payload] of cases) {
      const s = m as Extract<WebPubSubMessage, { kind: "sendToGroup" }>;
      expect(up(m)).toEqual({ message: "send_to_group_message", send_to_group_message: { group: "g", ack_id: s.ackId, no_echo: s.noEcho, data } });
      expect(request(m)).toEqual({ ok: true, request: { type: "sendToGroup", group: "g", ackId: s.ackId, noEcho: s.noEcho, payload } });
    }
  });

  it("a Uint8Array view over a larger buffer sends only its bytes", () => {
    const view = new Uint8Array([9, 9, 1, 2, 3, 9]).subarray(2, 5);
    expect(up({ kind: "sendEvent", event: "e", dataType: "binary", data: view })).toMatchObject({ event_message: { data: { binary_data: [1, 2, 3] } } });
  });

  it("sendEvent, sequenceAck, ping", () => {
    expect(up({ kind: "sendEvent", event: "ev", ackId: 9, dataType: "text", data: "x" })).toEqual({
      message: "event_message",
      event_message: { event: "ev", ack_id: 9, data: { text_data: "x", data: "text_data" } },
    });
    expect(request({ kind: "sendEvent", event: "ev", dataType: "json", data: 5 })).toEqual({ ok: true, request: { type: "event", event: "ev", payload: { dataType: "json", body: Buffer.from("5") } } });
    expect(up({ kind: "sequenceAck", sequenceId: 2 ** 53 - 1 })).toEqual({ message: "sequence_ack_message", sequence_ack_message: { sequence_id: 2 ** 53 - 1 } });
    expect(request({ kind: "sequenceAck", sequenceId: 0 })).toEqual({ ok: true, request: { type: "sequenceAck", sequenceId: 0 } });
    expect(up({ kind: "ping" })).toEqual({ message: "ping_message", ping_message: {} });
  });

  it("group-stream frames: start, data, keep-alive, end with error", () => {
    expect(up({ kind: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "s1", idleTimeoutInMs: 5000 } })).toEqual({
      message: "send_to_group_message",
      send_to_group_message: { group: "g", no_echo: false, stream: { stream_id: "s1", idle_timeout_ms: 5000 } },
    });
    expect(up({ kind: "streamData", streamId: "s1", streamSequenceId: 1, dataType: "text", data: "a" })).toEqual({
      message: "stream_data_message",
      stream_data_message: { stream_id: "s1", stream_sequence_id: 1, data: { text_data: "a", data: "text_data" } },
    });
    expect(up({ kind: "streamData", streamId: "s1" })).toEqual({ message: "stream_data_message", stream_data_message: { stream_id: "s1" } });
    expect(up({ kind: "streamEnd", streamId: "s1", error: { message: "gave up", userErrorCode: "E1" } })).toEqual({
      message: "stream_end_message",
      stream_end_message: { stream_id: "s1", error: { message: "gave up", user_error_code: "E1" } },
    });
  });

  it("invoke and cancelInvocation are refused with a TypeError (the protocol defines neither)", () => {
    expect(() => reliable.writeMessage({ kind: "invoke", invocationId: "1", event: "e", dataType: "text", data: "x" })).toThrow(/define no "invoke"/);
    expect(() => reliable.writeMessage({ kind: "cancelInvocation", invocationId: "1" })).toThrow(TypeError);
    expect(() => reliable.writeMessage({ kind: "pong" })).toThrow(TypeError);
  });

  it("bad content fails with a typed error, nothing written: unsafe ids, protobuf bytes that are no Any", () => {
    expect(() => reliable.writeMessage({ kind: "joinGroup", group: "g", ackId: 2 ** 53 })).toThrow(RangeError);
    expect(() => reliable.writeMessage({ kind: "joinGroup", group: "g", ackId: -1 })).toThrow(RangeError);
    expect(() => reliable.writeMessage({ kind: "sendEvent", event: "e", dataType: "protobuf", data: new Uint8Array([4, 5]) })).toThrow(/google.protobuf.Any/);
  });
});

describe("service → client (DownstreamMessage)", () => {
  it("ack, with and without error", () => {
    expect(parse({ ack_message: { ack_id: 7, success: true } })).toEqual({ kind: "ack", ackId: 7, success: true });
    expect(parse({ ack_message: { ack_id: 0, success: false, error: { name: "Forbidden", message: "no" } } })).toEqual({
      kind: "ack",
      ackId: 0,
      success: false,
      error: { name: "Forbidden", message: "no" },
    });
  });

  it("data messages: group and server, every data case, sequence id only on the reliable protocol", () => {
    const any = encodeAny({ typeUrl: "t/x", value: new Uint8Array([1]) });
    const g = (data: object) => ({ data_message: { from: "group", group: "room", sequence_id: 3, data } });
    expect(parse(g({ text_data: "hi" }))).toEqual({ kind: "groupData", group: "room", fromUserId: undefined, dataType: "text", data: "hi", sequenceId: 3 });
    expect(parse(g({ json_data: '{"a":1}' }))).toMatchObject({ dataType: "json", data: { a: 1 } });
    const bin = parse(g({ binary_data: new Uint8Array([1, 2]) })) as { data: ArrayBuffer };
    expect(bin.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(bin.data)]).toEqual([1, 2]);
    const pb = parse(g({ protobuf_data: { type_url: "t/x", value: new Uint8Array([1]) } })) as { dataType: string; data: ArrayBuffer };
    expect(pb.dataType).toBe("protobuf");
    expect(new Uint8Array(pb.data)).toEqual(any);
    expect(decodeAny(pb.data)).toEqual({ typeUrl: "t/x", value: new Uint8Array([1]) });
    expect(parse({ data_message: { from: "server", sequence_id: 4, data: { text_data: "s" } } })).toEqual({ kind: "serverData", dataType: "text", data: "s", sequenceId: 4 });
    expect(parse(g({ text_data: "hi" }), plain)).toMatchObject({ sequenceId: undefined });
  });

  it("the service's own frames: connected, disconnected, pong; a message translated from JSON keeps its dataType", () => {
    const enc = (f: Parameters<typeof reliableProtobufCodec.encode>[0]) => reliable.parseMessages(new Uint8Array(reliableProtobufCodec.encode(f) as Buffer));
    expect(enc({ type: "connected", connectionId: "c", userId: "u", reconnectionToken: "t" })).toEqual({ kind: "connected", connectionId: "c", userId: "u", reconnectionToken: "t" });
    expect(enc({ type: "connected", connectionId: "c" })).toEqual({ kind: "connected", connectionId: "c", userId: undefined, reconnectionToken: undefined });
    expect(enc({ type: "disconnected", message: "bye" })).toEqual({ kind: "disconnected", message: "bye" });
    expect(enc({ type: "pong" })).toEqual({ kind: "pong" });
    expect(enc({ type: "message", sequenceId: 1, source: { from: "group", group: "g", fromUserId: "u" }, payload: { dataType: "json", body: Buffer.from("[1]") } })).toMatchObject({
      kind: "groupData",
      dataType: "json",
      data: [1],
    });
    expect(reliableProtobufCodec.encode({ type: "invokeResponse", invocationId: "1", result: {} })).toBeUndefined();
  });

  it("protobuf bytes that are not an Any reach protobuf clients as binary, intact", () => {
    const f = reliableProtobufCodec.encode({ type: "message", source: { from: "server" }, payload: { dataType: "protobuf", body: Buffer.from([4, 5]) } });
    const m = reliable.parseMessages(new Uint8Array(f as Buffer)) as { dataType: string; data: ArrayBuffer };
    expect([m.dataType, [...new Uint8Array(m.data)]]).toEqual(["binary", [4, 5]]);
  });

  it("stream frames: ack, nack, closed, and data fragments with stream info", () => {
    expect(parse({ stream_ack_message: { stream_id: "s", expected_sequence_id: 2 } })).toEqual({ kind: "streamAck", streamId: "s", expectedSequenceId: 2 });
    expect(parse({ stream_nack_message: { stream_id: "s", name: "InvalidSequenceId", message: "m", expected_sequence_id: 4 } })).toEqual({
      kind: "streamNack",
      streamId: "s",
      name: "InvalidSequenceId",
      message: "m",
      expectedSequenceId: 4,
    });
    expect(parse({ stream_closed_message: { stream_id: "s", error: { name: "IdleTimeout", message: "idle" } } })).toEqual({
      kind: "streamClosed",
      streamId: "s",
      error: { name: "IdleTimeout", message: "idle" },
    });
    expect(parse({ data_message: { from: "group", group: "g", sequence_id: 9, data: { text_data: "a" }, stream: { stream_id: "s", stream_sequence_id: 1 } } })).toMatchObject({
      kind: "groupData",
      stream: { streamId: "s", streamSequenceId: 1 },
    });
    expect(parse({ data_message: { from: "group", group: "g", sequence_id: 10, stream: { stream_id: "s", stream_sequence_id: 2, end_of_stream: true, error: { name: "UserError", message: "m", user_error_code: "E" } } } })).toEqual({
      kind: "groupData",
      group: "g",
      fromUserId: undefined,
      sequenceId: 10,
      stream: { streamId: "s", streamSequenceId: 2, endOfStream: true, error: { name: "UserError", message: "m", userErrorCode: "E" } },
    });
  });

  it("unknown fields (every wire type) are skipped; unknown oneof cases are ignored (null)", () => {
    const ack = down({ ack_message: { ack_id: 5, success: true } });
    const unknown = new Uint8Array([0x78, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7a, 2, 9, 9, 0x7d, 1, 2, 3, 4, 0x7b, 0x08, 1, 0x7c]);
    expect(reliable.parseMessages(new Uint8Array([...unknown, ...ack]))).toEqual({ kind: "ack", ackId: 5, success: true });
    expect(reliable.parseMessages(new Uint8Array([0x2a, 0]))).toBeNull(); // case 5: none defined
    expect(reliable.parseMessages(new Uint8Array([0xfa, 0x01, 0]))).toBeNull(); // case 31
    expect(reliable.parseMessages(new Uint8Array(0))).toBeNull();
    expect(parse({ data_message: { from: "elsewhere", data: { text_data: "x" } } })).toBeNull();
    expect(parse({ data_message: { from: "group", data: { text_data: "x" } } })).toBeNull(); // a group message without its group
    expect(reliable.parseMessages(new Uint8Array([0x12, 0x05, 0x0a, 0x01, 0x73, 0x1a, 0x00]))).toBeNull(); // data without a known case
  });

  it("malformed frames throw ProtobufFrameError (the client logs and drops them); so do integers beyond 2^53", () => {
    const bad: Array<[number[] | string, RegExp]> = [
      [[0x0a, 0x05, 0x08], /length beyond/],
      [[0x0a], /truncated varint/],
      [[0x0e], /wire type 6/],
      [[0x00, 0x00], /field number 0/],
      [[0x0a, 0x02, 0x0a, 0x00], /wire type 2 where 0/], // ack_id as bytes
      [[0x0a, 0x0a, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00], /above 2\^53/], // ack_id = 2^53
      [[0x7b, 0x74], /mismatched end group/], // group 15 closed as 14
      [[0x7b, 0x08, 0x01], /unterminated group/],
      ["text", /text frame/],
    ];
    for (const [bytes, message] of bad) {
      const input = typeof bytes === "string" ? bytes : new Uint8Array(bytes);
      expect(() => reliable.parseMessages(input), String(bytes)).toThrow(ProtobufFrameError);
      expect(() => reliable.parseMessages(input), String(bytes)).toThrow(message);
    }
    expect(() => parse({ data_message: { from: "group", group: "g", data: { json_data: "{nope" } } })).toThrow(/not JSON/);
    expect(reliable.parseMessages(down({ ack_message: { ack_id: 2 ** 53 - 1, success: true } }))).toMatchObject({ ackId: 2 ** 53 - 1 });
  });
});

describe("Any helpers", () => {
  it("encodeAny / decodeAny round-trip; type_url is accepted as Microsoft's preview names it", () => {
    const a = encodeAny({ type_url: "type.googleapis.com/x.Y", value: new Uint8Array([1, 2, 3]) });
    expect(decodeAny(a)).toEqual({ typeUrl: "type.googleapis.com/x.Y", value: new Uint8Array([1, 2, 3]) });
    expect(decodeAny(a.buffer as ArrayBuffer).typeUrl).toBe("type.googleapis.com/x.Y");
    expect(decodeAny(encodeAny({}))).toEqual({ typeUrl: "", value: new Uint8Array(0) });
    expect(() => decodeAny(new Uint8Array([0x08, 0x01]))).toThrow(TypeError);
  });
});

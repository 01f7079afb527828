import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../../src/protocol/base64.js";
import { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol } from "../../src/index.js";
import type { WebPubSubClientProtocol, WebPubSubMessage } from "../../src/types/messages.js";
import { connect, fakeRuntime, recordEvents, settle, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const json = WebPubSubJsonProtocol();
const reliable = WebPubSubJsonReliableProtocol();
const both: Array<[string, WebPubSubClientProtocol]> = [
  ["json", json],
  ["reliable", reliable],
];

const bytes = (...b: number[]): ArrayBuffer => new Uint8Array(b).buffer;
const write = (p: WebPubSubClientProtocol, m: WebPubSubMessage): unknown => JSON.parse(p.writeMessage(m) as string);

describe("protocol names", () => {
  it("uses the PROTOCOL.md subprotocol names and reliability flags", () => {
    expect(json.name).toBe("json.webpubsub.azure.v1");
    expect(json.isReliableSubProtocol).toBe(false);
    expect(reliable.name).toBe("json.reliable.webpubsub.azure.v1");
    expect(reliable.isReliableSubProtocol).toBe(true);
  });
});

describe.each(both)("writing §3 frames (%s)", (_name, p) => {
  it("joinGroup / leaveGroup", () => {
    expect(write(p, { kind: "joinGroup", group: "g", ackId: 1 })).toEqual({ type: "joinGroup", group: "g", ackId: 1 });
    expect(write(p, { kind: "leaveGroup", group: "g", ackId: 2 })).toEqual({ type: "leaveGroup", group: "g", ackId: 2 });
  });

  it("sendToGroup with every data type", () => {
    expect(write(p, { kind: "sendToGroup", group: "g", ackId: 3, noEcho: false, dataType: "text", data: "hi" })).toEqual({
      type: "sendToGroup",
      group: "g",
      ackId: 3,
      noEcho: false,
      dataType: "text",
      data: "hi",
    });
    expect(write(p, { kind: "sendToGroup", group: "g", noEcho: true, dataType: "json", data: { a: [1, null] } })).toEqual({
      type: "sendToGroup",
      group: "g",
      noEcho: true,
      dataType: "json",
      data: { a: [1, null] },
    });
    expect(write(p, { kind: "sendToGroup", group: "g", ackId: 5, noEcho: false, dataType: "binary", data: bytes(1, 2, 3) })).toEqual({
      type: "sendToGroup",
      group: "g",
      ackId: 5,
      noEcho: false,
      dataType: "binary",
      data: "AQID",
    });
    expect(write(p, { kind: "sendToGroup", group: "g", ackId: 6, noEcho: false, dataType: "protobuf", data: bytes(255) })).toMatchObject({
      dataType: "protobuf",
      data: "/w==",
    });
  });

  it("event (sendEvent), with and without ackId", () => {
    expect(write(p, { kind: "sendEvent", event: "name", ackId: 4, dataType: "json", data: { a: 1 } })).toEqual({
      type: "event",
      event: "name",
      ackId: 4,
      dataType: "json",
      data: { a: 1 },
    });
    const raw = p.writeMessage({ kind: "sendEvent", event: "e", dataType: "text", data: "x" }) as string;
    expect(raw).not.toContain("ackId");
  });

  it("sequenceAck, ping, invoke, cancelInvocation", () => {
    expect(write(p, { kind: "sequenceAck", sequenceId: 42 })).toEqual({ type: "sequenceAck", sequenceId: 42 });
    expect(write(p, { kind: "ping" })).toEqual({ type: "ping" });
    expect(write(p, { kind: "invoke", invocationId: "1", event: "name", dataType: "json", data: {} })).toEqual({
      type: "invoke",
      invocationId: "1",
      target: "event",
      event: "name",
      dataType: "json",
      data: {},
    });
    expect(write(p, { kind: "cancelInvocation", invocationId: "1" })).toEqual({ type: "cancelInvocation", invocationId: "1" });
  });

  it("refuses to write a service-only message", () => {
    expect(() => p.writeMessage({ kind: "pong" })).toThrow(TypeError);
  });
});

describe.each(both)("parsing §4 frames (%s)", (name, p) => {
  const isReliable = name === "reliable";
  const parse = (f: unknown): unknown => p.parseMessages(typeof f === "string" ? f : JSON.stringify(f));

  it("acks", () => {
    expect(parse({ type: "ack", ackId: 1, success: true })).toEqual({ kind: "ack", ackId: 1, success: true, error: undefined });
    expect(parse({ type: "ack", ackId: 1, success: false, error: { name: "Forbidden", message: "no" } })).toEqual({
      kind: "ack",
      ackId: 1,
      success: false,
      error: { name: "Forbidden", message: "no" },
    });
  });

  it("group and server messages; sequenceId only on the reliable protocol", () => {
    expect(parse({ sequenceId: 7, type: "message", from: "group", group: "g", fromUserId: "u2", dataType: "json", data: { x: 1 } })).toEqual({
      kind: "groupData",
      group: "g",
      fromUserId: "u2",
      dataType: "json",
      data: { x: 1 },
      sequenceId: isReliable ? 7 : undefined,
    });
    expect(parse({ sequenceId: 8, type: "message", from: "server", dataType: "text", data: "hello" })).toEqual({
      kind: "serverData",
      dataType: "text",
      data: "hello",
      sequenceId: isReliable ? 8 : undefined,
    });
  });

  it("binary and protobuf data arrive as ArrayBuffer", () => {
    const m = parse({ type: "message", from: "server", dataType: "binary", data: "AQID" }) as { data: ArrayBuffer };
    expect(m.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(m.data)]).toEqual([1, 2, 3]);
    const pb = parse({ type: "message", from: "group", group: "g", dataType: "protobuf", data: "/w==" }) as { data: ArrayBuffer };
    expect([...new Uint8Array(pb.data)]).toEqual([255]);
  });

  it("dataType defaults to json", () => {
    expect(parse({ type: "message", from: "server", data: [1, 2] })).toMatchObject({ dataType: "json", data: [1, 2] });
  });

  it("system connected / disconnected, pong", () => {
    expect(parse({ type: "system", event: "connected", userId: "u", connectionId: "c", reconnectionToken: "t" })).toEqual({
      kind: "connected",
      connectionId: "c",
      userId: "u",
      reconnectionToken: "t",
    });
    expect(parse({ type: "system", event: "connected", connectionId: "c" })).toMatchObject({ kind: "connected", connectionId: "c", userId: undefined });
    expect(parse({ type: "system", event: "disconnected", message: "reason" })).toEqual({ kind: "disconnected", message: "reason" });
    expect(parse({ type: "pong" })).toEqual({ kind: "pong" });
  });

  it("invokeResponse success and failure", () => {
    expect(parse({ type: "invokeResponse", invocationId: "1", success: true, dataType: "json", data: {} })).toEqual({
      kind: "invokeResponse",
      invocationId: "1",
      success: true,
      dataType: "json",
      data: {},
    });
    expect(parse({ type: "invokeResponse", invocationId: "1", success: false, error: { name: "InvocationFailed", message: "m" } })).toEqual({
      kind: "invokeResponse",
      invocationId: "1",
      success: false,
      error: { name: "InvocationFailed", message: "m" },
    });
    expect(parse({ type: "invokeResponse", invocationId: "2", success: true })).toEqual({ kind: "invokeResponse", invocationId: "2", success: true });
  });

  it("accepts JSON as a UTF-8 binary frame (ArrayBuffer and Uint8Array)", () => {
    const text = JSON.stringify({ type: "message", from: "server", dataType: "text", data: "héllo ✓" });
    const u8 = new TextEncoder().encode(text);
    expect(p.parseMessages(u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength))).toMatchObject({ data: "héllo ✓" });
    expect(p.parseMessages(u8)).toMatchObject({ data: "héllo ✓" });
  });

  it("ignores unknown types, events and from values", () => {
    expect(parse({ type: "somethingNew", x: 1 })).toBeNull();
    expect(parse({ type: "system", event: "somethingNew" })).toBeNull();
    expect(parse({ type: "message", from: "mars", dataType: "text", data: "x" })).toBeNull();
    expect(parse({ type: "message", from: "group", dataType: "text", data: "x" })).toBeNull(); // no group
  });

  it.each([
    ["bad JSON", "{not json"],
    ["truncated JSON", '{"type":"ack","ackId":1,"succ'],
    ["empty string", ""],
    ["an array", "[1,2]"],
    ["an array of frames", JSON.stringify([{ type: "pong" }])],
    ["null", "null"],
    ["a number", "42"],
    ["a string", '"pong"'],
    ["ack with string ackId", JSON.stringify({ type: "ack", ackId: "1", success: true })],
    ["ack with fractional ackId", JSON.stringify({ type: "ack", ackId: 1.5, success: true })],
    ["text data that is not a string", JSON.stringify({ type: "message", from: "server", dataType: "text", data: 1 })],
    ["binary data that is not base64", JSON.stringify({ type: "message", from: "server", dataType: "binary", data: "!!!" })],
    ["binary data that is an object", JSON.stringify({ type: "message", from: "server", dataType: "binary", data: {} })],
    ["unknown dataType", JSON.stringify({ type: "message", from: "server", dataType: "xml", data: "<a/>" })],
    ["json message without data", JSON.stringify({ type: "message", from: "server", dataType: "json" })],
    ["connected without connectionId", JSON.stringify({ type: "system", event: "connected" })],
    ["connected with numeric connectionId", JSON.stringify({ type: "system", event: "connected", connectionId: 5 })],
    ["invokeResponse without invocationId", JSON.stringify({ type: "invokeResponse", success: true })],
    ["invokeResponse with bad binary", JSON.stringify({ type: "invokeResponse", invocationId: "1", success: true, dataType: "binary", data: "*" })],
    ["__proto__ pollution", '{"__proto__":{"type":"ack","ackId":1,"success":true}}'],
    ["type in __proto__ only", '{"__proto__":{"type":"pong"}}'],
  ])("returns null for %s", (_what, frame) => {
    expect(p.parseMessages(frame)).toBeNull();
  });

  it("reads wrong-typed optional fields defensively", () => {
    expect(parse({ type: "ack", ackId: 3, success: "yes", error: "boom" })).toEqual({ kind: "ack", ackId: 3, success: false, error: undefined });
    expect(parse({ type: "ack", ackId: 3, success: false, error: { name: 1, message: {} } })).toEqual({
      kind: "ack",
      ackId: 3,
      success: false,
      error: { name: "Unknown", message: "" },
    });
    expect(parse({ type: "system", event: "disconnected", message: ["x"] })).toEqual({ kind: "disconnected", message: "" });
    expect(parse({ type: "message", from: "group", group: "g", fromUserId: 9, dataType: "text", data: "x", sequenceId: 3 })).toMatchObject({
      fromUserId: undefined,
      sequenceId: p.isReliableSubProtocol ? 3 : undefined,
    });
    // regression: a sequenceId that is not a positive integer used to be read as absent, so
    // the message was delivered without de-duplication; it is protocol noise and dropped
    for (const bad of [0, -1, 1.5, 2 ** 60, "1", null]) {
      const m = parse({ type: "message", from: "server", dataType: "text", data: "x", sequenceId: bad });
      if (p.isReliableSubProtocol) expect(m).toBeNull();
      else expect(m).toMatchObject({ sequenceId: undefined });
    }
  });

  it("keeps a __proto__ key inside json data as plain data, without polluting prototypes", () => {
    const m = p.parseMessages('{"type":"message","from":"server","dataType":"json","data":{"__proto__":{"polluted":true}}}') as {
      data: Record<string, unknown>;
    };
    expect(Object.prototype.hasOwnProperty.call(m.data, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("parses a 10 MB string", () => {
    const big = "x".repeat(10 * 1024 * 1024);
    const m = parse({ type: "message", from: "server", dataType: "text", data: big }) as { data: string };
    expect(m.data.length).toBe(big.length);
  });
});

describe("base64", () => {
  it("matches Node's encoder for every length 0..70 and round-trips", () => {
    for (let n = 0; n <= 70; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      const enc = encodeBase64(b);
      expect(enc).toBe(Buffer.from(b).toString("base64"));
      expect(new Uint8Array(decodeBase64(enc)!)).toEqual(b);
    }
  });

  it("encodes only the viewed bytes of a Uint8Array, Buffer or DataView with an offset", () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]).buffer;
    expect(encodeBase64(new Uint8Array(backing, 2, 3))).toBe("AQID");
    expect(encodeBase64(new DataView(backing, 2, 3))).toBe("AQID");
    const buf = Buffer.from([1, 2, 3]); // pooled: a non-zero byteOffset into a larger buffer
    expect(encodeBase64(buf)).toBe("AQID");
    const sub = Buffer.from("zzhello").subarray(2);
    expect(sub.byteOffset).toBeGreaterThan(0);
    expect(encodeBase64(sub)).toBe(Buffer.from("hello").toString("base64"));
    expect(encodeBase64(new Uint16Array([0x0201]))).toBe("AQI=");
  });

  it("encodes a large buffer (chunked) like Node does", () => {
    const b = new Uint8Array(100_003).map((_, i) => i & 0xff);
    expect(encodeBase64(b)).toBe(Buffer.from(b).toString("base64"));
  });

  it("decodes unpadded, base64url and whitespace; rejects other characters", () => {
    expect([...new Uint8Array(decodeBase64("AQI")!)]).toEqual([1, 2]);
    expect([...new Uint8Array(decodeBase64("-_8")!)]).toEqual([0xfb, 0xff]);
    expect([...new Uint8Array(decodeBase64("AQ ID\n")!)]).toEqual([1, 2, 3]);
    expect(decodeBase64("AQ=D")).toBeNull();
    expect(decodeBase64("é")).toBeNull();
    expect(decodeBase64("A*")).toBeNull();
    expect(decodeBase64("")!.byteLength).toBe(0);
  });
});

describe("hostile frames through a live client", () => {
  useFakeTimersAndRejectionGuard();

  const hostile: Array<string | ArrayBuffer> = [
    "{not json",
    '{"type":"ack","ackId":1,"succ',
    "[]",
    "[{}]",
    "null",
    "true",
    "1e309",
    '{"type":null}',
    '{"type":{"toString":1}}',
    '{"__proto__":{"type":"ack","ackId":1,"success":true}}',
    '{"constructor":{"prototype":{"polluted":true}},"type":"pong"}',
    JSON.stringify({ type: "ack", ackId: "1", success: true }),
    JSON.stringify({ type: "ack", ackId: 999, success: true }),
    JSON.stringify({ type: "ack", ackId: 998, success: false, error: null }),
    JSON.stringify({ type: "invokeResponse", invocationId: "nope", success: false }),
    JSON.stringify({ type: "invokeResponse", invocationId: 1, success: true }),
    JSON.stringify({ type: "system", event: "connected", connectionId: "evil", reconnectionToken: "evil" }),
    JSON.stringify({ type: "system", event: "connected", connectionId: ["x"] }),
    JSON.stringify({ type: "system", event: "disconnected", message: 12 }),
    JSON.stringify({ type: "message", from: "server", dataType: "binary", data: "@@@" }),
    JSON.stringify({ type: "message", from: "group", group: 5, dataType: "text", data: "x" }),
    JSON.stringify({ type: "message", from: "server", dataType: "text", data: "x", sequenceId: -5 }),
    JSON.stringify({ type: "message", from: "server", dataType: "text", data: "y".repeat(10 * 1024 * 1024) }),
    new Uint8Array([0xff, 0xfe, 0x00, 0x7b]).buffer,
    new ArrayBuffer(0),
  ];

  it.each(both)("never throws, changes no state and rejects nothing the app did not make (%s)", async (_name, protocol) => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient("wss://h/client/hubs/x?access_token=a", { protocol }, rt);
    const events = recordEvents(client);
    const socket = await connect(client, rt, "c1", "t1", "u1");
    events.length = 0;
    const pending = client.joinGroup("g"); // ackId 1 stays outstanding
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (const frame of hostile) expect(() => socket.receive(frame)).not.toThrow();
    await settle();
    expect(client.state).toBe("connected");
    expect(client.connectionId).toBe("c1");
    expect(settled).toBe(false);
    // only the 10 MB message is valid (and, without sequence ids, the one with a bad one)
    expect(events.map(([n, e]) => [n, e.message.data.length])).toEqual([
      ...(protocol.isReliableSubProtocol ? [] : [["server-message", 1]]),
      ["server-message", 10 * 1024 * 1024],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // the client still works: the real ack settles the join
    socket.ack(1);
    await expect(pending).resolves.toEqual({ ackId: 1, isDuplicated: false });
    // a recovery still uses the original token, not the hostile one
    socket.drop(1006);
    await settle();
    if (protocol.isReliableSubProtocol) {
      expect(rt.last().url).toContain("awps_connection_id=c1");
      expect(rt.last().url).toContain("awps_reconnection_token=t1");
    }
    await client.stop();
  });

  it("a protocol may return several messages per frame: each delivered in order and de-duplicated", async () => {
    const rt = fakeRuntime();
    // each data frame becomes two messages, the second one sequence id above the first
    const twice: WebPubSubClientProtocol = {
      ...reliable,
      parseMessages(input) {
        const m = reliable.parseMessages(input) as WebPubSubMessage | null;
        return m?.kind === "serverData" ? [m, { ...m, data: `${m.data}2`, sequenceId: m.sequenceId! + 1 }] : m;
      },
    };
    const client = new WebPubSubClient("wss://h/client/hubs/x?access_token=a", { protocol: twice }, rt);
    const got: unknown[] = [];
    client.on("server-message", (e) => void got.push(e.message.data));
    const socket = await connect(client, rt);
    socket.receive({ sequenceId: 1, type: "message", from: "server", dataType: "text", data: "a" });
    socket.receive({ sequenceId: 2, type: "message", from: "server", dataType: "text", data: "b" }); // 2 came as "a2"
    expect(got).toEqual(["a", "a2", "b2"]);
    await client.stop();
  });

  it("delivers binary data as an ArrayBuffer and text/json unchanged to listeners", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient("wss://h/client/hubs/x?access_token=a", {}, rt);
    const got: unknown[] = [];
    client.on("group-message", (e) => got.push(e.message));
    client.on("server-message", (e) => got.push(e.message));
    const socket = await connect(client, rt);
    socket.receive({ sequenceId: 1, type: "message", from: "group", group: "g", fromUserId: "u2", dataType: "binary", data: "AQID" });
    socket.receive({ sequenceId: 2, type: "message", from: "server", dataType: "json", data: { a: 1 } });
    socket.receive({ sequenceId: 3, type: "message", from: "group", group: "g", dataType: "text", data: "t" });
    expect(got).toHaveLength(3);
    const [bin, js, tx] = got as Array<Record<string, unknown>>;
    expect(bin).toMatchObject({ kind: "groupData", group: "g", fromUserId: "u2", dataType: "binary", sequenceId: 1 });
    expect(bin.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(bin.data as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(js).toEqual({ kind: "serverData", dataType: "json", data: { a: 1 }, sequenceId: 2 });
    expect(tx).toMatchObject({ kind: "groupData", dataType: "text", data: "t", fromUserId: undefined });
    await client.stop();
  });

  it("sends binary content given as ArrayBuffer, Uint8Array with offset and Buffer", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient("wss://h/client/hubs/x?access_token=a", {}, rt);
    const socket = await connect(client, rt);
    const backing = new Uint8Array([7, 7, 1, 2, 3, 7]).buffer;
    void client.sendToGroup("g", bytes(1, 2, 3), "binary", { fireAndForget: true });
    void client.sendToGroup("g", new Uint8Array(backing, 2, 3), "protobuf", { fireAndForget: true });
    void client.sendEvent("e", Buffer.from("xx\x01\x02\x03").subarray(2), "binary", { fireAndForget: true });
    await settle();
    expect(socket.frames().map((f) => [f.type, f.dataType, f.data])).toEqual([
      ["sendToGroup", "binary", "AQID"],
      ["sendToGroup", "protobuf", "AQID"],
      ["event", "binary", "AQID"],
    ]);
    await client.stop();
  });
});

// The local service on the protobuf subprotocols: translation to and from JSON clients,
// REST and upstream paths, malformed frames, and the client's invokeEvent refusal.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { describe, expect, it, onTestFinished } from "vitest";
import { DownstreamMessage, UpstreamMessage } from "../../emulator/protocol/protobuf-codec";
import { InvocationError, type OnGroupDataMessageArgs, type OnServerDataMessageArgs } from "../../src/index";
import { decodeAny, encodeAny, WebPubSubProtobufProtocol, WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index";
import { connect as connectJson, open } from "../emulator/helpers";
import { ALL_ROLES, bytes, emulator, recorder, startClient } from "./helpers";

const ANY = encodeAny({ typeUrl: "type.googleapis.com/demo.Point", value: new Uint8Array([8, 3, 16, 4]) });

describe("translation between subprotocols", () => {
  it("a JSON client and a protobuf client in one group each see the other's messages with the right dataType", async () => {
    const emu = await emulator();
    const pb = await startClient(emu, WebPubSubProtobufReliableProtocol(), { userId: "pb" });
    const json = await connectJson(emu, "chat", { userId: "js", roles: ALL_ROLES });
    const pbGot = recorder<OnGroupDataMessageArgs>((l) => pb.on("group-message", l));
    await pb.joinGroup("room");
    expect(await json.client.request({ type: "joinGroup", group: "room", ackId: 1 })).toMatchObject({ success: true });

    await pb.sendToGroup("room", "tëxt", "text", { noEcho: true });
    await pb.sendToGroup("room", { a: [1, null] }, "json", { noEcho: true });
    await pb.sendToGroup("room", new Uint8Array([0, 1, 255]), "binary", { noEcho: true });
    await pb.sendToGroup("room", ANY, "protobuf", { noEcho: true });
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await json.client.nextWhere((f) => f.type === "message"));
    expect(seen.map(({ dataType, data, from, group, fromUserId }) => ({ dataType, data, from, group, fromUserId }))).toEqual([
      { dataType: "text", data: "tëxt", from: "group", group: "room", fromUserId: "pb" },
      { dataType: "json", data: { a: [1, null] }, from: "group", group: "room", fromUserId: "pb" },
      { dataType: "binary", data: Buffer.from([0, 1, 255]).toString("base64"), from: "group", group: "room", fromUserId: "pb" },
      { dataType: "protobuf", data: Buffer.from(ANY).toString("base64"), from: "group", group: "room", fromUserId: "pb" },
    ]);

    for (const [ackId, dataType, data] of [
      [2, "text", "from json"],
      [3, "json", { b: true }],
      [4, "binary", Buffer.from([7, 8]).toString("base64")],
      [5, "protobuf", Buffer.from(ANY).toString("base64")],
    ] as const) {
      expect(await json.client.request({ type: "sendToGroup", group: "room", ackId, noEcho: true, dataType, data })).toMatchObject({ success: true });
    }
    const got = (await pbGot.until(4)).map((e) => e.message);
    expect(got.map((m) => [m.dataType, m.data instanceof ArrayBuffer ? bytes(m.data) : m.data])).toEqual([
      ["text", "from json"],
      ["json", { b: true }],
      ["binary", [7, 8]],
      ["protobuf", [...ANY]],
    ]);
    expect(decodeAny(got[3]!.data as ArrayBuffer).typeUrl).toBe("type.googleapis.com/demo.Point");
    expect(got.map((m) => [m.group, m.fromUserId, m.sequenceId])).toEqual([
      ["room", undefined, 1],
      ["room", undefined, 2],
      ["room", undefined, 3],
      ["room", undefined, 4],
    ]); // the protobuf DataMessage has no from_user_id
  });

  it("the non-reliable protobuf subprotocol: no sequence ids, no reconnection token", async () => {
    const emu = await emulator();
    const pb = await startClient(emu, WebPubSubProtobufProtocol());
    const got = recorder<OnGroupDataMessageArgs>((l) => pb.on("group-message", l));
    await pb.joinGroup("g");
    await pb.sendToGroup("g", "x", "text");
    const [m] = await got.until(1);
    expect(m!.message).toMatchObject({ dataType: "text", data: "x", sequenceId: undefined });
    expect(emu.connections("chat")[0]!.subprotocol).toBe("protobuf.webpubsub.azure.v1");
  });
});

describe("REST and upstream paths", () => {
  it("REST sends reach a protobuf client with the dataType of the Content-Type", async () => {
    const emu = await emulator();
    const pb = await startClient(emu, WebPubSubProtobufReliableProtocol(), { userId: "u1" });
    await pb.joinGroup("room");
    const server = new WebPubSubServiceClient(emu.connectionString, "chat", { allowInsecureConnection: true });
    const serverGot = recorder<OnServerDataMessageArgs>((l) => pb.on("server-message", l));
    await server.sendToAll("plain", { contentType: "text/plain" });
    await server.sendToUser("u1", { x: 1 });
    await server.sendToConnection(pb.connectionId!, Buffer.from([1, 2, 3])); // application/octet-stream
    const s = (await serverGot.until(3)).map((e) => e.message);
    expect(s.map((m) => [m.dataType, m.data instanceof ArrayBuffer ? bytes(m.data) : m.data])).toEqual([
      ["text", "plain"],
      ["json", { x: 1 }],
      ["binary", [1, 2, 3]],
    ]);
  });

  it("events from a protobuf client reach the event handler with their Content-Type and subprotocol; the answer comes back", async () => {
    const seen: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
    // a minimal event handler: abuse-protection OPTIONS, system events answered 204, user events echoed
    const handler = createServer((req, res) => {
      if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        seen.push({ headers: req.headers, body });
        if (!String(req.headers["ce-type"]).startsWith("azure.webpubsub.user.")) return void res.writeHead(204).end();
        res.writeHead(200, { "Content-Type": req.headers["content-type"] ?? "application/octet-stream" }).end(body);
      });
    });
    await new Promise<void>((r) => handler.listen(0, "127.0.0.1", r));
    onTestFinished(() => new Promise<void>((r) => handler.close(() => r())));
    const emu = await emulator({ eventHandler: `http://127.0.0.1:${(handler.address() as AddressInfo).port}/{event}` });
    const pb = await startClient(emu, WebPubSubProtobufReliableProtocol());
    const answers = recorder<OnServerDataMessageArgs>((l) => pb.on("server-message", l));
    await pb.sendEvent("e", "hi", "text");
    await pb.sendEvent("e", { n: 2 }, "json");
    await pb.sendEvent("e", new Uint8Array([9]), "binary");
    await pb.sendEvent("e", ANY, "protobuf");
    const user = seen.filter((s) => s.headers["ce-type"] === "azure.webpubsub.user.e");
    expect(user.map((s) => [String(s.headers["content-type"]).split(";")[0], s.headers["ce-subprotocol"]])).toEqual([
      ["text/plain", "protobuf.reliable.webpubsub.azure.v1"],
      ["application/json", "protobuf.reliable.webpubsub.azure.v1"],
      ["application/octet-stream", "protobuf.reliable.webpubsub.azure.v1"],
      ["application/x-protobuf", "protobuf.reliable.webpubsub.azure.v1"],
    ]);
    expect(user.map((s) => [...s.body])).toEqual([[...Buffer.from("hi")], [...Buffer.from('{"n":2}')], [9], [...ANY]]);
    const back = (await answers.until(4)).map((e) => e.message);
    expect(back.map((m) => [m.dataType, m.data instanceof ArrayBuffer ? bytes(m.data) : m.data])).toEqual([
      ["text", "hi"],
      ["json", { n: 2 }],
      ["binary", [9]],
      ["protobuf", [...ANY]],
    ]);
  });
});

describe("subprotocol choice", () => {
  it("a connect handler may pick a protobuf subprotocol among those offered", async () => {
    const handler = createServer((req, res) => {
      if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      req.resume();
      req.on("end", () => {
        if (req.headers["ce-type"] !== "azure.webpubsub.sys.connect") return void res.writeHead(204).end();
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ subprotocol: "protobuf.reliable.webpubsub.azure.v1" }));
      });
    });
    await new Promise<void>((r) => handler.listen(0, "127.0.0.1", r));
    onTestFinished(() => new Promise<void>((r) => handler.close(() => r())));
    const emu = await emulator({ eventHandler: `http://127.0.0.1:${(handler.address() as AddressInfo).port}/{event}` });
    const ws = await open(await emu.getClientAccessUrl("chat"), ["json.reliable.webpubsub.azure.v1", "protobuf.reliable.webpubsub.azure.v1"]);
    expect(ws.ws.protocol).toBe("protobuf.reliable.webpubsub.azure.v1");
    const first = await ws.nextRaw();
    expect(first.isBinary).toBe(true);
    expect(WebPubSubProtobufReliableProtocol().parseMessages(new Uint8Array(first.data))).toMatchObject({ kind: "connected", reconnectionToken: expect.any(String) });
    ws.close();
  });
});

describe("bad frames and refused operations", () => {
  const frameOf = (obj: object) => Buffer.from(UpstreamMessage.encode(UpstreamMessage.fromObject(obj)).finish());

  it("malformed protobuf from a client: a protobuf `disconnected` with the reason, then close 1008", async () => {
    const emu = await emulator();
    const url = await emu.getClientAccessUrl("chat", { roles: ALL_ROLES });
    const cases: Array<[Buffer | string, RegExp]> = [
      [Buffer.from([0x0a, 0x05, 0x08]), /not a valid UpstreamMessage/],
      ["{\"type\":\"ping\"}", /binary frames only/],
      [Buffer.from([]), /no known message case/],
      [frameOf({ event_message: { event: "" } }), /'event' must not be empty/],
      [frameOf({ send_to_group_message: { group: "g", data: { json_data: "{oops" } } }), /json_data/],
      [frameOf({ send_to_group_message: { group: "g" } }), /'data' is required/],
      [Buffer.concat([Buffer.from([0x32, 0x0e, 0x0a, 0x01, 0x67, 0x10]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]), /above 2\^53/],
    ];
    for (const [frame, reason] of cases) {
      const ws = await open(url, "protobuf.reliable.webpubsub.azure.v1");
      const connected = DownstreamMessage.decode((await ws.nextRaw()).data) as unknown as { message: string };
      expect(connected.message).toBe("system_message");
      ws.ws.send(frame, { binary: typeof frame !== "string" });
      const last = await ws.nextRaw();
      expect(last.isBinary).toBe(true);
      const disconnected = DownstreamMessage.toObject(DownstreamMessage.decode(last.data)) as { system_message?: { disconnected_message?: { reason: string } } };
      expect(disconnected.system_message?.disconnected_message?.reason, String(reason)).toMatch(reason);
      const closed = await ws.waitClose();
      expect(closed.code).toBe(1008);
      expect(closed.reason).toMatch(/Invalid message/);
    }
  });

  it("invokeEvent on protobuf rejects at once with InvocationError; nothing is sent and the client stays connected", async () => {
    const emu = await emulator();
    const pb = await startClient(emu, WebPubSubProtobufReliableProtocol());
    const err = await pb.invokeEvent("calc", { a: 1 }, "json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvocationError);
    expect((err as InvocationError).message).toMatch(/protobuf subprotocols define no "invoke"/);
    expect((err as InvocationError).invocationId).toBe("1");
    expect(pb.state).toBe("connected");
    await expect(pb.joinGroup("still-works")).resolves.toMatchObject({ isDuplicated: false });
  });
});

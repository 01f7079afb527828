import { describe, expect, onTestFinished, test } from "vitest";
import { signJwt } from "../../emulator/index";
import { DEFAULT_ACCESS_KEY } from "../../emulator/index";
import { connect, HandshakeError, JSON_PROTOCOL, open, RELIABLE_PROTOCOL, withEmulator } from "./helpers";

const now = (): number => Math.floor(Date.now() / 1000);

async function refused(promise: Promise<unknown>): Promise<HandshakeError> {
  const err = await promise.then(
    () => {
      throw new Error("the handshake was accepted");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandshakeError);
  return err as HandshakeError;
}

describe("connecting", () => {
  test("a good token gets `connected` first; reliable gets a reconnectionToken, json does not", async () => {
    const emu = await withEmulator(onTestFinished);
    const reliable = await connect(emu, "chat", { userId: "alice" });
    expect(reliable.client.ws.protocol).toBe(RELIABLE_PROTOCOL);
    expect(reliable.connected).toMatchObject({ type: "system", event: "connected", userId: "alice" });
    expect(typeof reliable.connected.reconnectionToken).toBe("string");
    const plain = await connect(emu, "chat", { protocol: JSON_PROTOCOL });
    expect(plain.client.ws.protocol).toBe(JSON_PROTOCOL);
    expect(plain.connected.reconnectionToken).toBeUndefined();
    expect(plain.connected.userId).toBeUndefined();
    expect(plain.connectionId).not.toBe(reliable.connectionId);
    expect(emu.connections("CHAT").map((c) => c.connectionId).sort()).toEqual([reliable.connectionId, plain.connectionId].sort());
  });

  test("token in an Authorization header, and the /client?hub= form", async () => {
    const emu = await withEmulator(onTestFinished);
    const url = await emu.getClientAccessUrl("chat", { userId: "h" });
    const token = new URL(url).searchParams.get("access_token")!;
    const viaHeader = await open(`${emu.endpoint.replace("http", "ws")}/client/hubs/chat`, RELIABLE_PROTOCOL, { Authorization: `Bearer ${token}` });
    expect(await viaHeader.next()).toMatchObject({ event: "connected", userId: "h" });
    const viaQueryHub = await open(`${emu.endpoint.replace("http", "ws")}/client/?hub=chat&access_token=${token}`, RELIABLE_PROTOCOL);
    expect(await viaQueryHub.next()).toMatchObject({ event: "connected", userId: "h" });
  });

  test("hub names compare case-insensitively and the aud ignores case and a trailing slash", async () => {
    const emu = await withEmulator(onTestFinished);
    const token = signJwt({ aud: `${emu.endpoint.toUpperCase()}/CLIENT/HUBS/Chat/`, exp: now() + 60 }, DEFAULT_ACCESS_KEY);
    const c = await open(`${emu.endpoint.replace("http", "ws")}/client/hubs/chat?access_token=${token}`, JSON_PROTOCOL);
    expect(await c.next()).toMatchObject({ event: "connected" });
  });

  test("refusals: missing, expired, not yet valid, wrong key, wrong aud, other hub, alg none -> 401; bad hub name -> 400", async () => {
    const emu = await withEmulator(onTestFinished);
    const ws = emu.endpoint.replace("http", "ws");
    const aud = `${emu.endpoint}/client/hubs/chat`;
    const at = (token: string): string => `${ws}/client/hubs/chat?access_token=${token}`;
    expect((await refused(open(`${ws}/client/hubs/chat`, JSON_PROTOCOL))).status).toBe(401);
    expect((await refused(open(await emu.getClientAccessUrl("chat", { expiresInMinutes: -1 }), JSON_PROTOCOL))).body).toMatch(/expired/);
    expect((await refused(open(at(signJwt({ aud, exp: now() + 60, nbf: now() + 600 }, DEFAULT_ACCESS_KEY)), JSON_PROTOCOL))).status).toBe(401);
    expect((await refused(open(at(signJwt({ aud, exp: now() + 60 }, "another-key")), JSON_PROTOCOL))).body).toMatch(/signature/);
    expect((await refused(open(at(signJwt({ aud: "http://elsewhere:1/client/hubs/chat", exp: now() + 60 }, DEFAULT_ACCESS_KEY)), JSON_PROTOCOL))).body).toMatch(/audience/);
    expect((await refused(open(at(signJwt({ exp: now() + 60 }, DEFAULT_ACCESS_KEY)), JSON_PROTOCOL))).status).toBe(401);
    const otherHub = new URL(await emu.getClientAccessUrl("other")).searchParams.get("access_token")!;
    expect((await refused(open(at(otherHub), JSON_PROTOCOL))).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ aud })).toString("base64url")}.`;
    expect((await refused(open(at(none), JSON_PROTOCOL))).status).toBe(401);
    expect((await refused(open(at("not-a-jwt"), JSON_PROTOCOL))).status).toBe(401);
    const good = new URL(await emu.getClientAccessUrl("chat")).searchParams.get("access_token")!;
    expect((await refused(open(`${ws}/client/hubs/1bad?access_token=${good}`, JSON_PROTOCOL))).status).toBe(400);
    expect((await refused(open(`${ws}/client/hubs/${"a".repeat(129)}?access_token=${good}`, JSON_PROTOCOL))).status).toBe(400);
    expect((await refused(open(`${ws}/nowhere?access_token=${good}`, JSON_PROTOCOL))).status).toBe(404);
    expect(emu.connections()).toEqual([]);
  });

  test("claims: role and group as strings or arrays, `group` alias, sub", async () => {
    const emu = await withEmulator(onTestFinished);
    const token = signJwt(
      { aud: `${emu.endpoint}/client/hubs/chat`, exp: now() + 60, sub: "u", role: "webpubsub.joinLeaveGroup", "webpubsub.group": "g1", group: ["g2", "g3"] },
      DEFAULT_ACCESS_KEY,
    );
    const c = await open(`${emu.endpoint.replace("http", "ws")}/client/hubs/chat?access_token=${token}`, JSON_PROTOCOL);
    expect(await c.next()).toMatchObject({ event: "connected", userId: "u" });
    expect(emu.connections("chat")[0]!.groups.sort()).toEqual(["g1", "g2", "g3"]);
    expect(await c.request({ type: "joinGroup", group: "g4", ackId: 1 })).toMatchObject({ success: true });
  });

  test("subprotocols: the first PubSub one offered wins (protobuf too), unknown one echoed as a simple client, none is a simple client", async () => {
    const emu = await withEmulator(onTestFinished);
    const url = await emu.getClientAccessUrl("chat");
    const pb = await open(url, "protobuf.reliable.webpubsub.azure.v1");
    expect(pb.ws.protocol).toBe("protobuf.reliable.webpubsub.azure.v1");
    const both = await open(url, ["made.up", "protobuf.webpubsub.azure.v1", JSON_PROTOCOL]);
    expect(both.ws.protocol).toBe("protobuf.webpubsub.azure.v1");
    const custom = await open(url, "my.protocol");
    expect(custom.ws.protocol).toBe("my.protocol");
    const simple = await open(url);
    expect(simple.ws.protocol).toBe("");
    const info = emu.connections("chat");
    expect(info.filter((c) => c.subprotocol === undefined)).toHaveLength(1);
    expect(info.filter((c) => c.subprotocol?.startsWith("protobuf."))).toHaveLength(2);
    expect(info.find((c) => c.subprotocol === "my.protocol")).toBeDefined();
  });

  test("simple clients get raw frames: text/json as text, binary as binary; sending without a handler closes 1000", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client: sender } = await connect(emu, "chat", { roles: ["webpubsub.sendToGroup"] });
    const simple = await open(await emu.getClientAccessUrl("chat", { groups: ["g"] }));
    sender.send({ type: "sendToGroup", group: "g", dataType: "text", data: "hello" });
    sender.send({ type: "sendToGroup", group: "g", dataType: "json", data: { a: [1] } });
    sender.send({ type: "sendToGroup", group: "g", dataType: "binary", data: Buffer.from([1, 2, 3]).toString("base64") });
    const a = await simple.nextRaw();
    expect([a.isBinary, a.data.toString()]).toEqual([false, "hello"]);
    const b = await simple.nextRaw();
    expect([b.isBinary, b.data.toString()]).toEqual([false, '{"a":[1]}']);
    const c = await simple.nextRaw();
    expect([c.isBinary, [...c.data]]).toEqual([true, [1, 2, 3]]);
    simple.ws.send("anything");
    expect((await simple.waitClose()).code).toBe(1000);
    expect(simple.messages).toHaveLength(0);
  });

  test("connect and disconnect events, with userId", async () => {
    const emu = await withEmulator(onTestFinished);
    const seen: string[] = [];
    emu.events.on("connect", (e: { connectionId: string; userId?: string }) => seen.push(`connect ${e.userId}`));
    emu.events.on("disconnect", (e: { connectionId: string; userId?: string }) => seen.push(`disconnect ${e.userId}`));
    const { client } = await connect(emu, "chat", { userId: "z" });
    const gone = new Promise((resolve) => emu.events.once("disconnect", resolve));
    client.ws.close(1000);
    await gone;
    expect(seen).toEqual(["connect z", "disconnect z"]);
    expect(emu.connections()).toEqual([]);
  });

  test("close() is idempotent and sends `disconnected` before closing clients", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client } = await connect(emu, "chat");
    await Promise.all([emu.close(), emu.close()]);
    expect(await client.next()).toMatchObject({ type: "system", event: "disconnected" });
    expect((await client.waitClose()).code).toBe(1001);
    await emu.close();
  });
});

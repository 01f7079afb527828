/** The service's bounds and Azure-like refusals (issue 10): each is what a client sees at the limit. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { connect as connectTcp, type AddressInfo } from "node:net";
import { describe, expect, onTestFinished, test } from "vitest";
import { DEFAULT_ACCESS_KEY, signJwt, testHooks, type ConnectionEvent } from "../../emulator/index";
import { parseCliArgs } from "../../emulator/cli";
import { connect, HandshakeError, JSON_PROTOCOL, open, withEmulator, type TestClient } from "./helpers";

const now = (): number => Math.floor(Date.now() / 1000);
const ALL = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

async function disconnectedThenClose(client: TestClient): Promise<{ message: string; code: number; reason: string }> {
  const frame = await client.nextWhere((f) => f.type === "system" && f.event === "disconnected");
  const closed = await client.waitClose();
  return { message: String(frame.message), ...closed };
}

function restUrl(endpoint: string, path: string, apiVersion = "2024-01-01"): string {
  return `${endpoint}/api/hubs/${path}?api-version=${apiVersion}`;
}

function restCall(url: string, method: string, claims: Record<string, unknown> = { exp: now() + 60 }, body?: string): Promise<Response> {
  const aud = url.split("?")[0]!;
  return fetch(url, {
    method,
    headers: { Authorization: `Bearer ${signJwt({ aud, ...claims }, DEFAULT_ACCESS_KEY)}`, ...(body === undefined ? {} : { "Content-Type": "text/plain" }) },
    ...(body === undefined ? {} : { body }),
  });
}

describe("client input is cut in one pass and capped", () => {
  test("a 1 MB `type` closes the connection with 1008 at once, with a short reason; the service keeps serving", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client: good } = await connect(emu, "other", { protocol: JSON_PROTOCOL });
    const { client: bad } = await connect(emu, "h", { protocol: JSON_PROTOCOL });
    bad.send(`{"type":"${"x".repeat(1024 * 1024 - 20)}"}`);
    const closed = await disconnectedThenClose(bad);
    expect(closed.code).toBe(1008);
    expect(closed.message).toMatch(/^Invalid message: Unknown message type 'x+…'\.$/);
    expect(closed.message.length).toBeLessThan(200);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    good.send({ type: "ping" });
    expect(await good.next()).toEqual({ type: "pong" });
  });

  test("multi-byte reasons are cut on a character boundary within 123 bytes", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, connectionId } = await connect(emu, "h", { protocol: JSON_PROTOCOL });
    emu.faults.close(connectionId, 4000, "é".repeat(400));
    const closed = await disconnectedThenClose(client);
    expect(closed.code).toBe(4000);
    expect(closed.reason).toBe("é".repeat(61));
    expect(closed.message.length).toBeLessThanOrEqual(512);
  });

  test("event names and invocation ids are at most 1024 characters", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client } = await connect(emu, "h", { protocol: JSON_PROTOCOL });
    expect(await client.request({ type: "event", event: "e".repeat(1025), ackId: 1, dataType: "text", data: "x" })).toMatchObject({ success: false, error: { name: "BadRequest" } });
    client.send({ type: "invoke", invocationId: "i".repeat(1025), event: "e", dataType: "text", data: "x" });
    expect((await disconnectedThenClose(client)).code).toBe(1008);
  });
});

describe("protocol rules", () => {
  test("a sequenceAck above the last sequence id sent closes with 1008; up to it is fine", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client } = await connect(emu, "h", { roles: ALL, groups: ["g"] });
    expect(await client.request({ type: "sendToGroup", group: "g", ackId: 1, dataType: "text", data: "one" })).toMatchObject({ success: true });
    expect(await client.nextWhere((f) => f.type === "message")).toMatchObject({ sequenceId: 1, data: "one" });
    client.send({ type: "sequenceAck", sequenceId: 0 });
    client.send({ type: "sequenceAck", sequenceId: 1 });
    client.send({ type: "ping" });
    expect(await client.next()).toEqual({ type: "pong" });
    client.send({ type: "sequenceAck", sequenceId: 2 });
    const closed = await disconnectedThenClose(client);
    expect(closed.code).toBe(1008);
    expect(closed.message).toMatch(/sequenceAck.*above the last sequence id sent \(1\)/);
  });

  test("WebSocket-level pings at the configured interval; application pings get pong", async () => {
    const emu = await withEmulator(onTestFinished, { pingIntervalMs: 20 });
    const { client } = await connect(emu, "h", { protocol: JSON_PROTOCOL });
    await new Promise<void>((resolve) => client.ws.once("ping", () => resolve()));
    client.send({ type: "ping" });
    expect(await client.next()).toEqual({ type: "pong" });
    expect(parseCliArgs(["--ping-interval", "5"])).toMatchObject({ kind: "run", options: { pingIntervalMs: 5000 } });
    expect(parseCliArgs(["--ping-interval", "0"])).toMatchObject({ kind: "run", options: { pingIntervalMs: 0 } });
    for (const bad of ["121", "-1", "1.5", "x"]) expect(parseCliArgs(["--ping-interval", bad]).kind).toBe("error");
  });
});

describe("tokens and REST requests", () => {
  test("a 1 MB token is answered 431, not a reset; a token without exp is 401", async () => {
    const emu = await withEmulator(onTestFinished);
    const url = await emu.getClientAccessUrl("h");
    const err = await open(`${url}${"A".repeat(1024 * 1024)}`, JSON_PROTOCOL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect((err as HandshakeError).status).toBe(431);
    const noExp = signJwt({ aud: `${emu.endpoint}/client/hubs/h` }, DEFAULT_ACCESS_KEY);
    const refused = await open(`${emu.endpoint.replace("http", "ws")}/client/hubs/h?access_token=${noExp}`, JSON_PROTOCOL).catch((e: unknown) => e);
    expect((refused as HandshakeError).status).toBe(401);
    expect((refused as HandshakeError).body).toMatch(/exp/);
    expect((await restCall(restUrl(emu.endpoint, "h/:send"), "POST", {}, "x")).status).toBe(401);
  });

  test("slowloris: headers that do not all arrive in time get 408 and the socket closes", async () => {
    const emu = await withEmulator(onTestFinished, { headersTimeoutMs: 300 });
    const { port } = new URL(emu.endpoint);
    const socket = connectTcp(Number(port), "127.0.0.1");
    let answer = "";
    socket.on("data", (d: Buffer) => void (answer += d.toString()));
    socket.write("GET /client/hubs/h?access_token=x HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const dribble = setInterval(() => socket.writable && socket.write("x"), 50);
    await new Promise((resolve) => socket.once("close", resolve));
    clearInterval(dribble);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  test("api-versions outside the documented list are 400", async () => {
    const emu = await withEmulator(onTestFinished);
    for (const v of ["2023-07-01", "2021-08-01-preview", "1999-01-01"]) {
      const res = await restCall(restUrl(emu.endpoint, "h/:send", v), "POST", undefined, "x");
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "InvalidApiVersion" });
    }
    expect((await restCall(restUrl(emu.endpoint, "h/:send", "2024-01-01"), "POST", undefined, "x")).status).toBe(202);
  });

  test("hubs that only REST calls named, or whose connections left, are not kept", async () => {
    const emu = await withEmulator(onTestFinished);
    const hooks = testHooks(emu);
    for (let i = 0; i < 50; i++) {
      expect((await restCall(restUrl(emu.endpoint, `hub${i}/:send`), "POST", undefined, "x")).status).toBe(202);
      expect((await restCall(restUrl(emu.endpoint, `hub${i}/groups/g`), "HEAD")).status).toBe(404);
    }
    expect(hooks.hubCount()).toBe(0);
    const { client } = await connect(emu, "live", { protocol: JSON_PROTOCOL });
    expect(hooks.hubCount()).toBe(1);
    const left = new Promise((resolve) => emu.events.once("disconnect", resolve));
    client.ws.close(1000);
    await left;
    expect(hooks.hubCount()).toBe(0);
    // state that must outlive connections keeps its hub: a user's group membership made by REST
    expect((await restCall(restUrl(emu.endpoint, "kept/users/u/groups/g"), "PUT")).status).toBe(200);
    expect(hooks.hubCount()).toBe(1);
  });
});

describe("per-connection memory", () => {
  test("a connection can be in 1000 groups; the next join is refused (BadRequest), REST adds get 400", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, connectionId } = await connect(emu, "h", { protocol: JSON_PROTOCOL, roles: ALL });
    for (let i = 1; i <= 1001; i++) client.send({ type: "joinGroup", group: `g${i}`, ackId: i });
    const acks = new Map<number, Record<string, unknown>>();
    while (acks.size < 1001) {
      const f = await client.next();
      if (f.type === "ack") acks.set(Number(f.ackId), f);
    }
    expect([...acks.values()].filter((a) => a.success === true)).toHaveLength(1000);
    expect(acks.get(1001)).toMatchObject({ success: false, error: { name: "BadRequest" } });
    expect(await client.request({ type: "joinGroup", group: "g1", ackId: 2000 })).toMatchObject({ success: true }); // already in: fine
    expect((await restCall(restUrl(emu.endpoint, `h/groups/extra/connections/${connectionId}`), "PUT")).status).toBe(400);
    expect(emu.connections("h")[0]!.groups).toHaveLength(1000);
  });

  test("at most 32 user events wait for the event handler; past that: TooManyRequests, or 1008 without an ackId", async () => {
    const held: ServerResponse[] = [];
    let arrived: (() => void) | undefined;
    const nextHeld = async (): Promise<ServerResponse> => {
      while (held.length === 0) await new Promise<void>((resolve) => (arrived = resolve));
      return held.shift()!;
    };
    const handler = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      req.resume();
      req.on("end", () => {
        if (!String(req.headers["ce-type"]).startsWith("azure.webpubsub.user.")) return void res.writeHead(204).end();
        held.push(res);
        arrived?.();
      });
    });
    await new Promise<void>((resolve) => handler.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => handler.close(() => resolve())));
    const emu = await withEmulator(onTestFinished, { eventHandler: `http://127.0.0.1:${(handler.address() as AddressInfo).port}/{event}` });
    const { client } = await connect(emu, "h", { protocol: JSON_PROTOCOL });
    for (let i = 1; i <= 40; i++) client.send({ type: "event", event: "e", ackId: i, dataType: "text", data: `n${i}` });
    const refused: number[] = [];
    while (refused.length < 8) {
      const f = await client.next();
      expect(f).toMatchObject({ type: "ack", success: false, error: { name: "TooManyRequests" } });
      refused.push(Number(f.ackId));
    }
    expect(refused).toEqual([33, 34, 35, 36, 37, 38, 39, 40]);
    // the queue drains as the handler answers: every admitted event is acknowledged
    const done: number[] = [];
    while (done.length < 32) {
      (await nextHeld()).writeHead(204).end(); // one at a time: the service sends a connection's events in order
      const f = await client.next();
      expect(f).toMatchObject({ type: "ack", success: true });
      done.push(Number(f.ackId));
    }
    expect(done).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    // fire-and-forget past the bound: the connection is closed
    const { client: flooder } = await connect(emu, "h", { protocol: JSON_PROTOCOL });
    for (let i = 0; i < 40; i++) flooder.send({ type: "event", event: "e", dataType: "text", data: "x" });
    const closed = await disconnectedThenClose(flooder);
    expect([closed.code, closed.message]).toEqual([1008, expect.stringMatching(/TooManyRequests/)]);
    // a simple WebSocket client (no acks at all) past the bound: closed 1008 too
    const simple = await open(await emu.getClientAccessUrl("h"));
    for (let i = 0; i < 40; i++) simple.ws.send(`raw ${i}`);
    expect((await simple.waitClose()).code).toBe(1008);
    for (const res of held.splice(0)) res.writeHead(204).end();
  });

  test("a client that stops reading while acknowledging what it was sent is closed 1008 SlowClient past 16 MB queued", async () => {
    const emu = await withEmulator(onTestFinished);
    const hooks = testHooks(emu);
    const { client, connectionId } = await connect(emu, "h");
    client.ws.pause();
    const body = Buffer.alloc(256 * 1024, 0x61);
    const closed = new Promise<ConnectionEvent>((resolve) => emu.events.once("disconnect", resolve));
    let sent = 0;
    // legitimate-looking acks (never above the last id sent) keep the unacked buffer empty: the socket bound must hold
    while (hooks.has(connectionId) && sent < 400) {
      hooks.sendToConnection(connectionId, body, "binary");
      sent++;
      const frame = Buffer.from(JSON.stringify({ type: "sequenceAck", sequenceId: sent }));
      client.ws.send(frame);
      if (sent % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await closed).toMatchObject({ connectionId, reason: "SlowClient" });
    expect(sent).toBeLessThan(400); // 400 × 256 KB = 100 MB would have been queued without the bound
    expect(hooks.has(connectionId)).toBe(false);
  });
});

import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { WebPubSubEventHandler, type ConnectedRequest, type ConnectRequest, type DisconnectedRequest, type UserEventRequest } from "@azure/web-pubsub-express";
import { describe, expect, onTestFinished, test } from "vitest";
import { DEFAULT_ACCESS_KEY } from "../../emulator/index";
import { connect, HandshakeError, open, RELIABLE_PROTOCOL, withEmulator } from "./helpers";

interface Recorded {
  connects: ConnectRequest[];
  connected: ConnectedRequest[];
  disconnected: DisconnectedRequest[];
  events: UserEventRequest[];
  signatures: string[];
}

/** An express app with the official event handler for hub "chat", on 127.0.0.1. */
async function startHandler(): Promise<{
  url: string;
  rec: Recorded;
  waitFor: (what: keyof Recorded, n: number) => Promise<void>;
  /** Rebuilds the handler with `allowedEndpoints` (abuse protection: only those service origins may call it). */
  allow: (allowedEndpoints: string[]) => void;
}> {
  const rec: Recorded = { connects: [], connected: [], disconnected: [], events: [], signatures: [] };
  const waiters: Array<() => void> = [];
  const changed = (): void => waiters.splice(0).forEach((w) => w());
  const makeHandler = (allowedEndpoints?: string[]): WebPubSubEventHandler => new WebPubSubEventHandler("chat", {
    path: "/eventhandler",
    ...(allowedEndpoints ? { allowedEndpoints } : {}),
    handleConnect(req, res) {
      rec.connects.push(req);
      changed();
      if (req.claims?.sub?.[0] === "banned") return res.fail(401, "banned user");
      const q = req.queries?.["as"]?.[0];
      res.setState("visits", 1);
      res.success({ userId: q ?? req.claims?.sub?.[0] ?? "anonymous", groups: ["from-handler"], roles: ["webpubsub.sendToGroup.from-handler"] });
    },
    onConnected(req) {
      rec.connected.push(req);
      changed();
    },
    onDisconnected(req) {
      rec.disconnected.push(req);
      changed();
    },
    handleUserEvent(req, res) {
      rec.events.push(req);
      changed();
      if (req.context.eventName === "fail") return res.fail(500, "handler failed");
      if (req.context.eventName === "silent") return res.success();
      if (req.context.eventName === "huge") return res.success("x".repeat(2 * 1024 * 1024 + 1), "text"); // past MAX_UPSTREAM_RESPONSE_BYTES
      if (req.context.eventName === "state") {
        const visits = Number(req.context.states.visits ?? 0);
        res.setState("visits", visits + 1);
        return res.success(String(visits), "text");
      }
      if (req.dataType === "binary") return res.success(req.data as ArrayBuffer, "binary");
      if (req.dataType === "json") return res.success(JSON.stringify({ echo: req.data }), "json");
      return res.success(`echo: ${String(req.data)}`, "text");
    },
  });
  const app = express();
  app.use((req, _res, next) => {
    const sig = req.headers["ce-signature"];
    if (typeof sig === "string") rec.signatures.push(`${String(req.headers["ce-connectionid"])} ${sig}`);
    next();
  });
  let middleware = makeHandler().getMiddleware();
  app.use((req, res, next) => middleware(req, res, next));
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const port = (server.address() as AddressInfo).port;
  const waitFor = (what: keyof Recorded, n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (rec[what].length >= n) resolve();
        else waiters.push(check);
      };
      check();
    });
  const allow = (allowedEndpoints: string[]): void => void (middleware = makeHandler(allowedEndpoints).getMiddleware());
  return { url: `http://127.0.0.1:${port}/eventhandler`, rec, waitFor, allow };
}

describe("upstream events with @azure/web-pubsub-express", () => {
  test("connect sets userId, groups and roles; connected and disconnected follow; signatures verify", async () => {
    const h = await startHandler();
    const emu = await withEmulator(onTestFinished, { eventHandler: h.url });
    const { client, connected, connectionId } = await connect(emu, "chat", { userId: "tokenUser" });
    expect(connected).toMatchObject({ userId: "tokenUser" });
    expect(h.rec.connects[0]!.claims?.sub).toEqual(["tokenUser"]);
    expect(h.rec.connects[0]!.subprotocols).toEqual([RELIABLE_PROTOCOL]);
    expect(h.rec.connects[0]!.context).toMatchObject({ hub: "chat", connectionId });
    expect(emu.connections("chat")[0]!.groups).toEqual(["from-handler"]);
    expect(await client.request({ type: "sendToGroup", group: "from-handler", ackId: 1, dataType: "text", data: "ok" })).toMatchObject({ success: true });
    expect(await client.next()).toMatchObject({ from: "group", data: "ok" });
    expect(await client.request({ type: "sendToGroup", group: "elsewhere", ackId: 2, dataType: "text", data: "no" })).toMatchObject({ error: { name: "Forbidden" } });
    await h.waitFor("connected", 1);
    expect(h.rec.connected[0]!.context).toMatchObject({ connectionId, userId: "tokenUser", hub: "chat" });
    client.ws.close(1000);
    await h.waitFor("disconnected", 1);
    expect(h.rec.disconnected[0]!.reason).toEqual(expect.any(String));
    const expected = `sha256=${createHmac("sha256", DEFAULT_ACCESS_KEY).update(connectionId).digest("hex")}`;
    expect(h.rec.signatures).toContain(`${connectionId} ${expected}`);
  });

  test("the handler's userId from the query wins; a 401 from connect refuses the handshake", async () => {
    const h = await startHandler();
    const emu = await withEmulator(onTestFinished, { eventHandler: h.url });
    const url = await emu.getClientAccessUrl("chat");
    const c = await open(`${url}&as=fromQuery`, RELIABLE_PROTOCOL);
    expect(await c.next()).toMatchObject({ event: "connected", userId: "fromQuery" });
    const err = await open(await emu.getClientAccessUrl("chat", { userId: "banned" }), RELIABLE_PROTOCOL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect((err as HandshakeError).status).toBe(401);
    expect(emu.connections("chat")).toHaveLength(1);
  });

  test("user events: response comes back as a server message before the ack; failures are InvocationFailed; states persist", async () => {
    const h = await startHandler();
    const emu = await withEmulator(onTestFinished, { eventHandler: h.url });
    const { client } = await connect(emu, "chat", { userId: "u" });
    client.send({ type: "event", event: "say", ackId: 1, dataType: "text", data: "hi" });
    expect(await client.next()).toEqual({ sequenceId: 1, type: "message", from: "server", dataType: "text", data: "echo: hi" });
    expect(await client.next()).toEqual({ type: "ack", ackId: 1, success: true });
    client.send({ type: "event", event: "say", ackId: 2, dataType: "json", data: { n: 1 } });
    expect(await client.next()).toMatchObject({ from: "server", dataType: "json", data: { echo: { n: 1 } } });
    expect(await client.next()).toMatchObject({ ackId: 2, success: true });
    client.send({ type: "event", event: "say", ackId: 3, dataType: "binary", data: Buffer.from("bin").toString("base64") });
    expect(await client.next()).toMatchObject({ from: "server", dataType: "binary", data: Buffer.from("bin").toString("base64") });
    expect(await client.next()).toMatchObject({ ackId: 3 });
    expect(await client.request({ type: "event", event: "silent", ackId: 4, dataType: "text", data: "x" })).toMatchObject({ success: true });
    expect(await client.request({ type: "event", event: "fail", ackId: 5, dataType: "text", data: "x" })).toMatchObject({ success: false, error: { name: "InvocationFailed" } });
    expect(await client.request({ type: "event", event: "fail", ackId: 5, dataType: "text", data: "x" })).toMatchObject({ error: { name: "InvocationFailed" } });
    client.send({ type: "event", event: "state", ackId: 6, dataType: "text", data: "" });
    expect(await client.next()).toMatchObject({ data: "1" });
    await client.next();
    client.send({ type: "event", event: "state", ackId: 7, dataType: "text", data: "" });
    expect(await client.next()).toMatchObject({ data: "2" });
    expect(h.rec.events.map((e) => e.context.eventName)).toEqual(["say", "say", "say", "silent", "fail", "fail", "state", "state"]);
    expect(h.rec.events[0]!.context.userId).toBe("u");
  });

  test("an event handler answer past 2 MB is refused: the event fails with InvocationFailed and the connection stays", async () => {
    const h = await startHandler();
    const emu = await withEmulator(onTestFinished, { eventHandler: h.url });
    const { client } = await connect(emu, "chat", { userId: "u" });
    expect(await client.request({ type: "event", event: "huge", ackId: 1, dataType: "text", data: "x" })).toMatchObject({
      success: false,
      error: { name: "InvocationFailed", message: expect.stringMatching(/could not be reached: event handler response is too large/) },
    });
    expect(await client.request({ type: "event", event: "silent", ackId: 2, dataType: "text", data: "x" })).toMatchObject({ success: true });
  });

  test("invoke returns the handler's answer as invokeResponse; failures as InvocationFailed", async () => {
    const h = await startHandler();
    const emu = await withEmulator(onTestFinished, { eventHandler: h.url });
    const { client } = await connect(emu, "chat");
    client.send({ type: "invoke", invocationId: "1", target: "event", event: "say", dataType: "json", data: { q: 1 } });
    expect(await client.next()).toEqual({ type: "invokeResponse", invocationId: "1", success: true, dataType: "json", data: { echo: { q: 1 } } });
    client.send({ type: "invoke", invocationId: "2", target: "event", event: "fail", dataType: "text", data: "x" });
    expect(await client.next()).toMatchObject({ type: "invokeResponse", invocationId: "2", success: false, error: { name: "InvocationFailed" } });
    client.send({ type: "invoke", invocationId: "3", target: "event", event: "silent", dataType: "text", data: "x" });
    expect(await client.next()).toEqual({ type: "invokeResponse", invocationId: "3", success: true });
  });

  test("abuse protection: a handler that allows the service's origin gets events; one that does not gets none, with a clear log line", async () => {
    const h = await startHandler();
    const lines: string[] = [];
    const emu = await withEmulator(onTestFinished, { eventHandler: h.url, logger: (l) => void lines.push(l) });
    h.allow([emu.endpoint]);
    const { connected } = await connect(emu, "chat", { userId: "allowed" });
    expect(connected).toMatchObject({ userId: "allowed" });
    expect(h.rec.connects).toHaveLength(1);

    const h2 = await startHandler();
    const emu2 = await withEmulator(onTestFinished, { eventHandler: h2.url, logger: (l) => void lines.push(l) });
    h2.allow(["https://some-other-service.webpubsub.azure.com"]);
    const err = await open(await emu2.getClientAccessUrl("chat"), RELIABLE_PROTOCOL).catch((e: unknown) => e);
    expect((err as HandshakeError).status).toBe(500);
    expect((err as HandshakeError).body).toMatch(/does not allow this service's origin/);
    expect(h2.rec.connects).toHaveLength(0); // validated before the first event: nothing was posted
    const origin = new URL(emu2.endpoint).host;
    expect(lines.find((l) => l.includes("does not allow this service's origin"))).toContain(origin);
  });

  test("an unreachable handler: connect refused with 500, no crash", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const emu = await withEmulator(onTestFinished, { eventHandler: `http://127.0.0.1:${port}/x/{event}` });
    const err = await open(await emu.getClientAccessUrl("chat"), RELIABLE_PROTOCOL).catch((e: unknown) => e);
    expect((err as HandshakeError).status).toBe(500);
  });

  test("simple clients: messages go upstream as the `message` event and the answer comes back raw; {event} in the URL template", async () => {
    const seen: Array<{ url: string; type: string; body: string }> = [];
    const validations: string[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      if (req.method === "OPTIONS") {
        validations.push(`${req.url ?? ""} ${String(req.headers["webhook-request-origin"])}`);
        res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({ url: req.url ?? "", type: String(req.headers["ce-type"]), body: Buffer.concat(chunks).toString() });
        if (req.headers["ce-type"] === "azure.webpubsub.user.message") {
          res.setHeader("Content-Type", "text/plain");
          res.end(`got ${Buffer.concat(chunks).toString()}`);
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const emu = await withEmulator(onTestFinished, { eventHandler: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/{hub}/{event}` });
    const simple = await open(await emu.getClientAccessUrl("chat"));
    simple.ws.send("ping?");
    const reply = await simple.nextRaw();
    expect([reply.isBinary, reply.data.toString()]).toEqual([false, "got ping?"]);
    expect(seen.map((s) => s.url)).toEqual(["/hooks/chat/connect", "/hooks/chat/connected", "/hooks/chat/message"]);
    // abuse protection: each URL is validated once, before its first event, with the service's host as the origin
    const origin = new URL(emu.endpoint).host;
    expect(validations).toEqual(["/hooks/chat/connect", "/hooks/chat/connected", "/hooks/chat/message"].map((u) => `${u} ${origin}`));
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ claims: expect.any(Object), query: {}, headers: expect.any(Object), subprotocols: [] });
  });
});

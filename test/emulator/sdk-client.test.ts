/** Conformance: the official @azure/web-pubsub-client 1.1.0 runs unchanged against the emulator. */
import { WebPubSubClient, WebPubSubJsonProtocol, type OnGroupDataMessageArgs } from "@azure/web-pubsub-client";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { describe, expect, onTestFinished, test } from "vitest";
import type { Emulator } from "../../emulator/index";
import { nextEvent, withEmulator } from "./helpers";

const ALL = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

type Message = OnGroupDataMessageArgs["message"];

/** Group messages as they arrive; `until(n)` resolves on the listener that brings the n-th. */
function collect(client: WebPubSubClient): Message[] & { until(n: number, timeoutMs?: number): Promise<void> } {
  const got = [] as unknown as Message[] & { until(n: number, timeoutMs?: number): Promise<void> };
  const waiters: Array<{ n: number; resolve(): void }> = [];
  client.on("group-message", (e) => {
    got.push(e.message);
    for (const w of waiters.filter((w) => got.length >= w.n)) w.resolve();
  });
  got.until = (n, timeoutMs = 10_000) =>
    got.length >= n
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} messages arrived`)), timeoutMs);
          waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
        });
  return got;
}

/** Starts an official client and resolves with its connection id once `connected` arrived. */
async function startOfficial(emu: Emulator, opts: { userId?: string; protocol?: "json" } = {}): Promise<{ client: WebPubSubClient; connectionId: string }> {
  const url = await emu.getClientAccessUrl("chat", { roles: ALL, ...(opts.userId ? { userId: opts.userId } : {}) });
  const client = new WebPubSubClient(
    { getClientAccessUrl: async () => url },
    opts.protocol === "json" ? { protocol: WebPubSubJsonProtocol(), reconnectRetryOptions: { retryDelayInMs: 100 } } : { reconnectRetryOptions: { retryDelayInMs: 100 } },
  );
  const connected = new Promise<string>((resolve) => client.on("connected", (e) => resolve(e.connectionId)));
  onTestFinished(() => client.stop());
  await client.start();
  return { client, connectionId: await connected };
}

describe("@azure/web-pubsub-client against the emulator", () => {
  test("connect, join, every data type, noEcho", async () => {
    const emu = await withEmulator(onTestFinished);
    const a = await startOfficial(emu, { userId: "alice" });
    const b = await startOfficial(emu, { userId: "bob", protocol: "json" });
    const gotA = collect(a.client);
    const gotB = collect(b.client);
    await a.client.joinGroup("room");
    await b.client.joinGroup("room");
    await a.client.sendToGroup("room", "text!", "text");
    await a.client.sendToGroup("room", { n: 1, list: [true] }, "json");
    await a.client.sendToGroup("room", new Uint8Array([1, 2, 3]).buffer, "binary");
    await a.client.sendToGroup("room", new Uint8Array([4, 5]).buffer, "protobuf");
    await a.client.sendToGroup("room", "not for me", "text", { noEcho: true });
    await gotB.until(5);
    expect(gotB.map((m) => [m.dataType, m.data instanceof ArrayBuffer ? [...new Uint8Array(m.data)] : m.data])).toEqual([
      ["text", "text!"],
      ["json", { n: 1, list: [true] }],
      ["binary", [1, 2, 3]],
      ["protobuf", [4, 5]],
      ["text", "not for me"],
    ]);
    expect(gotB.every((m) => m.fromUserId === "alice" && m.group === "room")).toBe(true);
    await gotA.until(4);
    await b.client.sendToGroup("room", "last", "text");
    await gotA.until(5);
    expect(gotA.map((m) => m.data).slice(-1)).toEqual(["last"]);
    expect(gotA.map((m) => m.sequenceId)).toEqual([1, 2, 3, 4, 5]);
  });

  test("a reused ackId resolves with isDuplicated and is not delivered twice", async () => {
    const emu = await withEmulator(onTestFinished);
    const a = await startOfficial(emu);
    const got = collect(a.client);
    await a.client.joinGroup("room");
    expect(await a.client.sendToGroup("room", "once", "text", { ackId: 1000 })).toEqual({ ackId: 1000, isDuplicated: false });
    expect(await a.client.sendToGroup("room", "once", "text", { ackId: 1000 })).toEqual({ ackId: 1000, isDuplicated: true });
    await a.client.sendToGroup("room", "marker", "text");
    await got.until(2);
    expect(got.map((m) => m.data)).toEqual(["once", "marker"]);
  });

  test("recovery after an abrupt drop loses nothing and keeps the connection id", async () => {
    const emu = await withEmulator(onTestFinished);
    const a = await startOfficial(emu);
    const sender = await startOfficial(emu);
    const got = collect(a.client);
    await a.client.joinGroup("room");
    await sender.client.sendToGroup("room", 0, "json");
    await got.until(1);
    const dropped = nextEvent(emu.events, "drop");
    const recovered = nextEvent<{ connectionId: string }>(emu.events, "recover", 10_000);
    emu.faults.pause(a.connectionId); // hold the recovery's resend until every message below is sent
    emu.faults.drop(a.connectionId);
    await dropped;
    for (let i = 1; i <= 20; i++) await sender.client.sendToGroup("room", i, "json");
    expect((await recovered).connectionId).toBe(a.connectionId);
    emu.faults.resume(a.connectionId);
    for (let i = 21; i <= 30; i++) await sender.client.sendToGroup("room", i, "json");
    await got.until(31);
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: 31 }, (_, i) => i));
  });

  test("a 1008 close makes the client start a brand-new connection", async () => {
    const emu = await withEmulator(onTestFinished);
    const a = await startOfficial(emu);
    const next = new Promise<string>((resolve) => a.client.on("connected", (e) => resolve(e.connectionId)));
    const disconnected = new Promise<string | undefined>((resolve) => a.client.on("disconnected", (e) => resolve(e.message?.message)));
    emu.faults.close(a.connectionId, 1008, "policy");
    expect(await disconnected).toBe("policy");
    const newId = await next;
    expect(newId).not.toBe(a.connectionId);
    expect(emu.connections("chat").map((c) => c.connectionId)).toEqual([newId]);
  });

  test("a server broadcast to a room (group(g).sendToAll) is a group-message, as on Azure; sendToAll is a server-message", async () => {
    const emu = await withEmulator(onTestFinished);
    const a = await startOfficial(emu, { userId: "alice" });
    const got = collect(a.client);
    const server: unknown[] = [];
    a.client.on("server-message", (e) => void server.push(e.message.data));
    await a.client.joinGroup("room");
    const rest = new WebPubSubServiceClient(emu.connectionString, "chat", { allowInsecureConnection: true });
    await rest.group("room").sendToAll({ hello: "room" });
    await got.until(1);
    expect(got[0]).toMatchObject({ group: "room", dataType: "json", data: { hello: "room" } });
    expect(got[0]!.fromUserId).toBeUndefined();
    const serverMessage = new Promise<void>((resolve) => a.client.on("server-message", () => resolve()));
    await rest.sendToAll("everyone", { contentType: "text/plain" });
    await serverMessage;
    expect(server).toEqual(["everyone"]);
    expect(got).toHaveLength(1);
  });
});

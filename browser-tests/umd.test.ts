// The UMD build in a page that loads it with a plain <script> tag (global `WebPubSub`).
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEnv, type Env } from "./support/harness.js";

const HUB = "umd";
let env: Env;

beforeAll(async () => {
  env = await startEnv();
});
afterEach(() => env.expectPagesClean());
afterAll(() => env?.close());

interface Recorded {
  kind: string;
  group?: string;
  fromUserId?: string;
  dataType: string;
  data: unknown;
  sequenceId?: number;
}

async function openClient(label: string, userId: string, roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"]) {
  const page = await env.newPage(label);
  await page.goto(`${env.web.url}/pages/umd.html`);
  const url = await env.emu.getClientAccessUrl(HUB, { userId, roles });
  const connectionId = await page.evaluate((u) => window.harness.connect(u), url);
  return { page, connectionId };
}

const received = (page: Page) => page.evaluate(() => window.harness.messages as Recorded[]);

describe("UMD build via <script> tag", () => {
  it("defines the global WebPubSub with the client's exports", async () => {
    const page = await env.newPage();
    await page.goto(`${env.web.url}/pages/umd.html`);
    const names = await page.evaluate(() => Object.keys(window.WebPubSub).sort());
    expect(names).toEqual(
      expect.arrayContaining(["WebPubSubClient", "WebPubSubJsonProtocol", "WebPubSubJsonReliableProtocol", "SendMessageError", "InvocationError"]),
    );
    await page.context().close();
  });

  it("connects, joins a group, sends and receives text, json and binary", async () => {
    const { page, connectionId } = await openClient("umd", "alice");
    expect(connectionId).toMatch(/\S/);
    expect(env.emu.connections(HUB).find((c) => c.connectionId === connectionId)).toMatchObject({ userId: "alice", connected: true });

    const results = await page.evaluate(async () => {
      const c = window.harness.client;
      const join = await c.joinGroup("g1");
      const text = await c.sendToGroup("g1", "hello from a script tag", "text");
      const json = await c.sendToGroup("g1", { n: 1, list: [true, null, "x"] }, "json");
      const bytes = new Uint8Array([0, 1, 2, 250, 255]);
      const bin = await c.sendToGroup("g1", bytes.buffer, "binary"); // an ArrayBuffer
      const view = await c.sendToGroup("g1", new Uint8Array([7, 8, 9]), "binary"); // beyond: any ArrayBufferView
      return [join, text, json, bin, view].map((r) => r.isDuplicated);
    });
    expect(results).toEqual([false, false, false, false, false]);
    expect(env.emu.connections(HUB).find((c) => c.connectionId === connectionId)?.groups).toEqual(["g1"]);

    await page.waitForFunction(() => window.harness.messages.length >= 4);
    const messages = await received(page);
    expect(messages.map(({ kind, group, fromUserId, dataType, data }) => ({ kind, group, fromUserId, dataType, data }))).toEqual([
      { kind: "groupData", group: "g1", fromUserId: "alice", dataType: "text", data: "hello from a script tag" },
      { kind: "groupData", group: "g1", fromUserId: "alice", dataType: "json", data: { n: 1, list: [true, null, "x"] } },
      { kind: "groupData", group: "g1", fromUserId: "alice", dataType: "binary", data: { bytes: [0, 1, 2, 250, 255] } },
      { kind: "groupData", group: "g1", fromUserId: "alice", dataType: "binary", data: { bytes: [7, 8, 9] } },
    ]);
    // Reliable protocol: numbered 1, 2, 3, 4 for this connection.
    expect(messages.map((m) => m.sequenceId)).toEqual([1, 2, 3, 4]);

    await page.evaluate(() => window.harness.client.stop());
    expect(await page.evaluate(() => window.harness.client.state)).toBe("stopped");
    await expect.poll(() => env.emu.connections(HUB).some((c) => c.connectionId === connectionId)).toBe(false);
    await page.context().close();
  });

  it("receives server-message sent through the REST API (WebPubSubServiceClient.sendToAll)", async () => {
    const { page } = await openClient("umd", "bob");
    const service = env.service(HUB);
    await service.sendToAll("plain text", { contentType: "text/plain" });
    await service.sendToAll({ from: "server", ok: true });
    await service.sendToAll(new Uint8Array([1, 2, 3]).buffer); // sent as application/octet-stream

    await page.waitForFunction(() => window.harness.messages.length >= 3);
    const messages = await received(page);
    expect(messages.map(({ kind, dataType, data }) => ({ kind, dataType, data }))).toEqual([
      { kind: "serverData", dataType: "text", data: "plain text" },
      { kind: "serverData", dataType: "json", data: { from: "server", ok: true } },
      { kind: "serverData", dataType: "binary", data: { bytes: [1, 2, 3] } },
    ]);
    await page.evaluate(() => window.harness.client.stop());
    await page.context().close();
  });

  it("two pages chat through a group; noEcho keeps a sender's own message from coming back", async () => {
    const a = await openClient("alice", "alice");
    const b = await openClient("bob", "bob");
    await a.page.evaluate(() => window.harness.client.joinGroup("room"));
    await b.page.evaluate(() => window.harness.client.joinGroup("room"));

    await a.page.evaluate(() => window.harness.client.sendToGroup("room", "hi bob", "text", { noEcho: true }));
    await b.page.waitForFunction(() => window.harness.messages.length === 1);
    await b.page.evaluate(() => window.harness.client.sendToGroup("room", { text: "hi alice" }, "json", { noEcho: true }));
    await a.page.waitForFunction(() => window.harness.messages.length === 1);
    // Without noEcho the sender gets its own message too.
    await a.page.evaluate(() => window.harness.client.sendToGroup("room", "echoed", "text"));
    await a.page.waitForFunction(() => window.harness.messages.length === 2);
    await b.page.waitForFunction(() => window.harness.messages.length === 2);

    const pick = (m: Recorded) => ({ fromUserId: m.fromUserId, data: m.data });
    expect((await received(a.page)).map(pick)).toEqual([
      { fromUserId: "bob", data: { text: "hi alice" } },
      { fromUserId: "alice", data: "echoed" },
    ]);
    expect((await received(b.page)).map(pick)).toEqual([
      { fromUserId: "alice", data: "hi bob" },
      { fromUserId: "alice", data: "echoed" },
    ]);
    for (const p of [a.page, b.page]) {
      await p.evaluate(() => window.harness.client.stop());
      await p.context().close();
    }
  });
});

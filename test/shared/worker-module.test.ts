// The ESM build's module SharedWorker in Node (fakes in worker-fakes.ts) against the local
// service: one worker serves every key; the first tab's options build the worker's engine;
// the worker's engine acknowledges only what the tabs delivered, so a lone tab that goes
// while messages are on their way to it loses none of them after a reload.
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/index.js";
import { defaultRuntime } from "../../src/platform/default-runtime.js";
import { ackOf, AckGate, MAX_HELD_ACKS } from "../../src/shared/ack-gate.js";
import { shareableOptions } from "../../src/shared/worker-options.js";
import { FakeLocks, FakeSessionStorage } from "./fake-locks.js";
import { moduleOrigin, open, workerTab, type FakeTab } from "./worker-fakes.js";

const HUB = "moduleWorker";
let emu: Emulator;
let svc: WebPubSubServiceClient;
const tabs: FakeTab[] = [];
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  svc = new WebPubSubServiceClient(emu.connectionString, HUB, { allowInsecureConnection: true });
});
afterEach(async () => {
  await Promise.all(tabs.splice(0).map((t) => t.engine.stop()));
  for (const p of open.splice(0)) p.close();
});
afterAll(() => emu.close());

const runtime = defaultRuntime(undefined, undefined);
const getClientAccessUrl = () => emu.getClientAccessUrl(HUB, { userId: "m" });
const live = () => emu.connections(HUB).filter((c) => c.connected);
function tab(o: Omit<Parameters<typeof workerTab>[0], "runtime" | "getClientAccessUrl">): FakeTab {
  const t = workerTab({ runtime, getClientAccessUrl, ...o });
  tabs.push(t);
  return t;
}
const nextEvent = <K extends "stopped" | "connected">(t: FakeTab, name: K) => new Promise<void>((resolve) => t.engine.emitter.on(name, () => resolve()));

describe("the module worker", () => {
  it("serves every key: tabs of one key share one connection, another key gets its own", async () => {
    const locks = new FakeLocks();
    const origin = moduleOrigin(locks);
    const [a1, a2, b] = [tab({ key: "a", start: origin.start, locks }), tab({ key: "a", start: origin.start, locks }), tab({ key: "b", start: origin.start, locks })];
    await Promise.all([a1, a2, b].map((t) => t.engine.start())); // at once: the worker builds for both keys together
    expect(a2.engine.session.connectionId).toBe(a1.engine.session.connectionId);
    expect(b.engine.session.connectionId).not.toBe(a1.engine.session.connectionId);
    expect(live().map((c) => c.connectionId).sort()).toEqual([a1.engine.session.connectionId, b.engine.session.connectionId].sort());
    expect(locks.held("webpubsub-client:share:a")).toBe(false); // held by the worker, not an elected tab
  });

  it("builds its engine with the first tab's options (autoReconnect: false: a lost session ends the connection)", async () => {
    const locks = new FakeLocks();
    const origin = moduleOrigin(locks);
    const t = tab({ key: "opts", start: origin.start, locks, options: shareableOptions({ autoReconnect: false, keepAliveIntervalInMs: 5000 }) });
    await t.engine.start();
    const id = t.engine.session.connectionId!;
    const connects: string[] = [];
    const onConnect = (e: { connectionId: string }) => void connects.push(e.connectionId);
    emu.events.on("connect", onConnect);
    // With the default autoReconnect the worker would connect anew (and the tab see `connected`).
    const outcome = Promise.race([nextEvent(t, "stopped").then(() => "stopped"), nextEvent(t, "connected").then(() => "connected again")]);
    emu.faults.close(id, 1008, "session gone");
    expect(await outcome).toBe("stopped");
    emu.events.off("connect", onConnect);
    expect(t.engine.state).toBe("stopped");
    expect(connects).toEqual([]);
  });

  it("a lone tab goes while messages are still on their way to it: after the reload it gets every one of them, once", async () => {
    const locks = new FakeLocks();
    const storage = new FakeSessionStorage();
    const first = moduleOrigin(locks);
    const before = tab({ key: "reload", start: first.start, locks, storage });
    await before.engine.start();
    const id = before.engine.session.connectionId!;
    const got: unknown[] = [];
    before.engine.emitter.on("server-message", (e) => void got.push(e.message.data));
    const port = first.ports[0]!;
    port.hold(); // from now on the worker's relays wait in the port
    const N = 330; // past the engine's ack jump (300): it acknowledges at once
    for (let i = 1; i <= N; i++) await svc.sendToConnection(id, `m${i}`, { contentType: "text/plain" });
    const seqOf = (m: unknown) => (m as { t?: string; m?: { sequenceId?: number } })?.t === "data" ? (m as { m: { sequenceId: number } }).m.sequenceId : 0;
    await port.until((q) => q.some((m) => seqOf(m) === N));
    port.release((m) => seqOf(m) <= 50); // the page delivered 50, then it goes
    before.pageHide();
    port.close(); // the rest never reaches the page
    const handedOver = new Promise<void>((resolve) => emu.events.once("drop", () => resolve()));
    await handedOver; // the worker heard `away` and left the session on the service
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 1}`));

    // The reloaded page: a new worker (the browser ended the old one with its last page).
    const second = moduleOrigin(locks);
    const after = tab({ key: "reload", start: second.start, locks, storage });
    const again: unknown[] = [];
    after.engine.emitter.on("server-message", (e) => void again.push(e.message.data));
    await after.engine.start();
    expect(after.engine.session.connectionId).toBe(id);
    const last = `m${N}`;
    await new Promise<void>((resolve) => (again.includes(last) ? resolve() : after.engine.emitter.on("server-message", (e) => e.message.data === last && resolve())));
    expect(again).toEqual(Array.from({ length: N - 50 }, (_, i) => `m${i + 51}`));
  });
});

describe("the ack gate", () => {
  const frames = (gate: AckGate, url = "ws://x/client?access_token=t") => {
    const sent: string[] = [];
    const socket = gate.wrap(() => ({ send: (d) => void sent.push(d as string), close() {}, abort() {} }))(url, "p", { onOpen() {}, onMessage() {}, onClose() {} });
    return { sent, socket, acks: () => sent.map(ackOf) };
  };
  const ack = (n: number) => JSON.stringify({ type: "sequenceAck", sequenceId: n });

  it("holds the engine's ack to what the tabs delivered, and sends the rest as they report", () => {
    const gate = new AckGate();
    const { socket, acks, sent } = frames(gate);
    socket.send('{"type":"joinGroup","group":"g","ackId":1}');
    socket.send(ack(40));
    expect(sent).toEqual(['{"type":"joinGroup","group":"g","ackId":1}']); // nothing delivered yet: nothing acked
    gate.allow(25);
    gate.allow(60); // more than the engine asked: capped at its 40
    socket.send(ack(70));
    gate.allow(70);
    expect(acks().slice(1)).toEqual([25, 40, 60, 70]);
  });

  it("lets the engine's ack through once it is too far ahead (the service's buffer must not fill)", () => {
    const gate = new AckGate();
    const { socket, acks } = frames(gate);
    socket.send(ack(MAX_HELD_ACKS));
    socket.send(ack(MAX_HELD_ACKS + 1));
    expect(acks()).toEqual([MAX_HELD_ACKS + 1]);
  });

  it("starts from what the reloaded tab delivered, and from zero on a brand-new connection", () => {
    const gate = new AckGate(30);
    const recovering = frames(gate, "ws://x/client?awps_connection_id=c&awps_reconnection_token=t");
    recovering.socket.send(ack(45));
    expect(recovering.acks()).toEqual([30]);
    const fresh = frames(gate);
    fresh.socket.send(ack(5));
    expect(fresh.acks()).toEqual([]);
  });

  it("picks only the shareable options, of the right types", () => {
    expect(shareableOptions({ autoReconnect: false, keepAliveIntervalInMs: "5", messageRetryOptions: { maxRetries: 1, mode: "Exponential", x: 1 }, logger: {}, WebSocket: class {} })).toEqual({
      autoReconnect: false,
      messageRetryOptions: { maxRetries: 1, mode: "Exponential" },
    });
    expect(shareableOptions(null)).toEqual({});
  });
});

describe("the module worker ignores what is not one of its messages", () => {
  it("junk before and after a port's init (no key, bad keys, bad `seen`), and a well-formed tab still works", async () => {
    const locks = new FakeLocks();
    const origin = moduleOrigin(locks);
    const raw = origin.start().port;
    const answers: unknown[] = [];
    raw.onmessage = (e) => void answers.push(e.data);
    const junk: unknown[] = [
      null, 7, "init", [], { t: "hello", from: "x", groups: [] }, { t: "init" }, { t: "init", key: 5, protocol: "json.reliable.webpubsub.azure.v1" },
      { t: "init", key: "x".repeat(5000), protocol: "json.reliable.webpubsub.azure.v1" }, { t: "init", key: "j", protocol: "no.such.protocol" },
      { t: "seen", seq: -1 }, { t: "seen", seq: "9" }, { t: "seen", seq: 2 ** 60 }, { t: "init", key: "j", protocol: "json.reliable.webpubsub.azure.v1", options: { autoReconnect: "no", messageRetryOptions: { maxRetries: -1 } } },
    ];
    for (const m of junk) raw.postMessage(m);
    const t = tab({ key: "j", start: origin.start, locks });
    await t.engine.start();
    expect(t.engine.session.connectionId).toBeDefined();
    // What the junk port was told: refused for the unknown protocol; never more than refuse/ready.
    expect(answers.every((a) => ["refuse", "ready", "who", "state", "event"].includes((a as { t: string }).t))).toBe(true);
    expect(answers.some((a) => (a as { t: string }).t === "refuse")).toBe(true);
  });
});

// The SharedWorker path in Node: the worker side (`hostWorker`) on a fake worker scope, the
// tabs' links (`connectWorker`) over real MessageChannels, against the local service; and
// every way starting the worker can fail, each falling back (undefined: the Web Locks path).
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/index.js";
import * as lib from "../../src/index.js";
import { defaultRuntime } from "../../src/platform/default-runtime.js";
import type { Locks } from "../../src/shared/platform.js";
import type { SharedTabEngine } from "../../src/shared/tab-client.js";
import { hostWorker, type WorkerScope } from "../../src/shared/worker-host.js";
import { connectWorker, WORKER_READY_TIMEOUT_MS, type WorkerLinkConfig } from "../../src/shared/worker-link.js";
import type { MessagePortLike, SharedWorkerLike } from "../../src/shared/worker-boot.js";
import { FakeLocks } from "./fake-locks.js";
import { workerTab } from "./worker-fakes.js";

const HUB = "worker";
let emu: Emulator;
const open: MessagePort[] = [];
const engines: SharedTabEngine[] = [];
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  for (const p of open.splice(0)) p.close();
});
afterAll(() => emu.close());

const logs: string[] = [];
const runtime = { ...defaultRuntime(undefined, undefined), logger: { ...defaultRuntime(undefined, undefined).logger, info: (m: string) => void logs.push(m) } };
const credential = () => emu.getClientAccessUrl(HUB, { userId: "w" });

/** A fake SharedWorker "origin": every `new` connects a fresh MessageChannel to one worker scope. */
type Ctor = new (url: string, options: { name: string }) => SharedWorkerLike;
function fakeOrigin(locks: Locks): { ctor: Ctor; scope: WorkerScope } {
  const scope: WorkerScope = { name: "webpubsub-client:k", onconnect: null, navigator: { locks }, WebPubSub: lib as unknown as Record<string, unknown> };
  hostWorker(scope);
  class FakeSharedWorker implements SharedWorkerLike {
    port: MessagePortLike;
    onerror = null;
    constructor(_url: string, options: { name: string }) {
      expect(options.name).toBe("webpubsub-client:k");
      const { port1, port2 } = new MessageChannel();
      open.push(port1, port2);
      this.port = port1 as unknown as MessagePortLike;
      queueMicrotask(() => scope.onconnect?.({ ports: [port2 as unknown as MessagePortLike] }));
    }
  }
  return { ctor: FakeSharedWorker, scope };
}

function tab(ctor: Ctor, locks: Locks, getClientAccessUrl: () => Promise<string> = credential): SharedTabEngine {
  const start = () => new ctor("https://app.example/webpubsub-client.umd.min.js", { name: "webpubsub-client:k" });
  const { engine } = workerTab({ key: "k", start, locks, runtime, getClientAccessUrl });
  engines.push(engine);
  return engine;
}

describe("the SharedWorker holds the connection", () => {
  it("two tabs: one connection made by the worker with a tab's credential; both get every message; the last tab's stop ends it", async () => {
    const locks = new FakeLocks();
    const { ctor } = fakeOrigin(locks);
    const [a, b] = [tab(ctor, locks), tab(ctor, locks)];
    const got: unknown[][] = [[], []];
    [a, b].forEach((t, i) => t.emitter.on("server-message", (e) => got[i].push(e.message.data)));
    await a.start();
    await b.start();
    expect(a.session.connectionId).toBeDefined();
    expect(b.session.connectionId).toBe(a.session.connectionId);
    expect(locks.held("webpubsub-client:share:k")).toBe(false); // no tab was elected
    expect(emu.connections(HUB).filter((c) => c.connected).map((c) => c.connectionId)).toEqual([a.session.connectionId]);
    const svc = new (await import("@azure/web-pubsub")).WebPubSubServiceClient(emu.connectionString, HUB, { allowInsecureConnection: true });
    await svc.sendToAll("hi", { contentType: "text/plain" });
    await new Promise<void>((resolve) => (got[1].length ? resolve() : b.emitter.on("server-message", () => resolve())));
    await new Promise<void>((resolve) => (got[0].length ? resolve() : a.emitter.on("server-message", () => resolve())));
    expect(got).toEqual([["hi"], ["hi"]]);
    const gone = new Promise<void>((resolve) => emu.events.on("disconnect", () => resolve()));
    await a.stop();
    expect(emu.connections(HUB).filter((c) => c.connected)).toHaveLength(1); // b still uses it
    await b.stop();
    await gone; // the last tab stopped: the worker closed the connection
  });

  it("a credential that fails in the tab fails start() (the worker's connection could not be made), and a later start works", async () => {
    const locks = new FakeLocks();
    const { ctor } = fakeOrigin(locks);
    const bad = tab(ctor, locks, () => Promise.reject(new Error("no token for you")));
    await expect(bad.start()).rejects.toThrow(/could not be made/);
    expect(bad.state).toBe("stopped");
    const good = tab(ctor, locks);
    await good.start();
    expect(good.session.connectionId).toBeDefined();
  });

  it("a tab answers the worker's `who` only once it holds its own lock (else the worker sees it gone and hands the session over)", async () => {
    // Lock requests travel apart from port messages: here the tab's own lock request reaches
    // the lock manager only after the worker has connected (and said `who`).
    const raw = new FakeLocks();
    const order: string[] = [];
    let watched!: () => void;
    const watching = new Promise<void>((resolve) => (watched = resolve));
    const recorded = (who: string): Locks => ({
      request(name, options, cb) {
        order.push(`${who} ${name}`);
        if (who === "worker" && name.startsWith("webpubsub-client:tab:")) watched();
        return raw.request(name, options, cb);
      },
    });
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const slow: Locks = { request: (name, options, cb) => gate.then(() => recorded("tab").request(name, options, cb)) };
    const { ctor } = fakeOrigin(recorded("worker"));
    const t = tab(ctor, slow);
    const connected = new Promise<void>((resolve) => emu.events.once("connect", () => resolve()));
    const starting = t.start();
    await connected; // the worker holds the connection; its `who` reached the tab before
    openGate();
    await starting;
    await watching;
    const tabLock = order.filter((o) => o.includes("webpubsub-client:tab:"));
    expect(tabLock.map((o) => o.split(" ")[0])).toEqual(["tab", "worker"]); // watched only once the tab held it
  });
});

describe("connectWorker falls back to the Web Locks path (undefined) when", () => {
  const base = (over: Partial<WorkerLinkConfig>): WorkerLinkConfig => ({
    start: () => "this browser has no SharedWorker",
    key: "k",
    protocolName: "json.reliable.webpubsub.azure.v1",
    runtime,
    getClientAccessUrl: credential,
    ...over,
  });
  /** A worker whose port answers `answer` to the init (or nothing), or fires `error`. */
  const worker = (behaviour: "refuse" | "error" | "silent") =>
    class implements SharedWorkerLike {
      onerror: ((e: unknown) => void) | null = null;
      port: MessagePortLike = {
        postMessage: () => {
          if (behaviour === "refuse") queueMicrotask(() => this.port.onmessage?.({ data: { t: "refuse" } }));
          if (behaviour === "error") queueMicrotask(() => this.onerror?.({}));
        },
        onmessage: null,
        close: () => {},
      };
    };
  const cases: [string, Partial<WorkerLinkConfig>, RegExp][] = [
    ["the bundle was not loaded by a <script> tag (UMD code imported)", { start: () => "the bundle was not loaded by a <script> tag" }, /<script>/],
    ["the browser has no SharedWorker", {}, /no SharedWorker/],
    ["the constructor throws (a CSP that forbids workers)", { start: () => { throw new Error("SecurityError"); } }, /SecurityError/],
    ["the worker fires `error` (its script could not be loaded)", { start: () => new (worker("error"))() }, /could not be loaded/],
    ["the worker cannot serve the protocol", { start: () => new (worker("refuse"))() }, /protocol/],
  ];
  for (const [what, over, why] of cases) {
    it(what, async () => {
      logs.length = 0;
      expect(await connectWorker(base(over))).toBeUndefined();
      expect(logs.join("\n")).toMatch(why);
    });
  }
  it("the worker does not answer within the bound", async () => {
    logs.length = 0;
    let fire: (() => void) | undefined;
    const timers = { setTimeout: (f: () => void, ms: number) => (expect(ms).toBe(WORKER_READY_TIMEOUT_MS), (fire = f)), clearTimeout: () => {} };
    const pending = connectWorker(base({ start: () => new (worker("silent"))(), runtime: { ...runtime, timers: timers as never } }));
    fire!();
    expect(await pending).toBeUndefined();
    expect(logs.join("\n")).toMatch(/did not answer/);
  });
});

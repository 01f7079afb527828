// Mixed paths in Node: a tab on the Web Locks path (a client facade on the host's locks and
// Node's BroadcastChannel, as where a page's CSP forbids workers) and tabs on the SharedWorker
// path (fakes in worker-fakes.ts) with the same key share one connection, whichever came first.
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/index.js";
import { WebPubSubClient } from "../../src/index.js";
import { defaultRuntime } from "../../src/platform/default-runtime.js";
import { FakeLocks, FakeSessionStorage } from "./fake-locks.js";
import { moduleOrigin, open, workerTab, type FakeTab } from "./worker-fakes.js";

const HUB = "mixed";
let emu: Emulator;
let svc: WebPubSubServiceClient;
const locks = new FakeLocks(); // the origin's one lock manager, for pages and worker alike
const stoppers: (() => Promise<void>)[] = [];
let n = 0;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  svc = new WebPubSubServiceClient(emu.connectionString, HUB, { allowInsecureConnection: true });
  Object.defineProperty(globalThis, "navigator", { value: { locks }, configurable: true, writable: true });
  Object.defineProperty(globalThis, "sessionStorage", { value: new FakeSessionStorage(), configurable: true, writable: true });
});
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((s) => s()));
  for (const p of open.splice(0)) p.close();
});
afterAll(() => emu.close());

const runtime = defaultRuntime(undefined, undefined);
const getClientAccessUrl = () => emu.getClientAccessUrl(HUB, { userId: "x", roles: ["webpubsub.joinLeaveGroup"] });
const live = () => emu.connections(HUB).filter((c) => c.connected);

/** A page whose CSP forbids workers: the facade takes the Web Locks path. */
function locksTab(key: string): WebPubSubClient {
  const c = new WebPubSubClient({ getClientAccessUrl }, { shareConnection: key });
  stoppers.push(() => c.stop());
  return c;
}
function viaWorker(key: string, origin: ReturnType<typeof moduleOrigin>): FakeTab {
  const t = workerTab({ key, start: origin.start, locks, runtime, getClientAccessUrl, mayFallBack: true });
  stoppers.push(() => t.engine.stop());
  return t;
}
const serverMessage = (on: (l: (data: unknown) => void) => void, data: string) => new Promise<void>((resolve) => on((d) => d === data && resolve()));

it("a Web Locks tab holds the connection first: a tab on the worker path is refused by the worker and joins it", async () => {
  const key = `m${++n}`;
  const origin = moduleOrigin(locks, true);
  const a = locksTab(key);
  await a.start();
  const b = viaWorker(key, origin);
  await b.engine.start();
  expect(b.engine.session.connectionId).toBe(a.connectionId);
  expect(live().map((c) => c.connectionId)).toEqual([a.connectionId]);
  const got = serverMessage((l) => b.engine.emitter.on("server-message", (e) => l(e.message.data)), "hi");
  await svc.sendToConnection(a.connectionId!, "hi", { contentType: "text/plain" });
  await got;
});

it("the worker holds the connection first: a Web Locks tab waits in the lock's queue and talks to the worker over the channel", async () => {
  const key = `m${++n}`;
  const origin = moduleOrigin(locks, true);
  const a = viaWorker(key, origin);
  await a.engine.start();
  expect(locks.held(`webpubsub-client:share:${key}`)).toBe(true); // by the worker
  const b = locksTab(key);
  await b.start();
  expect(b.connectionId).toBe(a.engine.session.connectionId);
  expect(live().map((c) => c.connectionId)).toEqual([b.connectionId]);
  const got = [
    serverMessage((l) => a.engine.emitter.on("server-message", (e) => l(e.message.data)), "both"),
    serverMessage((l) => b.on("server-message", (e) => l(e.message.data)), "both"),
  ];
  await svc.sendToConnection(b.connectionId!, "both", { contentType: "text/plain" });
  await Promise.all(got);
  // The Web Locks tab's operations reach the service through the worker, and come back.
  await b.joinGroup("g");
  expect(emu.connections(HUB).find((c) => c.connectionId === b.connectionId)?.groups).toEqual(["g"]);
});

it("a port that says hello before any init (hostile) does not make the worker take the lock: a Web Locks tab is still elected", async () => {
  const key = `m${++n}`;
  const { MessageChannel } = await import("node:worker_threads");
  const { hostWorker } = await import("../../src/shared/worker-host.js");
  const lib = await import("../../src/index.js");
  const scope = { name: `webpubsub-client:${key}`, onconnect: null, navigator: { locks }, WebPubSub: lib as unknown as Record<string, unknown>, BroadcastChannel } as unknown as Parameters<typeof hostWorker>[0];
  hostWorker(scope);
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  scope.onconnect?.({ ports: [port2 as never] });
  port1.postMessage({ t: "hello", from: "evil", groups: [] });
  port1.postMessage({ t: "op", from: "evil", id: 1, op: { kind: "sendEvent", event: "e", dataType: "text", data: "x" } });
  const a = locksTab(key);
  await a.start(); // elected: the lock was free
  expect(locks.held(`webpubsub-client:share:${key}`)).toBe(true);
  expect(live().map((c) => c.connectionId)).toContain(a.connectionId);
});

// shareConnection in Chromium: tabs of one origin share one WebSocket and one session; the
// holder can go away, a lone tab can reload, and nothing is lost or doubled. Every test runs
// on both paths: a SharedWorker started from the UMD file the page loaded, and (SharedWorker
// hidden) the tab elected with the Web Locks API relaying over BroadcastChannel.
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextEmulatorEvent, startEnv, type Env } from "./support/harness.js";
import { watchedTabs } from "./support/watched-tabs.js";

const HUB = "sharing";
const file = (name: string): string => readFileSync(new URL(`./shared-pages/${name}`, import.meta.url), "utf8");
let env: Env;
let keyN = 0;

declare global {
  interface Window {
    shared: {
      log(): Array<[string, string, unknown]>;
      waitForMessages(n: number): Promise<void>;
      start(url: string, key: string, groups?: string[]): Promise<string>;
      readonly client: { stop(): Promise<void>; connectionId?: string; state: string };
    };
  }
}

beforeAll(async () => {
  env = await startEnv({
    files: {
      "/shared/page.html": file("page.html"),
      "/shared/harness.js": file("harness.js"),
      // The same page where the CSP forbids workers: the SharedWorker cannot start.
      "/shared/no-workers.html": file("page.html").replace("<head>", `<head>\n    <meta http-equiv="Content-Security-Policy" content="worker-src 'none'" />`),
      // The ESM build, as a bundler-less app loads it.
      "/shared/esm.html": `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">
        import { WebPubSubClient } from "/browser/index.mjs";
        window.esm = async (url, key) => {
          const client = new WebPubSubClient(url, key ? { shareConnection: key } : {});
          await client.start();
          const id = client.connectionId;
          await client.stop();
          return id;
        };
      </script>`,
    },
  });
});
afterAll(() => env?.close());
const watched = watchedTabs(() => env);
const { newContext } = watched;
const openTab = (context: BrowserContext, path = "/shared/page.html"): Promise<Page> => watched.openTab(context, path);

async function start(page: Page, key: string): Promise<string> {
  const url = await env.emu.getClientAccessUrl(HUB, { userId: "tabs", roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"] });
  await page.waitForFunction(() => typeof window.shared === "object");
  return page.evaluate(({ url, key }) => window.shared.start(url, key), { url, key });
}

const messages = async (page: Page): Promise<unknown[]> =>
  (await page.evaluate(() => window.shared.log())).filter((e) => e[0] === "msg").map((e) => e[2]);
const events = async (page: Page): Promise<string[]> =>
  (await page.evaluate(() => window.shared.log())).filter((e) => e[0] === "event").map((e) => e[1]);
const live = () => env.emu.connections(HUB).filter((c) => c.connected);

/** Publishes m{from}..m{to} to one connection, in order, as the application server would. */
async function publish(connectionId: string, from: number, to: number): Promise<void> {
  const svc = env.service(HUB);
  for (let i = from; i <= to; i++) await svc.sendToConnection(connectionId, `m${i}`, { contentType: "text/plain" });
}
const expected = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i + 1}`);

/** Waits until `page` delivered the message `data`. */
const received = (page: Page, data: string) =>
  page.waitForFunction((data) => window.shared.log().some((e) => e[0] === "msg" && e[2] === data), data);
/** `got` is m{k}..m{last} for some k: an unbroken, repeat-free run up to the last message. */
const expectTail = (got: unknown[], last: number): void => {
  expect(got.length).toBeGreaterThan(0);
  expect(got).toEqual(expected(last).slice(last - got.length));
};

/** Who holds the election lock of `key` (Web Locks path) and how many tab locks are held. */
async function locksOf(page: Page, key: string): Promise<{ holders: number; waiting: number; tabs: number }> {
  return page.evaluate(async (key) => {
    const q = await navigator.locks.query();
    const share = `webpubsub-client:share:${key}`;
    return {
      holders: (q.held ?? []).filter((l) => l.name === share).length,
      waiting: (q.pending ?? []).filter((l) => l.name === share).length,
      tabs: (q.held ?? []).filter((l) => l.name?.startsWith(`webpubsub-client:tab:${key}:`)).length,
    };
  }, key);
}

/** Counts the emulator's `recover` events until the returned function is called. */
function countRecoveries(): () => number {
  let n = 0;
  const on = (): void => void n++;
  env.emu.events.on("recover", on);
  return () => (env.emu.events.off("recover", on), n);
}

it("the ESM build loads the sharing code only for a client that asks for it", async () => {
  const context = await newContext();
  const page = await context.newPage();
  const loaded: string[] = [];
  page.on("request", (r) => loaded.push(new URL(r.url()).pathname));
  await page.goto(`${env.web.url}/shared/esm.html`);
  await page.waitForFunction(() => typeof (window as { esm?: unknown }).esm === "function");
  const url = await env.emu.getClientAccessUrl(HUB);
  const run = (key?: string) => page.evaluate(({ url, key }) => (window as unknown as { esm(u: string, k?: string): Promise<string> }).esm(url, key), { url, key });
  expect(await run()).toEqual(expect.any(String));
  const before = [...loaded];
  expect(before.filter((p) => p.includes("shared"))).toEqual(["/shared/esm.html"]); // the page itself, no sharing chunk
  expect(await run(`k${++keyN}`)).toEqual(expect.any(String));
  // the sharing chunk, and the module SharedWorker it starts (shared-worker.test.ts tests that path)
  expect(loaded.filter((p) => !before.includes(p))).toEqual(["/browser/chunks/shared.mjs", "/browser/chunks/shared-worker.mjs"]);
});

const MODES = [
  { name: "SharedWorker", worker: true, init: undefined },
  { name: "Web Locks (SharedWorker hidden)", worker: false, init: "delete window.SharedWorker;" },
] as const;

describe.each(MODES)("$name", (mode) => {
  it("four tabs share one connection on the service, and each tab gets every message", async () => {
    const key = `k${++keyN}`;
    const context = await newContext(mode.init);
    const tabs = [];
    for (let i = 0; i < 4; i++) tabs.push(await openTab(context));
    const ids = [];
    for (const t of tabs) ids.push(await start(t, key));
    expect(new Set(ids).size).toBe(1);
    expect(live().map((c) => c.connectionId)).toEqual([ids[0]]);
    await publish(ids[0], 1, 5);
    for (const t of tabs) await t.evaluate(() => window.shared.waitForMessages(5));
    for (const t of tabs) expect(await messages(t)).toEqual(expected(5));
  });

  // Web Locks path: the holder is a tab, and another tab takes over its session.
  // Only the Web Locks path has a holder tab to lose; on the worker path the SharedWorker outlives any one tab.
  it.skipIf(mode.worker)("the holder tab closes while the server publishes: the others take over the same session and get everything once, in order", async () => {
    const key = `k${++keyN}`;
    const context = await newContext(mode.init);
    const holder = await openTab(context);
    const others = [await openTab(context), await openTab(context)];
    const id = await start(holder, key);
    for (const t of others) expect(await start(t, key)).toBe(id);
    const publishing = publish(id, 1, 60);
    await others[0].evaluate(() => window.shared.waitForMessages(10));
    const recovered = nextEmulatorEvent(env.emu, "recover", (e) => e.connectionId === id);
    await holder.close();
    await recovered; // a remaining tab recovered the session on a new socket
    await publishing;
    for (const t of others) await t.evaluate(() => window.shared.waitForMessages(60));
    for (const t of others) {
      expect(await messages(t)).toEqual(expected(60));
      expect(await t.evaluate(() => window.shared.client.connectionId)).toBe(id);
    }
    expect(live().map((c) => c.connectionId)).toEqual([id]);
  });

  // SharedWorker path: the holder is the worker, so tabs come and go without a takeover.
  // The worker path keeps one socket while tabs come and go; the Web Locks path hands over instead (tested above).
  it.runIf(mode.worker)("tabs come and go while the server publishes: every tab gets what it was there for once, in order, on one socket", async () => {
    const key = `k${++keyN}`;
    const context = await newContext(mode.init);
    const [first, stays] = [await openTab(context), await openTab(context)];
    const id = await start(first, key);
    expect(await start(stays, key)).toBe(id);
    const recoveries = countRecoveries();
    const phase1 = publish(id, 1, 40);
    await stays.evaluate(() => window.shared.waitForMessages(10));
    await first.close();
    const late = await openTab(context);
    expect(await start(late, key)).toBe(id);
    await phase1;
    const phase2 = publish(id, 41, 80);
    const later = await openTab(context);
    expect(await start(later, key)).toBe(id);
    await phase2;
    await publish(id, 81, 85);
    for (const t of [late, later]) await received(t, "m85");
    for (const t of [late, later]) expectTail(await messages(t), 85);
    await late.close();
    await publish(id, 86, 90);
    await stays.evaluate(() => window.shared.waitForMessages(90));
    await received(later, "m90");
    expect(await messages(stays)).toEqual(expected(90));
    expectTail(await messages(later), 90);
    expect(recoveries()).toBe(0); // the socket never changed hands
    expect(await events(stays)).toEqual(["connected"]);
    expect(live().map((c) => c.connectionId)).toEqual([id]);
  });

  it("a lone tab reloads while the server publishes and carries on with the same session: no gap, no repeat", async () => {
    const key = `k${++keyN}`;
    const context = await newContext(mode.init);
    const page = await openTab(context);
    const id = await start(page, key);
    const publishing = publish(id, 1, 60);
    await page.evaluate(() => window.shared.waitForMessages(10));
    const recovered = nextEmulatorEvent(env.emu, "recover", (e) => e.connectionId === id);
    await page.reload();
    expect(await start(page, key)).toBe(id);
    await recovered;
    await publishing;
    await page.evaluate(() => window.shared.waitForMessages(60));
    expect(await messages(page)).toEqual(expected(60));
    // Nothing that recovery needs is kept in localStorage, and the access token is kept nowhere.
    const stores = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stores).not.toContain("access_token");
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(live().map((c) => c.connectionId)).toEqual([id]);
  });

  it(`three tabs of a page that loads only the UMD file: one connection, held by ${mode.worker ? "the SharedWorker" : "an elected tab"}`, async () => {
    const key = `k${++keyN}`;
    const context = await newContext(mode.init);
    const tabs = [await openTab(context), await openTab(context), await openTab(context)];
    expect(await tabs[0].evaluate(() => typeof (window as { SharedWorker?: unknown }).SharedWorker)).toBe(mode.worker ? "function" : "undefined");
    const id = await start(tabs[0], key);
    for (const t of tabs.slice(1)) expect(await start(t, key)).toBe(id);
    expect(live().map((c) => c.connectionId)).toEqual([id]);
    // Every tab holds its own lock; the election lock is held by the SharedWorker (so tabs on the
    // Web Locks path converge on it), or by the elected tab with the others queued for it.
    await tabs[0].waitForFunction(async (key) => (await navigator.locks.query()).held?.filter((l) => l.name?.startsWith(`webpubsub-client:tab:${key}:`)).length === 3, key);
    await expect.poll(() => locksOf(tabs[0], key)).toEqual(mode.worker ? { holders: 1, waiting: 0, tabs: 3 } : { holders: 1, waiting: 2, tabs: 3 });
    await publish(id, 1, 3);
    for (const t of tabs) await t.evaluate(() => window.shared.waitForMessages(3));
    for (const t of tabs) expect(await messages(t)).toEqual(expected(3));
  });

  it("a duplicated tab (sessionStorage copied) joins the original's connection and does not steal its session", async () => {
    const key = `k${++keyN}`;
    const context = await newContext(mode.init);
    const original = await openTab(context);
    const id = await start(original, key);
    await original.reload(); // leaves (and consumes) a reload snapshot
    expect(await start(original, key)).toBe(id);
    // the reloaded page recovered the session it had before the reload
    expect(await events(original)).toEqual(["connected", "recovering", "recovered", "connected"]);
    const [dup] = await Promise.all([context.waitForEvent("page"), original.evaluate(() => void window.open(location.href))]);
    await dup.waitForLoadState();
    expect(await dup.evaluate(() => sessionStorage.getItem("test-log"))).not.toBeNull(); // it is a copy of the original's storage
    expect(await start(dup, key)).toBe(id);
    await publish(id, 1, 3);
    for (const t of [original, dup]) await t.evaluate(() => window.shared.waitForMessages(3));
    expect(await messages(original)).toEqual(expected(3));
    expect((await messages(dup)).slice(-3)).toEqual(expected(3));
    expect(live().map((c) => c.connectionId)).toEqual([id]);
    // The original never lost its link to the duplicate: no recovery, no disconnection since.
    expect(await events(original)).toEqual(["connected", "recovering", "recovered", "connected"]);
  });

  it("ignores malformed and hostile messages from another same-origin script on the channel", async () => {
    const key = `k${++keyN}`;
    const context = await newContext(mode.init);
    const [a, b] = [await openTab(context), await openTab(context)];
    const id = await start(a, key);
    await start(b, key);
    const hostile = await openTab(context);
    await hostile.evaluate((key) => {
      const bc = new BroadcastChannel(`webpubsub-client:channel:${key}`);
      const junk: unknown[] = [
        null, 0, "text", [], new ArrayBuffer(8), { t: "op" }, { t: "hello", from: "x".repeat(100_000), groups: [] },
        { t: "hello", from: "evil", groups: Array.from({ length: 5000 }, (_, i) => `g${i}`) },
        { t: "op", from: "evil", id: -1, op: { kind: "sendEvent" } },
        { t: "op", from: "evil", id: 1, op: { kind: "joinGroup", group: { toString: 1 }, ackId: 1 } },
        { t: "data", holder: "h", m: { kind: "serverData", dataType: "binary", data: "not bytes" } },
        { t: "state", holder: "h", state: "connected" , connectionId: 42 },
        { t: "result", holder: "h", to: "nobody", id: 1, ok: false, error: null },
        { t: "event", holder: "h", name: "__proto__", e: {} }, { t: "ended", holder: 1 }, { t: "who" },
      ];
      for (const m of junk) bc.postMessage(m);
      bc.close();
      if (typeof SharedWorker !== "function") return;
      // The same junk, and the worker link's own messages malformed, straight to the worker.
      const port = new SharedWorker("/webpubsub-client.umd.min.js", { name: `webpubsub-client:${key}` }).port;
      const linkJunk: unknown[] = [
        { t: "init" }, { t: "init", protocol: 5 }, { t: "init", protocol: "no.such.protocol" }, { t: "init", protocol: "json.reliable.webpubsub.azure.v1", resume: { session: 1, lastSeq: -1 } },
        { t: "credOk", id: 1, url: "ws://127.0.0.1:1/evil" }, { t: "credFail", id: 1 }, { t: "away", from: "evil" }, { t: "cred", id: 1 }, { t: "bye", from: "evil" },
      ];
      for (const m of [...junk, ...linkJunk]) port.postMessage(m);
    }, key);
    await publish(id, 1, 2);
    for (const t of [a, b]) await t.evaluate(() => window.shared.waitForMessages(2));
    for (const t of [a, b]) {
      expect(await messages(t)).toEqual(expected(2));
      expect(await t.evaluate(() => window.shared.client.state)).toBe("connected");
    }
    expect(live()).toHaveLength(1);
  });
});

it("a page whose CSP forbids workers (worker-src 'none') quietly takes the Web Locks path: still one connection", async () => {
  const key = `k${++keyN}`;
  watched.tolerate(/Content Security Policy|worker-src/i); // the browser reports the refused worker
  const context = await newContext();
  const tabs = [await openTab(context, "/shared/no-workers.html"), await openTab(context, "/shared/no-workers.html")];
  expect(await tabs[0].evaluate(() => typeof (window as { SharedWorker?: unknown }).SharedWorker)).toBe("function");
  const id = await start(tabs[0], key);
  expect(await start(tabs[1], key)).toBe(id);
  expect(live().map((c) => c.connectionId)).toEqual([id]);
  await expect.poll(() => locksOf(tabs[0], key)).toEqual({ holders: 1, waiting: 1, tabs: 2 });
  await publish(id, 1, 3);
  for (const t of tabs) await t.evaluate(() => window.shared.waitForMessages(3));
  for (const t of tabs) expect(await messages(t)).toEqual(expected(3));
});

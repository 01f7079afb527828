// shareConnection's SharedWorker path in Chromium, for both ways a page gets the client: the
// UMD file from a <script> tag (the worker is that file) and the browser ESM build imported
// natively (the worker is the module script chunks/shared-worker.mjs beside the chunk). Each
// page says which path it took (the client's logger), and the service counts connections.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextEmulatorEvent, startEnv, type Env } from "./support/harness.js";
import { watchedTabs } from "./support/watched-tabs.js";

const HUB = "sharingWorker";
const file = (name: string): string => readFileSync(new URL(`./shared-pages/${name}`, import.meta.url), "utf8");
const NO_WORKERS = `<head>\n    <meta http-equiv="Content-Security-Policy" content="worker-src 'none'" />`;
let env: Env;
let keyN = 0;

beforeAll(async () => {
  env = await startEnv({
    files: {
      "/shared/page.html": file("page.html"),
      "/shared/esm.html": file("esm-page.html"),
      "/shared/esm-no-workers.html": file("esm-page.html").replace("<head>", NO_WORKERS),
      "/shared/harness.js": file("harness.js"),
    },
  });
});
afterAll(() => env?.close());
const watched = watchedTabs(() => env);
const { newContext, openTab } = watched;

type Log = Array<[string, string, unknown]>;
const log = (page: Page): Promise<Log> => page.evaluate(() => (window as unknown as { shared: { log(): Log } }).shared.log());

async function start(page: Page, key: string): Promise<string> {
  const url = await env.emu.getClientAccessUrl(HUB, { userId: "tabs" });
  await page.waitForFunction(() => typeof (window as { shared?: unknown }).shared === "object");
  return page.evaluate(({ url, key }) => (window as unknown as { shared: { start(u: string, k: string): Promise<string> } }).shared.start(url, key), { url, key });
}

const messages = async (page: Page): Promise<unknown[]> => (await log(page)).filter((e) => e[0] === "msg").map((e) => e[2]);
/** Which path each start of this page took, as the client logged it. */
const paths = async (page: Page): Promise<string[]> =>
  (await log(page)).filter((e) => e[0] === "log").map((e) => (/SharedWorker holds/.test(String(e[2])) ? "worker" : /Web Locks path/.test(String(e[2])) ? "locks" : String(e[2])));
const waitForMessages = (page: Page, n: number) =>
  page.evaluate((n) => (window as unknown as { shared: { waitForMessages(n: number): Promise<void> } }).shared.waitForMessages(n), n);
const live = () => env.emu.connections(HUB).filter((c) => c.connected);
const expected = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i + 1}`);

/** Publishes m1, m2, ... to `connectionId` one after another until `stop()`; resolves the count. */
function publishUntilStopped(connectionId: string): { stop(): Promise<number> } {
  const svc = env.service(HUB);
  let n = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) await svc.sendToConnection(connectionId, `m${++n}`, { contentType: "text/plain" });
    return n;
  })();
  return { stop: () => ((stopped = true), loop) };
}

/** Starts `tabs` in turn on `key`: all of them on one connection, the only one the service has. Resolves its id. */
async function startShared(tabs: Page[], key: string): Promise<string> {
  const id = await start(tabs[0], key);
  for (const t of tabs.slice(1)) expect(await start(t, key)).toBe(id);
  expect(live().map((c) => c.connectionId)).toEqual([id]);
  return id;
}

/** Publishes m`from` … m`to` to `connectionId`, one after another: each of `tabs` then has m1 … m`to`, in order, once. */
async function publishToAll(connectionId: string, tabs: Page[], from: number, to: number): Promise<void> {
  const svc = env.service(HUB);
  for (let i = from; i <= to; i++) await svc.sendToConnection(connectionId, `m${i}`, { contentType: "text/plain" });
  for (const t of tabs) await waitForMessages(t, to);
  for (const t of tabs) expect(await messages(t)).toEqual(expected(to));
}

const PAGES = [
  { name: "UMD file from a <script> tag", path: "/shared/page.html" },
  { name: "browser ESM build imported natively", path: "/shared/esm.html" },
] as const;

it("native ESM page: three tabs share one connection, held by the module SharedWorker beside the chunk", async () => {
  const key = `k${++keyN}`;
  const context = await newContext();
  const requested: string[] = [];
  context.on("request", (r) => requested.push(new URL(r.url()).pathname));
  const tabs = [await openTab(context, "/shared/esm.html"), await openTab(context, "/shared/esm.html"), await openTab(context, "/shared/esm.html")];
  const id = await startShared(tabs, key);
  for (const t of tabs) expect(await paths(t)).toEqual(["worker"]);
  expect(requested).toContain("/browser/chunks/shared-worker.mjs");
  await publishToAll(id, tabs, 1, 3);
});

it("native ESM page whose CSP forbids workers quietly takes the Web Locks path: still one connection", async () => {
  const key = `k${++keyN}`;
  watched.tolerate(/Content Security Policy|worker-src/i);
  const context = await newContext();
  const tabs = [await openTab(context, "/shared/esm-no-workers.html"), await openTab(context, "/shared/esm-no-workers.html")];
  await startShared(tabs, key);
  for (const t of tabs) expect(await paths(t)).toEqual(["locks"]);
});

describe.each(PAGES)("$name", (page) => {
  it("a lone tab on the SharedWorker path reloads while the server publishes without pause: no gap, no repeat", async () => {
    const key = `k${++keyN}`;
    const context = await newContext();
    const tab = await openTab(context, page.path);
    // The app's pagehide handler runs first and takes longer than the engine's ack interval
    // (1 s): the worker goes on relaying (and, before the fix, acknowledging) what the page
    // will never deliver; the client's own pagehide snapshot comes after.
    await tab.evaluate(() => (window as unknown as { shared: { busyPageHide(ms: number): void } }).shared.busyPageHide(1200));
    const id = await start(tab, key);
    const publishing = publishUntilStopped(id);
    await waitForMessages(tab, 30);
    await tab.reload();
    expect(await start(tab, key)).toBe(id);
    const afterReload = (await messages(tab)).length;
    await waitForMessages(tab, afterReload + 30); // the stream goes on after the reload
    const last = await publishing.stop();
    await tab.waitForFunction((data) => (window as unknown as { shared: { log(): Log } }).shared.log().some((e) => e[0] === "msg" && e[2] === data), `m${last}`);
    expect(await messages(tab)).toEqual(expected(last));
    expect(await paths(tab)).toEqual(["worker", "worker"]); // before and after the reload
    expect(live().map((c) => c.connectionId)).toEqual([id]);
  });
});

describe.each([
  { first: "the SharedWorker", order: ["/shared/esm.html", "/shared/esm-no-workers.html"], took: ["worker", "locks"] },
  { first: "an elected tab", order: ["/shared/esm-no-workers.html", "/shared/esm.html"], took: ["locks", "locks"] },
])("mixed paths, $first first", ({ order, took }) => {
  it("a tab on the Web Locks path (CSP forbids workers) and a tab on the SharedWorker path share one connection", async () => {
    const key = `k${++keyN}`;
    watched.tolerate(/Content Security Policy|worker-src/i);
    const context = await newContext();
    const tabs = [await openTab(context, order[0]), await openTab(context, order[1])];
    const id = await startShared(tabs, key);
    expect([...(await paths(tabs[0])), ...(await paths(tabs[1]))]).toEqual(took); // behind an elected tab the worker says "busy"
    await publishToAll(id, tabs, 1, 3);
  });
});

it("mixed paths: the worker's last tab closes (the browser ends the worker): the Web Locks tab takes the same session over", async () => {
  const key = `k${++keyN}`;
  watched.tolerate(/Content Security Policy|worker-src/i);
  const context = await newContext();
  const [viaWorker, viaLocks] = [await openTab(context, "/shared/esm.html"), await openTab(context, "/shared/esm-no-workers.html")];
  const id = await startShared([viaWorker, viaLocks], key);
  await publishToAll(id, [viaWorker, viaLocks], 1, 3);
  const recovered = nextEmulatorEvent(env.emu, "recover", (e) => e.connectionId === id);
  await viaWorker.close();
  await recovered; // the Web Locks tab recovered the session the worker held
  await publishToAll(id, [viaLocks], 4, 6);
  expect(live().map((c) => c.connectionId)).toEqual([id]);
});

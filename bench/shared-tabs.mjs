// Browser bench for shareConnection: 10 tabs of one origin in Chromium, each with a client,
// shared (one connection) vs not (one connection per tab). Reports connections on the
// service, total JS heap the clients add across the tabs, and messages delivered per second
// per tab while the server publishes the same stream to every tab.
// Run: `npm run bench:shared` (builds first). Env: SHARED_TABS (10), SHARED_MESSAGES (3000).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startEmulator, testHooks } from "../dist/emulator/index.mjs";
import { CHROMIUM_ARGS, findChromium } from "../browser-tests/support/chromium.mjs";
import { startStaticServer } from "../browser-tests/support/static-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const TABS = Number(process.env.SHARED_TABS ?? 10);
const MESSAGES = Number(process.env.SHARED_MESSAGES ?? 3000);
const HUB = "sharedbench";
const CHUNK = 250; // published per step; the next step waits for the acks (service bound: 1000 unacked)

const page = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/webpubsub-client.umd.min.js"></script>
<script>
window.bench = { count: 0, first: 0, last: 0, want: Infinity, reached: undefined, async start(url, key) {
  this.client = new WebPubSub.WebPubSubClient({ getClientAccessUrl: url }, key ? { shareConnection: key } : {});
  this.client.on("server-message", () => { const t = performance.timeOrigin + performance.now(); if (this.count++ === 0) this.first = t; this.last = t; if (this.count === this.want) this.reached(); });
  await this.client.start();
  return this.client.connectionId;
}, until(n) { return this.count >= n ? Promise.resolve() : new Promise((resolve) => { this.want = n; this.reached = resolve; }); } };
</script>`;

const emu = await startEmulator({ port: 0 });
const hooks = testHooks(emu);
const web = await startStaticServer({ mounts: { "/": join(root, "dist") }, files: { "/bench.html": page } });
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });

let isolates = 0;
let perIsolate = [];
/** JS heap in use, summed over the distinct V8 isolates the pages run in (tabs may share one). */
async function heap(sessions) {
  const byIsolate = new Map();
  for (const s of sessions) {
    await s.send("HeapProfiler.collectGarbage");
    const { id } = await s.send("Runtime.getIsolateId");
    const { usedSize } = await s.send("Runtime.getHeapUsage");
    byIsolate.set(id, usedSize);
  }
  isolates = byIsolate.size;
  perIsolate = [...byIsolate.values()];
  return [...byIsolate.values()].reduce((a, b) => a + b, 0);
}

/** Publishes MESSAGES to each connection, never more than the service's unacked bound ahead. */
async function publish(ids) {
  const body = Buffer.from(JSON.stringify({ kind: "tick", text: "x".repeat(64) }));
  for (let sent = 0; sent < MESSAGES; ) {
    const n = Math.min(CHUNK, MESSAGES - sent);
    for (const id of ids) for (let i = 0; i < n; i++) hooks.sendToConnection(id, body, "json");
    sent += n;
    await Promise.all(ids.map((id) => new Promise((resolve) => {
      if (hooks.unacked(id) <= CHUNK) return resolve();
      const off = hooks.onSequenceAck(id, (_seq, unacked) => { if (unacked <= CHUNK) { off(); resolve(); } });
    })));
  }
}

async function run(shared) {
  const context = await browser.newContext();
  const pages = [];
  for (let i = 0; i < TABS; i++) {
    const p = await context.newPage();
    await p.goto(`${web.url}/bench.html`);
    pages.push(p);
  }
  const sessions = await Promise.all(pages.map((p) => context.newCDPSession(p)));
  const heapBefore = await heap(sessions);
  const before = perIsolate;
  const key = shared ? `bench-${Date.now()}` : undefined;
  const ids = [];
  for (const p of pages) ids.push(await p.evaluate(({ url, key }) => window.bench.start(url, key), { url: await emu.getClientAccessUrl(HUB), key }));
  const distinct = [...new Set(ids)];
  const connections = emu.connections(HUB).filter((c) => c.connected).length;
  const heapAfter = await heap(sessions);
  const perTab = perIsolate.map((v, i) => (v - before[i]) / 1024);
  await publish(distinct);
  await Promise.all(pages.map((p) => p.evaluate((n) => window.bench.until(n), MESSAGES)));
  const rates = await Promise.all(pages.map((p) => p.evaluate(() => (window.bench.count - 1) / ((window.bench.last - window.bench.first) / 1000))));
  const counts = await Promise.all(pages.map((p) => p.evaluate(() => window.bench.count)));
  for (const p of pages) await p.evaluate(() => window.bench.client.stop());
  await context.close();
  rates.sort((a, b) => a - b);
  return { connections, heapKB: (heapAfter - heapBefore) / 1024, perTab, medianRate: rates[Math.floor(rates.length / 2)], minRate: rates[0], counts };
}

try {
  const rows = [];
  for (const shared of [false, true]) {
    const r = await run(shared);
    if (r.counts.some((c) => c !== MESSAGES)) throw new Error(`a tab got ${r.counts} messages, expected ${MESSAGES} each`);
    rows.push([shared ? "shared (shareConnection)" : "one connection per tab", r]);
  }
  console.log(`\n${TABS} tabs (${isolates} V8 isolate(s)), ${MESSAGES} messages published to every tab (Chromium ${browser.version()})\n`);
  console.log("| mode | connections on the service | JS heap added, all tabs (KB) | msg/s per tab (median) | msg/s per tab (slowest) |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [name, r] of rows) {
    console.log(`| ${name} | ${r.connections} | ${r.heapKB.toFixed(0)} | ${Math.round(r.medianRate).toLocaleString("en-US")} | ${Math.round(r.minRate).toLocaleString("en-US")} |`);
  }
  const [sep, sh] = rows.map((r) => r[1]);
  if (isolates === TABS) {
    const f = (xs) => xs.map((x) => x.toFixed(0)).join(" ");
    console.log(`\nheap added per tab (KB), in tab order (shared: the SharedWorker holds the connection and its heap is not counted; on the Web Locks path the first tab holds it):\n  separate: ${f(sep.perTab)}\n  shared:   ${f(sh.perTab)}`);
  }
  console.log(`\nratios shared/separate: connections ${(sh.connections / sep.connections).toFixed(2)}, heap ${(sh.heapKB / sep.heapKB).toFixed(2)}, msg/s per tab ${(sh.medianRate / sep.medianRate).toFixed(2)}`);
} finally {
  await browser.close();
  await web.close();
  await emu.close();
}

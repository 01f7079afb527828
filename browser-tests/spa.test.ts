// examples/spa: the chat bundled by esbuild from `import { WebPubSubClient } from "webpubsub-client"`,
// talking to the <script>-tag chat page through the same local service.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startEmulator, type Emulator } from "webpubsub-client/emulator";
import { startChat } from "../examples/chat/server.mjs";
import { buildSpa } from "../examples/spa/build.mjs";
import { converse, joinChat, messagesOn } from "./support/chat-driver.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { watchPage } from "./support/page-watch.mjs";
import { EXAMPLES, requireDist } from "./support/paths.mjs";

let emu: Emulator;
let outdir: string;
let browser: Browser;
let spa: Awaited<ReturnType<typeof startChat>>;
let classic: Awaited<ReturnType<typeof startChat>>;
let build: Awaited<ReturnType<typeof buildSpa>>;
const problems: string[][] = [];

beforeAll(async () => {
  requireDist();
  emu = await startEmulator({ port: 0 });
  outdir = await mkdtemp(join(tmpdir(), "spa-"));
  build = await buildSpa({ outdir, minify: true });
  // The same app server module, two static roots: the fresh bundle + the SPA's index.html,
  // and the <script>-tag page. Both negotiate against the one local service.
  spa = await startChat({ port: 0, connectionString: emu.connectionString, staticRoots: [outdir, join(EXAMPLES, "spa/public")] });
  classic = await startChat({ port: 0, connectionString: emu.connectionString });
  browser = await launchChromium();
});
afterEach(() => {
  const all = problems.flat();
  problems.forEach((p) => p.splice(0));
  expect(all, "console errors / uncaught exceptions in the page").toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([spa?.close(), classic?.close()]);
  await emu?.close();
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

async function newPage(label: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  problems.push(watchPage(page, label));
  return page;
}

it("the bundler picks the package's browser build: no ws, no Node built-ins", async () => {
  expect(build.errors).toEqual([]);
  const inputs = Object.keys(build.metafile.inputs);
  expect(inputs).toContain("dist/browser/index.mjs");
  expect(inputs.filter((f) => /node_modules\/(ws|isomorphic-ws)\/|dist\/index\.(mjs|cjs)$/.test(f))).toEqual([]);
  const js = await readFile(join(outdir, "app.js"), "utf8");
  expect(js).not.toMatch(/\brequire\(|from\s*"node:/);
});

it("the bundled SPA chats with the <script>-tag page", async () => {
  const alice = await newPage("spa:alice");
  const bob = await newPage("classic:bob");
  await joinChat(alice, spa.url, "alice");
  expect(await alice.evaluate(() => typeof (window as { WebPubSub?: unknown }).WebPubSub)).toBe("undefined"); // bundled, not a global
  await joinChat(bob, classic.url, "bob");
  const lines: [string, string][] = [
    ["alice", "hi from the bundled app"],
    ["bob", "hi from the script-tag page"],
    ["alice", "same service, same room"],
  ];
  await converse({ alice, bob }, lines);
  expect(await messagesOn(alice)).toEqual(lines.map(([from, text]) => ({ from, text, mine: from === "alice" })));
  expect(await messagesOn(bob)).toEqual(lines.map(([from, text]) => ({ from, text, mine: from === "bob" })));
  await alice.context().close();
  await bob.context().close();
});

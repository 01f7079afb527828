// Group streams on a shared connection in Chromium. Web Locks path (SharedWorker hidden, so a
// tab holds the socket): three tabs share one connection, one holds it, one writes a stream,
// one reads it; the holder tab closes mid-stream while fragments are in flight, the next
// holder recovers the session, the writer resends from the service's expectedSequenceId, and
// the reader gets every fragment once, in order, and the stream's clean end. A holder tab
// that crashes while writing has its stream aborted by the tab that takes over. And the same
// writer/reader pair on the SharedWorker path.
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { nextEmulatorEvent, startEnv, type Env } from "./support/harness.js";
import { watchedTabs } from "./support/watched-tabs.js";

/** One hub per test, so the service's connection count is the test's own. */
let HUB = "sharedstreams";
const file = (name: string): string => readFileSync(new URL(`./shared-pages/${name}`, import.meta.url), "utf8");
let env: Env;
/** No SharedWorker in the pages: a tab holds the socket (the Web Locks path). */
const NO_WORKER = "delete window.SharedWorker;";

declare global {
  interface Window {
    // \`shared\` (the page harness) is declared in shared-connection.test.ts
    streams: {
      read(): void;
      got(): { data: unknown[]; end?: string };
      waitFor(n: number): Promise<void>;
      open(group: string, id: string): Promise<void>;
      write(from: number, to: number): Promise<void>;
      end(): Promise<void>;
    };
  }
}

// What the pages add to the shared harness: a reader and a writer over the page's client.
const STREAMS = `(function () {
  let writer;
  const got = { data: [], end: undefined };
  const waiters = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  window.streams = {
    read() {
      window.shared.client.onGroupStream(async (stream) => {
        try {
          for await (const m of stream) got.data.push(m.data), poke();
          got.end = "ended";
        } catch (e) {
          got.end = String(e && e.name);
        }
        poke();
      });
    },
    got: () => got,
    waitFor(n) {
      return new Promise((resolve) => {
        const check = () => (got.data.length >= n || got.end ? resolve() : waiters.push(check));
        check();
      });
    },
    async open(group, id) {
      writer = await window.shared.client.openGroupStream(group, { streamId: id });
    },
    async write(from, to) {
      for (let i = from; i <= to; i++) await writer.write(i, "json");
    },
    end: () => writer.end(),
  };
})();`;

beforeAll(async () => {
  env = await startEnv({
    files: {
      "/shared/streams.html": file("page.html").replace("</head>", `<script src="/shared/streams.js"></script>\n  </head>`),
      "/shared/harness.js": file("harness.js"),
      "/shared/streams.js": STREAMS,
    },
  });
});
afterAll(() => env?.close());
// Each test's pages are closed after it, and a console error or uncaught exception in them fails it.
const { newContext, openTab, tolerate } = watchedTabs(() => env);

async function tab(context: BrowserContext, key: string, groups: string[] = []): Promise<Page> {
  const page = await openTab(context, "/shared/streams.html");
  await page.waitForFunction(() => typeof window.shared === "object" && typeof window.streams === "object");
  const url = await env.emu.getClientAccessUrl(HUB, { userId: "tabs", roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"] });
  await page.evaluate(({ url, key, groups }) => window.shared.start(url, key, groups), { url, key, groups });
  return page;
}

it("one tab writes a stream, another reads it all, once and in order, while the holder tab closes mid-stream", async () => {
  const context = await newContext(NO_WORKER);
  const key = (HUB = "streams1");
  const holder = await tab(context, key);
  const writer = await tab(context, key);
  const reader = await tab(context, key, ["g"]);
  const id = await holder.evaluate(() => window.shared.client.connectionId);
  await reader.evaluate(() => window.streams.read());
  await writer.evaluate(() => window.streams.open("g", "s1"));
  await writer.evaluate(() => window.streams.write(1, 100));
  await reader.evaluate(() => window.streams.waitFor(20));
  const recovered = nextEmulatorEvent(env.emu, "recover", (e) => e.connectionId === id);
  // The holder goes while the writer keeps writing: some fragments go to the socket that is
  // closing, some wait for the next holder.
  await Promise.all([holder.close(), writer.evaluate(() => window.streams.write(101, 300))]);
  await recovered;
  await writer.evaluate(() => window.streams.end());
  await reader.evaluate(() => window.streams.waitFor(Infinity));
  const got = await reader.evaluate(() => window.streams.got());
  expect(got.end).toBe("ended");
  expect(got.data).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  expect(env.emu.connections(HUB).filter((c) => c.connected).map((c) => c.connectionId)).toEqual([id]);
});

it("the same on the SharedWorker path: the worker holds the socket, a tab writes, another reads, a third closes mid-stream", async () => {
  const context = await newContext();
  const key = (HUB = "streams2");
  const [writer, reader, other] = [await tab(context, key), await tab(context, key, ["g"]), await tab(context, key)];
  expect(await context.pages()[0].evaluate(() => typeof SharedWorker)).toBe("function");
  await reader.evaluate(() => window.streams.read());
  await writer.evaluate(() => window.streams.open("g", "s2"));
  await writer.evaluate(() => window.streams.write(1, 100));
  await reader.evaluate(() => window.streams.waitFor(20));
  await Promise.all([other.close(), writer.evaluate(() => window.streams.write(101, 200))]);
  await writer.evaluate(() => window.streams.end());
  await reader.evaluate(() => window.streams.waitFor(Infinity));
  const got = await reader.evaluate(() => window.streams.got());
  expect(got.end).toBe("ended");
  expect(got.data).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(env.emu.connections(HUB).filter((c) => c.connected)).toHaveLength(1);
});

it("the holder tab crashes while writing a stream: the tab that takes over aborts it on the service, and the reader sees it fail", async () => {
  const context = await newContext(NO_WORKER);
  const crashed: string[] = [];
  const key = (HUB = "streams3");
  tolerate(/crashed/); // the crashed page's own report; anything else fails the test
  const holder = await tab(context, key);
  const reader = await tab(context, key, ["g"]);
  const id = await holder.evaluate(() => window.shared.client.connectionId);
  holder.on("crash", () => crashed.push("holder"));
  await reader.evaluate(() => window.streams.read());
  await holder.evaluate(() => window.streams.open("g", "s3"));
  await holder.evaluate(() => window.streams.write(1, 10));
  await reader.evaluate(() => window.streams.waitFor(10));
  const recovered = nextEmulatorEvent(env.emu, "recover", (e) => e.connectionId === id);
  await holder.goto("chrome://crash").catch(() => {}); // the renderer dies: no pagehide, no goodbye
  await recovered; // the reader's tab took the session over
  await reader.evaluate(() => window.streams.waitFor(Infinity));
  const got = await reader.evaluate(() => window.streams.got());
  expect(got.data).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  expect(got.end).toBe("UserError");
  expect(crashed).toEqual(["holder"]);
});

it("a writer tab (not the holder) crashes mid-stream: the holder notices its released lock and aborts its stream", async () => {
  const context = await newContext(NO_WORKER);
  const key = (HUB = "streams4");
  tolerate(/crashed/); // the crashed page's own report; anything else fails the test
  const reader = await tab(context, key, ["g"]); // the holder
  const writer = await tab(context, key);
  await reader.evaluate(() => window.streams.read());
  await writer.evaluate(() => window.streams.open("g", "s4"));
  await writer.evaluate(() => window.streams.write(1, 10));
  await reader.evaluate(() => window.streams.waitFor(10));
  await writer.goto("chrome://crash").catch(() => {});
  await reader.evaluate(() => window.streams.waitFor(Infinity));
  const got = await reader.evaluate(() => window.streams.got());
  expect(got).toEqual({ data: Array.from({ length: 10 }, (_, i) => i + 1), end: "UserError" });
  expect(await reader.evaluate(() => window.shared.client.state)).toBe("connected");
});

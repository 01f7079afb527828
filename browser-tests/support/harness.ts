// Per-file test environment: a local Web PubSub service, a static server for dist/ and the
// test pages, one Chromium, and pages whose console errors and uncaught exceptions are
// collected so every test can assert there were none.
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { expect } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "webpubsub-client/emulator";
import { launchChromium } from "./chromium.mjs";
import { watchPage } from "./page-watch.mjs";
import { DIST, PAGES, requireDist } from "./paths.mjs";
import { startStaticServer, type StaticServer } from "./static-server.mjs";

export interface Env {
  emu: Emulator;
  web: StaticServer;
  browser: Browser;
  /** A page in a fresh context (its own cookies and network state, as a separate browser would have). */
  newPage(label?: string, options?: BrowserContextOptions): Promise<Page>;
  /** The REST client an application server would use. */
  service(hub: string): WebPubSubServiceClient;
  /** Fails the test if any page logged a console error or threw; then forgets them. */
  expectPagesClean(): void;
  close(): Promise<void>;
}

export async function startEnv(options: { emulator?: EmulatorOptions; files?: Record<string, string | Uint8Array> } = {}): Promise<Env> {
  requireDist();
  const emu = await startEmulator({ port: 0, host: "127.0.0.1", ...options.emulator });
  const web = await startStaticServer({ mounts: { "/": DIST, "/pages/": PAGES }, files: options.files ?? {} });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await Promise.all([emu.close(), web.close()]);
    throw err;
  }
  const problems: string[][] = [];
  return {
    emu,
    web,
    browser,
    async newPage(label = "page", contextOptions = {}) {
      const context = await browser.newContext(contextOptions);
      const page = await context.newPage();
      problems.push(watchPage(page, label));
      return page;
    },
    service(hub) {
      // The emulator speaks plain http; the Azure SDK needs to be told that is fine.
      return new WebPubSubServiceClient(emu.connectionString, hub, { allowInsecureConnection: true });
    },
    expectPagesClean() {
      const all = problems.flat();
      problems.forEach((p) => p.splice(0));
      expect(all, "console errors / uncaught exceptions in the page").toEqual([]);
    },
    async close() {
      await browser.close().catch(() => {});
      await Promise.all([web.close(), emu.close()]);
    },
  };
}

/** Resolves with the next `event` the emulator emits that matches. */
export function nextEmulatorEvent(
  emu: Emulator,
  event: "connect" | "disconnect" | "recover" | "drop",
  match: (e: { hub: string; connectionId: string; userId?: string }) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<{ hub: string; connectionId: string; userId?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emu.events.off(event, on);
      reject(new Error(`no emulator "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    function on(e: { hub: string; connectionId: string; userId?: string }): void {
      if (!match(e)) return;
      clearTimeout(timer);
      emu.events.off(event, on);
      resolve(e);
    }
    emu.events.on(event, on);
  });
}

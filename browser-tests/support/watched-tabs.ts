// Tabs for the shared-connection tests: browser contexts whose pages are watched for console
// errors and uncaught exceptions. After each test every context is closed, and a problem the
// test did not `tolerate` (e.g. the CSP report of a refused worker) fails it.
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, expect } from "vitest";
import type { Env } from "./harness.js";
import { watchPage } from "./page-watch.mjs";

export interface WatchedTabs {
  /** A new browser context (one "browser profile"); `init` runs in each of its pages first. */
  newContext(init?: string): Promise<BrowserContext>;
  /** A new tab of `context` on `path` of the test's web server. */
  openTab(context: BrowserContext, path: string): Promise<Page>;
  /** Console errors this test expects; any other one fails it. */
  tolerate(...patterns: RegExp[]): void;
}

export function watchedTabs(env: () => Env): WatchedTabs {
  let contexts: BrowserContext[] = [];
  const problems: string[][] = [];
  let tolerated: RegExp[] = [];
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => {})));
    contexts = [];
    const all = problems.flat().filter((p) => !tolerated.some((re) => re.test(p)));
    problems.length = 0;
    tolerated = [];
    expect(all, "console errors / uncaught exceptions in the pages").toEqual([]);
  });
  return {
    async newContext(init) {
      const context = await env().browser.newContext();
      if (init) await context.addInitScript(init);
      contexts.push(context);
      context.on("page", (p) => problems.push(watchPage(p, `tab ${context.pages().length}`)));
      return context;
    },
    async openTab(context, path) {
      const page = await context.newPage();
      await page.goto(`${env().web.url}${path}`);
      return page;
    },
    tolerate: (...patterns) => void (tolerated = patterns),
  };
}

// `npm start` (examples/start.mjs): starts the local service and the chat, prints the URL,
// serves a working chat, and shuts down cleanly on SIGINT / SIGTERM.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { joinChat } from "./support/chat-driver.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { watchPage } from "./support/page-watch.mjs";
import { EXAMPLES, requireDist } from "./support/paths.mjs";

let browser: Browser;
beforeAll(async () => {
  requireDist();
  browser = await launchChromium();
});
afterAll(() => browser?.close());

function start() {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0" };
  delete env.WebPubSubConnectionString; // always the local service here
  const child = spawn(process.execPath, [`${EXAMPLES}start.mjs`], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, exited, output: () => out };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  it(`starts the service and the chat, prints the URL, and stops on ${signal}`, async () => {
    const app = start();
    try {
      await expect.poll(app.output, { timeout: 15_000 }).toMatch(/Press Ctrl-C to stop/);
      const url = /Open\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(app.output())?.[1];
      expect(url, app.output()).toBeDefined();
      expect(app.output()).toMatch(/connection string: Endpoint=http:\/\/127\.0\.0\.1:\d+;AccessKey=/);

      if (signal === "SIGINT") {
        // The page it points at works.
        const page = await (await browser.newContext()).newPage();
        const problems = watchPage(page, "npm start");
        await joinChat(page, url!, "newcomer");
        await expect.poll(app.output).toMatch(/\+ newcomer connected/);
        await page.context().close();
        expect(problems).toEqual([]);
      }

      app.child.kill(signal);
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain("stopped.");
      await expect(fetch(url!)).rejects.toThrow(); // nothing listens any more
    } finally {
      app.child.kill("SIGKILL");
    }
  });
}

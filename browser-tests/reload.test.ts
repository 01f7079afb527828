// Reloading a page ends its connection, and the reloaded page starts a new one cleanly.
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startEmulator, type Emulator } from "webpubsub-client/emulator";
import { nextEmulatorEvent, startEnv, type Env } from "./support/harness.js";

const HUB = "reload";
let env: Env;

beforeAll(async () => {
  env = await startEnv();
});
afterEach(() => env.expectPagesClean());
afterAll(() => env?.close());

async function connect(page: Page, emu: Emulator, { stopOnPageHide }: { stopOnPageHide: boolean }): Promise<string> {
  await page.waitForFunction(() => typeof window.harness === "object");
  const url = await emu.getClientAccessUrl(HUB, { userId: "walker", roles: ["webpubsub.joinLeaveGroup"] });
  return page.evaluate(
    async ({ url, stopOnPageHide }) => {
      if (stopOnPageHide) window.harness.stopOnPageHide();
      const id = await window.harness.connect(url);
      await window.harness.client.joinGroup("g");
      return id;
    },
    { url, stopOnPageHide },
  );
}

it("a reload ends the old connection at once (app stops the client on pagehide) and the new page connects afresh", async () => {
  const page = await env.newPage("reload");
  await page.goto(`${env.web.url}/pages/umd.html`);
  const first = await connect(page, env.emu, { stopOnPageHide: true });
  expect(env.emu.connections(HUB)).toEqual([expect.objectContaining({ connectionId: first, connected: true })]);

  const dropped: string[] = [];
  const onDrop = (e: { connectionId: string }) => dropped.push(e.connectionId);
  env.emu.events.on("drop", onDrop);
  const gone = nextEmulatorEvent(env.emu, "disconnect", (e) => e.connectionId === first);
  await page.reload();
  await gone; // the service saw the old connection end
  env.emu.events.off("drop", onDrop);
  expect(dropped).toEqual([]); // ended, not merely dropped and waiting for a recovery

  const second = await connect(page, env.emu, { stopOnPageHide: true });
  expect(second).not.toBe(first);
  expect(env.emu.connections(HUB)).toEqual([expect.objectContaining({ connectionId: second, connected: true, groups: ["g"] })]);

  // The new connection works end to end, and only it receives.
  await env.service(HUB).group("g").sendToAll("after reload", { contentType: "text/plain" });
  await page.waitForFunction(() => window.harness.messages.length === 1);
  expect(await page.evaluate(() => window.harness.messages.map((m) => [m.data, m.sequenceId]))).toEqual([["after reload", 1]]);
  expect(await page.evaluate(() => window.harness.events.map((e) => e.event))).toEqual(["connected"]);

  await page.evaluate(() => window.harness.client.stop());
  await page.context().close();
});

it("without a pagehide handler, the browser's close (1001, going away) leaves a session that expires", async () => {
  // The browser closes the page's sockets with code 1001 on navigation. The service keeps a
  // reliable session after any close other than 1000/1008, in case the client recovers it;
  // nobody will, so it ends when the session TTL runs out (30 s by default; 1.5 s here).
  const emu = await startEmulator({ port: 0, sessionTtlMs: 1500 });
  try {
    const page = await env.newPage("reload-no-handler");
    await page.goto(`${env.web.url}/pages/umd.html`);
    const first = await connect(page, emu, { stopOnPageHide: false });

    const dropped = nextEmulatorEvent(emu, "drop", (e) => e.connectionId === first);
    const gone = nextEmulatorEvent(emu, "disconnect", (e) => e.connectionId === first);
    await page.reload();
    await dropped;
    const second = await connect(page, emu, { stopOnPageHide: false });
    expect(second).not.toBe(first);
    await gone;
    expect(emu.connections(HUB)).toEqual([expect.objectContaining({ connectionId: second, connected: true, groups: ["g"] })]);
    expect(await page.evaluate(() => window.harness.events.map((e) => e.event))).toEqual(["connected"]);
    await page.evaluate(() => window.harness.client.stop());
    await page.context().close();
  } finally {
    await emu.close();
  }
});

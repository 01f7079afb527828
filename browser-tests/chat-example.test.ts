// examples/chat: the <script>-tag chat page and its app server (negotiate + embedded local service).
import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Emulator } from "webpubsub-client/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startChat } from "../examples/chat/server.mjs";
import { joinChat, messagesOn, recordedStates, recordStates, say, waitForMessage } from "./support/chat-driver.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { watchPage } from "./support/page-watch.mjs";
import { EXAMPLES, requireDist } from "./support/paths.mjs";
import { captureChat } from "./screenshot.mjs";

let chat: Awaited<ReturnType<typeof startChat>>;
let emu: Emulator;
let browser: Browser;
const problems: string[][] = [];

async function newPage(label: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  problems.push(watchPage(page, label));
  return page;
}

beforeAll(async () => {
  requireDist();
  // No connection string: the server starts its own local service, as `npm start` does.
  chat = await startChat({ port: 0, connectionString: "" });
  emu = chat.emulator!;
  browser = await launchChromium();
});
afterEach(() => {
  const all = problems.flat();
  problems.forEach((p) => p.splice(0));
  expect(all, "console errors / uncaught exceptions in the page").toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await chat?.close();
});

const connectionOf = (user: string) => emu.connections("chat").find((c) => c.userId === user && c.connected)!.connectionId;

describe("chat example server", () => {
  it("hands out client access URLs with per-user roles for the room", async () => {
    const res = await fetch(`${chat.url}negotiate?user=${encodeURIComponent("zoë")}`);
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${emu.port}/client/hubs/chat\\?access_token=`));
    const claims = JSON.parse(Buffer.from(new URL(url).searchParams.get("access_token")!.split(".")[1]!, "base64url").toString());
    expect(claims).toMatchObject({ sub: "zoë", role: ["webpubsub.joinLeaveGroup.room", "webpubsub.sendToGroup.room"] });

    expect((await fetch(`${chat.url}negotiate`)).status).toBe(400);
    const umd = await fetch(`${chat.url}webpubsub-client.umd.min.js`);
    expect(umd.status).toBe(200);
    expect(umd.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${chat.url}../../package.json`)).status).toBe(404);
  });
});

describe("chat example page", () => {
  it("two users talk; names, order and connection state are shown", async () => {
    const alice = await newPage("alice");
    const bob = await newPage("bob");
    await joinChat(alice, chat.url, "alice");
    await joinChat(bob, chat.url, "bob");
    await alice.locator(".notice", { hasText: "bob joined" }).waitFor();
    expect(await alice.getByTestId("state").textContent()).toBe("connected");
    expect(await alice.getByTestId("me").textContent()).toBe("alice");

    await say(alice, "hello <b>bob</b>"); // shown as text, not HTML
    await waitForMessage(bob, "alice", "hello <b>bob</b>");
    await say(bob, "hi alice");
    await waitForMessage(alice, "bob", "hi alice");

    expect(await messagesOn(alice)).toEqual([
      { from: "alice", text: "hello <b>bob</b>", mine: true },
      { from: "bob", text: "hi alice", mine: false },
    ]);
    expect(await messagesOn(bob)).toEqual([
      { from: "alice", text: "hello <b>bob</b>", mine: false },
      { from: "bob", text: "hi alice", mine: true },
    ]);
    await alice.context().close();
    await bob.context().close();
  });

  it("shows recovering and reconnecting, and keeps working through both", async () => {
    const alice = await newPage("alice");
    const bob = await newPage("bob");
    await joinChat(alice, chat.url, "alice");
    await joinChat(bob, chat.url, "bob");
    await recordStates(alice);
    const first = connectionOf("alice");

    // A dropped socket: the client recovers the same connection.
    emu.faults.drop(first);
    await say(alice, "sent around a drop"); // queued if the connection is still recovering
    await waitForMessage(bob, "alice", "sent around a drop");
    await alice.locator(".notice", { hasText: "connection recovered" }).waitFor();
    expect(connectionOf("alice")).toBe(first);

    // The service ends the session (1008): the client negotiates a new connection and rejoins the room.
    emu.faults.close(first, 1008, "session ended by the test");
    await alice.locator(".notice", { hasText: "reconnecting" }).waitFor();
    await alice.locator('[data-testid="state"][data-state="connected"]').waitFor();
    await expect.poll(() => emu.connections("chat").find((c) => c.userId === "alice")?.groups).toEqual(["room"]);
    expect(connectionOf("alice")).not.toBe(first);
    await say(bob, "still here?");
    await waitForMessage(alice, "bob", "still here?");

    expect(await recordedStates(alice)).toEqual(["connected", "recovering", "connected", "reconnecting", "connected"]);
    expect((await messagesOn(bob)).filter((m) => m.text === "sent around a drop")).toHaveLength(1);
    await alice.context().close();
    await bob.context().close();
  });

  it("the command-line client (examples/node) chats with the page", async () => {
    const alice = await newPage("alice");
    await joinChat(alice, chat.url, "alice");
    const cli = spawn(process.execPath, [join(EXAMPLES, "node/chat.mjs"), `${chat.url}negotiate`, "--user", "carol"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    cli.stdout.on("data", (d) => (out += d));
    cli.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => cli.once("exit", resolve));
    try {
      await expect.poll(() => out, { timeout: 10_000 }).toContain("in #room as carol");
      await alice.locator(".notice", { hasText: "carol joined" }).waitFor();
      cli.stdin.write("hello from a terminal\n");
      await waitForMessage(alice, "carol", "hello from a terminal");
      await say(alice, "hi carol");
      await expect.poll(() => out, { timeout: 10_000 }).toContain("alice: hi carol");
      cli.stdin.end(); // end of input quits cleanly
      expect(await exited).toBe(0);
      await expect.poll(() => emu.connections("chat").some((c) => c.userId === "carol")).toBe(false);
    } finally {
      cli.kill();
    }
    await alice.context().close();
  });

  it("browser-tests/screenshot.mjs renders two users talking", async () => {
    const file = join(tmpdir(), `chat-${process.pid}.png`);
    expect(await captureChat(file)).toEqual([]);
    const png = await readFile(file);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect((await stat(file)).size).toBeGreaterThan(10_000);
  });
});

// Shared connections in Node: several clients ("tabs") with the same shareConnection key,
// a real local service, Node's BroadcastChannel and an in-memory Web Locks API.
import { describe, expect, it } from "vitest";
import { WebPubSubClient } from "../../src/index.js";
import type { Emulator } from "../../emulator/index.js";
import type { FakeSessionStorage } from "./fake-locks.js";
import { tabsEnv } from "./tabs-env.js";

const HUB = "share";
const env = tabsEnv("k");
const { clients } = env;

function tab(key: string): WebPubSubClient {
  const client = new WebPubSubClient(
    { getClientAccessUrl: () => env.emu.getClientAccessUrl(HUB, { userId: "u", roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"] }) },
    { shareConnection: key },
  );
  clients.push(client);
  return client;
}

function collect(client: WebPubSubClient): unknown[] {
  const got: unknown[] = [];
  client.on("group-message", (e) => got.push(["g", e.message.group, e.message.data]));
  client.on("server-message", (e) => got.push(["s", e.message.data]));
  return got;
}

function until(check: () => boolean, what: string, client?: WebPubSubClient): Promise<void> {
  // Event-driven: re-check on every event the clients raise and every service event.
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
    const test = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      for (const c of clients) for (const ev of EVENTS) c.off(ev, test);
      for (const ev of EMU_EVENTS) env.emu.events.off(ev, test);
      resolve();
    };
    for (const c of client ? [client] : clients) for (const ev of EVENTS) c.on(ev, test);
    for (const ev of EMU_EVENTS) env.emu.events.on(ev, test);
    test();
  });
}
const EVENTS = ["group-message", "server-message", "connected", "recovered", "disconnected", "stopped"] as const;
const EMU_EVENTS = ["connect", "disconnect", "recover", "drop"];

const key = env.key;

/** Counts the listeners added to `signal` and not removed since. */
function listenersOn(signal: AbortSignal): () => number {
  let n = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => (n++, add(...args))) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => (n--, remove(...args))) as typeof remove;
  return () => n;
}
const live = (): ReturnType<Emulator["connections"]> => env.emu.connections(HUB).filter((c) => c.connected);

describe("shareConnection", () => {
  it("three tabs share one connection and each gets every server message", async () => {
    const k = key();
    const tabs = [tab(k), tab(k), tab(k)];
    const got = tabs.map(collect);
    await Promise.all(tabs.map((t) => t.start()));
    expect(new Set(tabs.map((t) => t.connectionId)).size).toBe(1);
    expect(live()).toHaveLength(1);
    await fetchSend("all", "hello");
    await until(() => got.every((g) => g.length === 1), "every tab to get the message");
    expect(got).toEqual([[["s", "hello"]], [["s", "hello"]], [["s", "hello"]]]);
  });

  it("counts groups per tab: the service leaves a group when no tab wants it; only joined tabs get its messages", async () => {
    const k = key();
    const [a, b] = [tab(k), tab(k)];
    const [ga, gb] = [collect(a), collect(b)];
    await a.start();
    await b.start();
    await a.joinGroup("g");
    await b.joinGroup("g");
    await b.joinGroup("only-b");
    const groups = (): string[] => [...env.emu.connections(HUB).find((c) => c.connectionId === a.connectionId)!.groups].sort();
    expect(groups()).toEqual(["g", "only-b"]);
    await a.leaveGroup("g");
    expect(groups()).toEqual(["g", "only-b"]); // b still wants it
    // A tab of the same connection sends: the echo reaches only the tabs in the group.
    await a.sendToGroup("only-b", "x", "text");
    await a.sendToGroup("g", "y", "text");
    await until(() => gb.length === 2, "b to get both");
    expect(gb).toEqual([["g", "only-b", "x"], ["g", "g", "y"]]);
    expect(ga).toEqual([]);
    await b.leaveGroup("g");
    expect(groups()).toEqual(["only-b"]);
  });

  it("acks reach the tab that asked, with its own ackIds, even when two tabs use the same one", async () => {
    const k = key();
    const [a, b] = [tab(k), tab(k)];
    await a.start();
    await b.start();
    const [ra, rb] = await Promise.all([a.sendToGroup("g", "1", "text", { ackId: 7 }), b.sendToGroup("g", "2", "text", { ackId: 7 })]);
    expect(ra).toEqual({ ackId: 7, isDuplicated: false });
    expect(rb).toEqual({ ackId: 7, isDuplicated: false });
    // a retry with the same ackId happens once: the service reports a duplicate
    expect(await a.sendToGroup("g", "1", "text", { ackId: 7 })).toEqual({ ackId: 7, isDuplicated: true });
  });

  it("an operation's abort listener is removed once it settles (one long-lived signal does not collect them)", async () => {
    const k = key();
    const [a, b] = [tab(k), tab(k)];
    await a.start();
    await b.start();
    const signal = new AbortController().signal;
    const listeners = listenersOn(signal);
    for (let i = 0; i < 5; i++) await b.sendToGroup("g", `m${i}`, "text", { abortSignal: signal }); // b is not the holder
    expect(listeners()).toBe(0);
  });

  it("start() aborted while the shared connection is being made rejects with AbortError, and leaves no listener on the signal", async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    const listeners = listenersOn(signal);
    // the holder asks for the URL only once this tab's start() is under way
    const url = () => (controller.abort(), env.emu.getClientAccessUrl(HUB, { userId: "u" }));
    const a = new WebPubSubClient({ getClientAccessUrl: url }, { shareConnection: key() });
    clients.push(a);
    await expect(a.start({ abortSignal: signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(listeners()).toBe(0);
  });

  it("errors reach the tab that asked, as the classes and ids it expects; an abort is the tab's own", async () => {
    const k = key();
    const bare = (): WebPubSubClient => {
      const c = new WebPubSubClient({ getClientAccessUrl: () => env.emu.getClientAccessUrl(HUB, { userId: "nobody" }) }, { shareConnection: k });
      clients.push(c);
      return c;
    };
    const [a, b] = [bare(), bare()];
    await a.start();
    await b.start();
    // no role to join: the service refuses; b's ackId comes back on b's error
    const join = await b.joinGroup("g", { ackId: 3 }).catch((e: unknown) => e);
    expect(join).toMatchObject({ name: "SendMessageError", ackId: 3, errorDetail: { name: "Forbidden" } });
    // no event handler: the invocation fails with b's invocationId
    const invoke = await b.invokeEvent("e", "x", "text", { invocationId: "mine" }).catch((e: unknown) => e);
    expect(invoke).toMatchObject({ name: "InvocationError", invocationId: "mine" });
    const controller = new AbortController();
    const pending = a.sendEvent("e", "x", "text", { ackId: 9, abortSignal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await pending).toMatchObject({ name: "SendMessageError", ackId: 9 });
    expect(a.state).toBe("connected");
    expect(b.state).toBe("connected");
  });

  it("when the holder stops, the next tab recovers the same session and nothing is lost or doubled", async () => {
    const k = key();
    const [a, b] = [tab(k), tab(k)];
    const got = collect(b);
    await a.start();
    await b.start();
    const id = a.connectionId!;
    // The server keeps publishing, in order, while the holder goes away.
    const publishing = (async () => {
      for (let i = 1; i <= 40; i++) await fetchSend(`conn:${id}`, `m${i}`);
    })();
    await until(() => got.length >= 5, "some messages before the handover", b);
    await a.stop();
    await publishing;
    await until(() => got.length >= 40, "all 40 messages", b);
    expect(b.connectionId).toBe(id);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => ["s", `m${i + 1}`]));
    expect(live().map((c) => c.connectionId)).toEqual([id]);
  });

  it("operations in flight when the holder hands over are done exactly once (same ackIds on the next holder)", async () => {
    const k = key();
    const [a, b] = [tab(k), tab(k)];
    const observer = new WebPubSubClient(await env.emu.getClientAccessUrl(HUB, { roles: ["webpubsub.joinLeaveGroup"] }));
    clients.push(observer);
    const seen: unknown[] = [];
    observer.on("group-message", (e) => seen.push(e.message.data));
    await observer.start();
    await observer.joinGroup("watch");
    await a.start();
    await b.start();
    // The service executes b's sends but their acks never reach the holder: they are in flight.
    env.emu.faults.loseAcks(a.connectionId!, 30);
    const sends = Array.from({ length: 30 }, (_, i) => b.sendToGroup("watch", `s${i}`, "text"));
    await until(() => seen.length >= 30, "the observer to see all 30", observer);
    await a.stop(); // b takes over and sends the 30 again, with the same ackIds
    const results = await Promise.all(sends);
    expect(results.map((r) => r.isDuplicated)).toEqual(Array(30).fill(true));
    await b.sendToGroup("watch", "marker", "text");
    await until(() => seen.includes("marker"), "the marker", observer);
    expect(seen).toEqual([...Array.from({ length: 30 }, (_, i) => `s${i}`), "marker"]);
  });

  it("a lone tab that reloads carries on with the same session: what was published meanwhile, nothing twice", async () => {
    const page = new EventTarget(); // stands in for the window's pagehide
    const g = globalThis as unknown as Record<string, unknown>;
    g.addEventListener = page.addEventListener.bind(page);
    g.removeEventListener = page.removeEventListener.bind(page);
    try {
      const k = key();
      const before = tab(k);
      const got1 = collect(before);
      await before.start();
      await before.joinGroup("room");
      const id = before.connectionId!;
      const publishing = (async () => {
        for (let i = 1; i <= 30; i++) await fetchSend(`conn:${id}`, `m${i}`);
      })();
      await until(() => got1.length >= 5, "some messages before the reload", before);
      page.dispatchEvent(new Event("pagehide"));
      const stored = JSON.parse((globalThis as unknown as { sessionStorage: FakeSessionStorage }).sessionStorage.getItem(`webpubsub-client:reload:${k}`)!);
      expect(stored.session.connectionId).toBe(id);
      expect(JSON.stringify(stored)).not.toContain("access_token");
      const delivered = got1.length;
      await publishing; // all 30 are out while the hidden page still lives
      // Hidden, the page delivers (and acknowledges) nothing more: what it has not shown is
      // left on the service for the reloaded page.
      expect(got1).toHaveLength(delivered);
      await before.stop(); // the page goes away (its socket was already closed keeping the session)
      const after = tab(k);
      const got2 = collect(after);
      await after.start();
      await until(() => got1.length + got2.length >= 30, "all 30 messages across the reload", after);
      expect(after.connectionId).toBe(id);
      expect([...got1, ...got2]).toEqual(Array.from({ length: 30 }, (_, i) => ["s", `m${i + 1}`]));
      expect(env.emu.connections(HUB).find((c) => c.connectionId === id)?.groups).toEqual(["room"]);
    } finally {
      delete g.addEventListener;
      delete g.removeEventListener;
    }
  });

  it("without Web Locks nothing is shared: each client keeps its own working connection", async () => {
    const g = globalThis as unknown as { navigator: unknown };
    const saved = g.navigator;
    g.navigator = {};
    try {
      const k = key();
      const [a, b] = [tab(k), tab(k)];
      const [ga, gb] = [collect(a), collect(b)];
      await a.start();
      await b.start();
      expect(a.connectionId).not.toBe(b.connectionId);
      await fetchSend(`conn:${a.connectionId}`, "to a");
      await fetchSend(`conn:${b.connectionId}`, "to b");
      await until(() => ga.length === 1 && gb.length === 1, "one message each");
      expect([ga, gb]).toEqual([[["s", "to a"]], [["s", "to b"]]]);
    } finally {
      g.navigator = saved;
    }
  });

  it("when the shared connection ends for good, every tab hears disconnected once, then stopped", async () => {
    const k = key();
    const make = (): WebPubSubClient => {
      const c = new WebPubSubClient({ getClientAccessUrl: () => env.emu.getClientAccessUrl(HUB) }, { shareConnection: k, autoReconnect: false });
      clients.push(c);
      return c;
    };
    const [a, b] = [make(), make()];
    await a.start();
    await b.start();
    const seen = [a, b].map((c) => {
      const events: string[] = [];
      for (const ev of ["disconnected", "stopped"] as const) c.on(ev, () => events.push(ev));
      return events;
    });
    env.emu.faults.close(a.connectionId!, 1008, "gone");
    await until(() => a.state === "stopped" && b.state === "stopped", "both tabs to stop");
    expect(seen).toEqual([["disconnected", "stopped"], ["disconnected", "stopped"]]);
  });

  it("ignores malformed and hostile messages on the channel", async () => {
    const k = key();
    const a = tab(k);
    const got = collect(a);
    await a.start();
    const bc = new BroadcastChannel(`webpubsub-client:channel:${k}`);
    for (const junk of [null, 1, "x", [], { t: "op" }, { t: "data", holder: "h", m: { kind: "serverData", dataType: "text", data: 5 } },
      { t: "result", holder: "h", to: "nobody", id: 1, ok: true, isDuplicated: false }, { t: "state", holder: "h", state: "bogus" },
      { t: "hello", from: "x".repeat(10_000), groups: [] }, { t: "op", from: "evil", id: 1, op: { kind: "joinGroup", group: 5, ackId: 1 } },
      { t: "event", holder: "h", name: "connected", e: null }, { t: "ended" }]) bc.postMessage(junk);
    await fetchSend("all", "still fine");
    await until(() => got.length === 1, "the message after the junk");
    expect(got).toEqual([["s", "still fine"]]);
    expect(a.state).toBe("connected");
    bc.close();
  });
});

/** Sends through the service's REST API as the application server would. */
async function fetchSend(target: string, text: string): Promise<void> {
  const { WebPubSubServiceClient } = await import("@azure/web-pubsub");
  const svc = new WebPubSubServiceClient(env.emu.connectionString, HUB, { allowInsecureConnection: true });
  const opts = { contentType: "text/plain" as const };
  if (target === "all") await svc.sendToAll(text, opts);
  else if (target.startsWith("group:")) await svc.group(target.slice(6)).sendToAll(text, opts);
  else await svc.sendToConnection(target.slice(5), text, opts);
}

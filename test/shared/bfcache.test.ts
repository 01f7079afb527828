// A tab of a shared connection that the browser puts in the back/forward cache and restores
// (`pagehide`, then `pageshow` with `persisted: true`) registers with the holder again; if it
// was the holder, the holder it froze at pagehide makes way for a new one, which recovers
// the session. Node: a real local service, Node's BroadcastChannel, in-memory Web Locks, and
// one EventTarget per "page" standing in for its window.
import { afterEach, describe, expect, it } from "vitest";
import { WebPubSubClient } from "../../src/index.js";
import { tabsEnv } from "./tabs-env.js";

const HUB = "bfcache";
const channels: BroadcastChannel[] = [];
const g = globalThis as unknown as Record<string, unknown>;
// Registered before tabsEnv's, so it runs after the clients are stopped (after-hooks run in reverse).
afterEach(() => {
  for (const c of channels.splice(0)) c.close();
  delete g.addEventListener;
  delete g.removeEventListener;
});
const env = tabsEnv("b");
const { clients } = env;
const stored = (k: string): string | null => sessionStorage.getItem(`webpubsub-client:reload:${k}`);

/** Starts a tab whose page events come from `page` (the platform subscribes at start). */
async function startTab(k: string, page: EventTarget): Promise<WebPubSubClient> {
  const c = new WebPubSubClient({ getClientAccessUrl: () => env.emu.getClientAccessUrl(HUB, { userId: "u", roles: ["webpubsub.joinLeaveGroup"] }) }, { shareConnection: k });
  clients.push(c);
  g.addEventListener = page.addEventListener.bind(page);
  g.removeEventListener = page.removeEventListener.bind(page);
  await c.start();
  return c;
}

const pageEvent = (type: string, persisted: boolean): Event => Object.assign(new Event(type), { persisted });

/** Every `hello` posted on the key's channel, by tab id, as any other tab would hear it. */
function hellos(k: string): { count(tab: string): number; next(): Promise<string> } {
  const bc = new BroadcastChannel(`webpubsub-client:channel:${k}`);
  channels.push(bc);
  const seen: string[] = [];
  let wake: ((tab: string) => void) | undefined;
  bc.onmessage = (e: MessageEvent) => {
    if (e.data?.t !== "hello") return;
    seen.push(e.data.from);
    wake?.(e.data.from);
  };
  return {
    count: (tab) => seen.filter((t) => t === tab).length,
    next: () => new Promise((resolve) => (wake = resolve)),
  };
}

function received(client: WebPubSubClient, text: string): Promise<void> {
  return new Promise((resolve) => client.on("server-message", (e) => e.message.data === text && resolve()));
}

async function publish(connectionId: string, text: string): Promise<void> {
  const { WebPubSubServiceClient } = await import("@azure/web-pubsub");
  await new WebPubSubServiceClient(env.emu.connectionString, HUB, { allowInsecureConnection: true }).sendToConnection(connectionId, text, { contentType: "text/plain" });
}

describe("back/forward cache", () => {
  it("a restored tab registers with the holder again; its stale reload snapshot is dropped", async () => {
    const k = env.key();
    const [pageA, pageB] = [new EventTarget(), new EventTarget()];
    const a = await startTab(k, pageA);
    const spy = hellos(k);
    const b = await startTab(k, pageB);
    await b.joinGroup("room");
    pageB.dispatchEvent(pageEvent("pagehide", true));
    expect(stored(k)).not.toBeNull();
    const hello = spy.next();
    pageB.dispatchEvent(pageEvent("pageshow", true));
    const from = await hello;
    const registrations = spy.count(from); // at start, and now again
    expect(stored(k)).toBeNull();
    // a fresh load's pageshow (persisted: false) is not a restore
    pageB.dispatchEvent(pageEvent("pageshow", false));
    const got = received(b, "after");
    await publish(a.connectionId!, "after");
    await got;
    expect(registrations).toBe(2);
    expect(spy.count(from)).toBe(registrations);
  });

  it("a restored holder tab makes way: the next holder recovers the session and every tab gets what follows", async () => {
    const k = env.key();
    const [pageA, pageB] = [new EventTarget(), new EventTarget()];
    const a = await startTab(k, pageA); // the holder
    const b = await startTab(k, pageB);
    const id = a.connectionId!;
    pageA.dispatchEvent(pageEvent("pagehide", true)); // the holder freezes its socket (the session stays)
    const recovered = new Promise<void>((r) => b.once("recovered", () => r()));
    pageA.dispatchEvent(pageEvent("pageshow", true));
    await recovered;
    const got = [received(a, "back"), received(b, "back")];
    await publish(id, "back");
    await Promise.all(got);
    expect([a.connectionId, b.connectionId]).toEqual([id, id]);
    expect(env.emu.connections(HUB).filter((c) => c.connected).map((c) => c.connectionId)).toEqual([id]);
  });
});

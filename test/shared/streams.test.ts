// Group streams on a shared connection, in Node: several clients ("tabs") with the same
// shareConnection key, a real local service, Node's BroadcastChannel and an in-memory Web
// Locks API. Each tab writes and reads streams as an unshared client would: acks reach the
// tab that opened the stream, fragments reach the tabs in the group, and a stream survives a
// drop of the shared socket and a change of holder with every fragment once, in order.
import { describe, expect, it } from "vitest";
import { WebPubSubClient, type GroupStream, type GroupStreamMessage } from "../../src/index.js";
import { WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index.js";
import { PUBLISHER_GONE } from "../../src/shared/holder-streams.js";
import { tabsEnv } from "./tabs-env.js";

const HUB = "sstreams";
const ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
const env = tabsEnv("s");
const { clients } = env;

const key = env.key;

function tab(k: string, options: object = {}): WebPubSubClient {
  const c = new WebPubSubClient({ getClientAccessUrl: () => env.emu.getClientAccessUrl(HUB, { userId: "u", roles: ROLES }) }, { shareConnection: k, ...options });
  clients.push(c);
  return c;
}

/** A client of its own (not shared), in `group`: sees what the service publishes there. */
async function observer(group: string): Promise<Reader> {
  const c = new WebPubSubClient(await env.emu.getClientAccessUrl(HUB, { userId: "o", roles: ROLES }));
  clients.push(c);
  const r = reader(c);
  await c.start();
  await c.joinGroup(group);
  return r;
}

interface Read {
  stream: GroupStream;
  data: unknown[];
  /** Resolves with "ended" or the error the stream threw. */
  done: Promise<unknown>;
}
interface Reader {
  streams: Map<string, Read>;
  groupMessages: unknown[];
  /** Resolves once stream `id` has been read to its end (or failed). */
  finished(id: string): Promise<Read>;
  /** Resolves once stream `id` has at least `count` fragments read. */
  has(id: string, count: number): Promise<void>;
}

/** Reads every stream `client` sees, and the group messages it raises. */
function reader(client: WebPubSubClient): Reader {
  const streams = new Map<string, Read>();
  const groupMessages: unknown[] = [];
  const waiters: Array<() => void> = [];
  const poke = (): void => waiters.splice(0).forEach((w) => w());
  const until = (check: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const test = (): void => (check() ? resolve() : void waiters.push(test));
      test();
    });
  client.on("group-message", (e) => (groupMessages.push(e.message.data), poke()));
  client.onGroupStream((stream) => {
    const data: unknown[] = [];
    const done = (async () => {
      for await (const m of stream as AsyncIterable<GroupStreamMessage>) data.push(m.data), poke();
      return "ended";
    })().catch((e: unknown) => e);
    streams.set(stream.streamId, { stream, data, done });
    void done.then(poke);
    poke();
  });
  return {
    streams,
    groupMessages,
    async finished(id) {
      await until(() => streams.has(id));
      await streams.get(id)!.done;
      return streams.get(id)!;
    },
    has: (id, count) => until(() => (streams.get(id)?.data.length ?? 0) >= count),
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Two tabs of a new key, started in turn (a holds the connection); the `reading` one reads
 * streams from before its start and is in group "g".
 */
async function twoTabs(reading: "a" | "b", options: object = {}): Promise<{ k: string; a: WebPubSubClient; b: WebPubSubClient; r: Reader }> {
  const k = key();
  const [a, b] = [tab(k, options), tab(k, options)];
  const r = reader(reading === "a" ? a : b);
  await a.start();
  await b.start();
  await (reading === "a" ? a : b).joinGroup("g");
  return { k, a, b, r };
}

/**
 * Two tabs of key `k` (a new one by default), started in turn (a holds the connection), and
 * an unshared client in group "g" that sees what the service publishes there.
 */
async function watchedPair(k = key()): Promise<{ a: WebPubSubClient; b: WebPubSubClient; watch: Reader }> {
  const [a, b] = [tab(k), tab(k)];
  const watch = await observer("g");
  await a.start();
  await b.start();
  return { a, b, watch };
}

describe("group streams on a shared connection", () => {
  it("a writer tab and a reader tab of one connection: the reader gets every fragment once, in order; the writer's acks reach it", async () => {
    const k = key();
    const [a, b] = [tab(k), tab(k)];
    const ra = reader(a);
    const watch = await observer("g");
    await a.start(); // a holds the connection
    await b.start();
    await a.joinGroup("g");
    const w = await b.openGroupStream("g", { streamId: "w1" });
    for (const i of range(1, 150)) await w.write(i, "json"); // beyond the writer's window: acks must come back to b
    await w.end();
    expect((await ra.finished("w1")).data).toEqual(range(1, 150));
    expect(await ra.streams.get("w1")!.done).toBe("ended");
    expect((await watch.finished("w1")).data).toEqual(range(1, 150));
    expect(ra.groupMessages).toEqual([]); // fragments are not also group messages
    expect(env.emu.connections(HUB).filter((c) => c.connected)).toHaveLength(2); // the shared one and the observer
  });

  it("two tabs write streams at once; each gets its own acks and every fragment is published once, in order", async () => {
    const { a, b, watch } = await watchedPair();
    const [wa, wb] = await Promise.all([a.openGroupStream("g", { streamId: "from-a" }), b.openGroupStream("g", { streamId: "from-b" })]);
    for (const i of range(1, 100)) await Promise.all([wa.write(`a${i}`, "text"), wb.write(`b${i}`, "text")]);
    await Promise.all([wa.end(), wb.end()]);
    expect((await watch.finished("from-a")).data).toEqual(range(1, 100).map((i) => `a${i}`));
    expect((await watch.finished("from-b")).data).toEqual(range(1, 100).map((i) => `b${i}`));
  });

  it("a stream id is one tab's: another tab of the connection cannot open it, nor write to it", async () => {
    const { a, b, watch } = await watchedPair();
    const wa = await a.openGroupStream("g", { streamId: "mine" });
    await expect(b.openGroupStream("g", { streamId: "mine" })).rejects.toMatchObject({ name: "BadRequest", streamId: "mine" });
    await wa.write("only a", "text");
    await wa.end();
    expect((await watch.finished("mine")).data).toEqual(["only a"]);
  });

  it("stream fragments reach only the tabs in the group", async () => {
    const k = key();
    const [a, b, c] = [tab(k), tab(k), tab(k)];
    const [rb, rc] = [reader(b), reader(c)];
    await a.start();
    await b.start();
    await c.start();
    await b.joinGroup("g");
    await c.joinGroup("other");
    const w = await a.openGroupStream("g", { streamId: "s" });
    await w.write("x", "text");
    await w.end();
    expect((await rb.finished("s")).data).toEqual(["x"]);
    // c hears the next stream of its own group, and never heard of "s".
    const w2 = await a.openGroupStream("other", { streamId: "s2" });
    await w2.end();
    await rc.finished("s2");
    expect([...rc.streams.keys()]).toEqual(["s2"]);
  });

  it("a tab that reads no streams does not get their fragments as group-messages; the group's other messages it does", async () => {
    const k = key();
    const [a, b] = [tab(k), tab(k)];
    const seen: unknown[] = [];
    const plain = new Promise<void>((resolve) =>
      b.on("group-message", (e) => {
        seen.push(e.message.data);
        if (e.message.data === "plain") resolve();
      }),
    );
    await a.start();
    await b.start();
    await b.joinGroup("g");
    const w = await a.openGroupStream("g", { streamId: "quiet" });
    await w.write("fragment", "text");
    await w.end();
    await a.sendToGroup("g", "plain", "text"); // after the stream's end, on the same connection: in order
    await plain;
    expect(seen).toEqual(["plain"]);
  });

  it("a drop of the shared socket mid-stream: the writer tab resends from expectedSequenceId, every fragment once, in order", async () => {
    const { a, b, watch } = await watchedPair();
    const w = await b.openGroupStream("g", { streamId: "d" });
    for (const i of range(1, 20)) await w.write(i, "json");
    await watch.has("d", 5);
    const recovered = new Promise<void>((r) => b.once("recovered", () => r()));
    env.emu.faults.drop(a.connectionId!);
    for (const i of range(21, 60)) await w.write(i, "json"); // the link is down for part of these
    await recovered;
    await w.end();
    expect((await watch.finished("d")).data).toEqual(range(1, 60));
  });

  it("the holder goes away mid-stream: the next holder recovers the session, the writer tab resends, the reader tab gets every fragment once, in order", async () => {
    const k = key();
    const [a, b, c] = [tab(k), tab(k), tab(k)];
    const rc = reader(c);
    const watch = await observer("g");
    await a.start(); // the holder: it goes away mid-stream
    await b.start(); // the writer
    await c.start(); // the reader
    await c.joinGroup("g");
    const id = a.connectionId;
    const w = await b.openGroupStream("g", { streamId: "t" });
    for (const i of range(1, 20)) await w.write(i, "json");
    await rc.has("t", 5);
    const leaving = a.stop();
    for (const i of range(21, 80)) await w.write(i, "json"); // some go to the old holder, some wait for the new one
    await leaving;
    await w.end();
    expect((await rc.finished("t")).data).toEqual(range(1, 80));
    expect(await rc.streams.get("t")!.done).toBe("ended");
    expect((await watch.finished("t")).data).toEqual(range(1, 80));
    expect(b.connectionId).toBe(id);
    expect(c.connectionId).toBe(id);
  });

  it("a tab that goes away mid-stream: its stream is aborted on the service, so readers see it fail (not a complete stream)", async () => {
    const { k, a, b, r: ra } = await twoTabs("a");
    const w = await b.openGroupStream("g", { streamId: "gone" });
    await w.write("1", "text");
    await w.write("2", "text");
    await ra.has("gone", 2);
    const failed = new Promise((r) => w.onError(r));
    await b.stop();
    expect(await failed).toMatchObject({ name: "SessionLost", streamId: "gone" });
    const read = await ra.finished("gone");
    expect(read.data).toEqual(["1", "2"]);
    expect(await read.done).toMatchObject({ name: "UserError", userErrorCode: PUBLISHER_GONE });
    expect(a.state).toBe("connected");
    // the holder's own streams too, when the holder tab goes away
    const c = tab(k);
    const rc = reader(c);
    await c.start();
    await c.joinGroup("g");
    const wa = await a.openGroupStream("g", { streamId: "holder's" });
    await wa.write("x", "text");
    await rc.has("holder's", 1);
    await a.stop();
    expect(await (await rc.finished("holder's")).done).toMatchObject({ name: "UserError", userErrorCode: PUBLISHER_GONE });
    expect(c.state).toBe("connected");
  });

  it("a lost session fails the writer with a typed error that says what was acknowledged; readers fail too", async () => {
    const { a, b, r: rb } = await twoTabs("b");
    const w = await b.openGroupStream("g", { streamId: "l" });
    await w.write("1", "text");
    await rb.has("l", 1);
    const failed = new Promise((r) => w.onError(r));
    env.emu.faults.close(a.connectionId!, 1008, "gone");
    const error = (await failed) as { name: string; acknowledged?: number };
    expect(error).toMatchObject({ name: "SessionLost", streamId: "l" });
    expect(error.acknowledged).toBeLessThanOrEqual(1);
    expect(await rb.streams.get("l")!.done).toMatchObject({ name: "SessionLost" });
  });

  it("ignores hostile stream messages on the channel: forged frames, forged acks, malformed relays", async () => {
    const k = key();
    const bc = new BroadcastChannel(`webpubsub-client:channel:${k}`);
    const tabs = new Set<string>();
    bc.onmessage = (e: MessageEvent) => (e.data?.t === "hello" ? tabs.add(e.data.from) : undefined);
    const { a, b, watch } = await watchedPair(k); // the channel hears both tabs' hellos
    const w = await b.openGroupStream("g", { streamId: "h" });
    await w.write("real 1", "text");
    await watch.has("h", 1);
    const junk: unknown[] = [
      // another "tab" writing to b's stream, or opening one under its id
      { t: "raw", from: "evil", m: { kind: "streamData", streamId: "h", streamSequenceId: 2, dataType: "text", data: "forged" } },
      { t: "raw", from: "evil", m: { kind: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "h" } } },
      { t: "raw", from: "evil", m: { kind: "streamEnd", streamId: "h" } },
      // malformed frames
      { t: "raw", from: "evil", m: { kind: "streamData", streamId: "x", streamSequenceId: 0, dataType: "text", data: "zero" } },
      { t: "raw", from: "evil", m: { kind: "sendToGroup", group: "g", noEcho: false, dataType: "text", data: "x", stream: { streamId: "y" } } },
      { t: "raw", from: "evil", m: { kind: "joinGroup", group: "g", ackId: 1 } },
      { t: "raw", from: "evil", m: { kind: "streamData", streamId: "z".repeat(5000), streamSequenceId: 1, dataType: "text", data: "x" } },
      { t: "raw", from: "evil", m: null },
      { t: "raw", from: "evil" },
      // forged and malformed relays to every tab we saw
      ...[...tabs].flatMap((to) => [
        { t: "sframe", holder: "h", to, m: { kind: "streamAck", streamId: "h", expectedSequenceId: "9" } },
        { t: "sframe", holder: "h", to, m: { kind: "streamClosed", streamId: "h", error: { name: 5 } } },
        { t: "sframe", holder: "h", to, m: { kind: "streamNack", streamId: "h", expectedSequenceId: 1 } },
        { t: "sframe", holder: "h", to, m: { kind: "ack", ackId: 1 } },
      ]),
      { t: "link", holder: "h", up: "yes" },
      { t: "lost", holder: "h", message: 5 },
      { t: "data", holder: "h", m: { kind: "groupData", group: "g", dataType: "text", data: "x", stream: { streamId: "h", streamSequenceId: -1 } } },
      { t: "data", holder: "h", m: { kind: "groupData", group: "g", stream: { streamId: "h", streamSequenceId: 2 } } },
      { t: "hello", from: "evil", groups: [], streams: ["h", 5] },
    ];
    expect(tabs.size).toBe(2);
    for (const m of junk) bc.postMessage(m);
    await w.write("real 2", "text");
    await w.end();
    expect((await watch.finished("h")).data).toEqual(["real 1", "real 2"]);
    expect([a.state, b.state]).toEqual(["connected", "connected"]);
    bc.close();
  });

  it("onGroupStream called before start() (the shared code not loaded yet) gets the streams once connected", async () => {
    const { a, r: rb } = await twoTabs("b"); // b's reader is registered while the shared code is not even loaded
    const w = await a.openGroupStream("g", { streamId: "early" });
    await w.write("hi", "text");
    await w.end();
    expect((await rb.finished("early")).data).toEqual(["hi"]);
  });

  it("works the same on the protobuf subprotocol (binary and JSON fragments)", async () => {
    const { b, r: ra } = await twoTabs("a", { protocol: WebPubSubProtobufReliableProtocol() });
    const w = await b.openGroupStream("g", { streamId: "pb" });
    await w.write(new Uint8Array([1, 2, 3]), "binary");
    await w.write({ n: 1 }, "json");
    await w.end();
    const read = await ra.finished("pb");
    expect(await read.done).toBe("ended");
    expect(read.data.map((d) => (d instanceof ArrayBuffer ? [...new Uint8Array(d)] : d))).toEqual([[1, 2, 3], { n: 1 }]);
  });
});

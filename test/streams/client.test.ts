// Our client's group streams on a fake socket: the writer's window, acks, nacks, resends,
// keep-alives and typed failures; the reader's options and bounds; hostile stream frames.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { GroupStreamError, type GroupStream, type GroupStreamMessage, type GroupStreamSubscription } from "../../src/index.js";
import { GROUP_STREAM_MAX_EARLY } from "../../src/streams/lazy.js";
import { GROUP_STREAM_MAX_UNREAD } from "../../src/streams/reader.js";
import { GROUP_STREAM_WINDOW } from "../../src/streams/writer.js";
// Loaded here, so the client's `import()` of it settles within `settle()`.
import "../../src/streams/streams.js";
import { fakeRuntime, liveClient, settle, useFakeTimersAndRejectionGuard, type FakeRuntime, type FakeSocket } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=abc";
let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

const datas = (s: FakeSocket) => s.framesOfType("streamData").filter((f) => f.streamSequenceId !== undefined);

async function opened(socket: FakeSocket, client: Awaited<ReturnType<typeof liveClient>>["client"], options = {}) {
  const p = client.openGroupStream("g", { streamId: "s", ...options });
  await settle(); // the streams chunk loads
  expect(socket.framesOfType("sendToGroup").at(-1)).toMatchObject({ type: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "s" } });
  socket.receive({ type: "streamAck", streamId: "s", expectedSequenceId: 1 });
  return p;
}

function collect(client: { onGroupStream(cb: (s: GroupStream) => void, o?: object): GroupStreamSubscription }, options?: object) {
  const streams: Array<{ stream: GroupStream; got: GroupStreamMessage[]; done: Promise<unknown> }> = [];
  const sub = client.onGroupStream((stream) => {
    const got: GroupStreamMessage[] = [];
    const done = (async () => {
      for await (const m of stream) got.push(m);
    })().then(
      () => "ended",
      (e: unknown) => e,
    );
    streams.push({ stream, got, done });
  }, options);
  return { streams, sub };
}

const frag = (seq: number, data: unknown, extra: object = {}, id = "s", group = "g") => ({
  type: "message",
  from: "group",
  group,
  fromUserId: "u",
  dataType: "json",
  data,
  sequenceId: undefined as number | undefined,
  stream: { streamId: id, streamSequenceId: seq, ...extra },
});
let seqId = 0;
const deliver = (s: FakeSocket, f: ReturnType<typeof frag>) => s.receive({ ...f, sequenceId: ++seqId });

describe("group stream writer", () => {
  it("opens on streamAck, numbers fragments, ends on streamClosed; the start carries idleTimeoutMs and noEcho", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const p = client.openGroupStream("g", { streamId: "x", noEcho: true, idleTimeoutInMs: 9000 });
    await settle(); // the streams chunk loads
    expect(socket.framesOfType("sendToGroup")).toEqual([{ type: "sendToGroup", group: "g", noEcho: true, stream: { streamId: "x", idleTimeoutMs: 9000 } }]);
    socket.receive({ type: "streamAck", streamId: "x", expectedSequenceId: 1 });
    const w = await p;
    expect(w.streamId).toBe("x");
    await w.write("a", "text");
    await w.write(new Uint8Array([1, 2]), "binary");
    expect(datas(socket)).toEqual([
      { type: "streamData", streamId: "x", streamSequenceId: 1, dataType: "text", data: "a" },
      { type: "streamData", streamId: "x", streamSequenceId: 2, dataType: "binary", data: "AQI=" },
    ]);
    let ended = false;
    const end = w.end().then(() => (ended = true));
    expect(socket.framesOfType("streamEnd")).toEqual([{ type: "streamEnd", streamId: "x" }]);
    await settle();
    expect(ended).toBe(false);
    socket.receive({ type: "streamClosed", streamId: "x" });
    await end;
    await expect(w.write("late", "text")).rejects.toMatchObject({ name: "StreamClosed" });
    await expect(w.end()).rejects.toBeInstanceOf(Error);
  });

  it(`write() waits while ${GROUP_STREAM_WINDOW} fragments are unacknowledged; a cumulative ack makes room; abortSignal withdraws a waiting write`, async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const w = await opened(socket, client);
    for (let i = 1; i <= GROUP_STREAM_WINDOW; i++) await w.write(i, "json");
    let done = false;
    const blocked = w.write("next", "text").then(() => (done = true));
    const ac = new AbortController();
    const aborted = w.write("never", "text", { abortSignal: ac.signal });
    await settle();
    expect(done).toBe(false);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    socket.receive({ type: "streamAck", streamId: "s", expectedSequenceId: 11 }); // 1..10 published
    await blocked;
    expect(datas(socket).map((f) => f.data)).toEqual([...Array.from({ length: GROUP_STREAM_WINDOW }, (_, i) => i + 1), "next"]);
  });

  it("after a recovery it resends the start (if unacknowledged), every unacknowledged fragment and the end; nothing is resent twice", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const w = await opened(socket, client);
    for (let i = 1; i <= 5; i++) await w.write(i, "json");
    socket.receive({ type: "streamAck", streamId: "s", expectedSequenceId: 3 });
    socket.drop(1006);
    await w.write(6, "json"); // the writer keeps working while the link is down
    void w.end();
    await settle();
    const rec = rt.last();
    rec.open();
    await settle();
    expect(rec.framesOfType("sendToGroup")).toEqual([]);
    expect(datas(rec).map((f) => f.streamSequenceId)).toEqual([3, 4, 5, 6]);
    expect(rec.framesOfType("streamEnd")).toHaveLength(1);
  });

  it("a streamNack resends from expectedSequenceId once per gap, however many nacks arrive", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const w = await opened(socket, client);
    for (let i = 1; i <= 4; i++) await w.write(i, "json");
    const before = datas(socket).length;
    for (let i = 0; i < 3; i++) socket.receive({ type: "streamNack", streamId: "s", expectedSequenceId: 2, name: "TransientError", message: "" });
    expect(datas(socket).slice(before).map((f) => f.streamSequenceId)).toEqual([2, 3, 4]);
  });

  it("sends keep-alives only while idle", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const w = await opened(socket, client, { idleTimeoutInMs: 3000 }); // a check every 1000 ms
    const keepAlives = () => socket.framesOfType("streamData").filter((f) => f.streamSequenceId === undefined).length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(keepAlives()).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    await w.write("busy", "text");
    await vi.advanceTimersByTimeAsync(500);
    expect(keepAlives()).toBe(1); // a fragment went out in this interval
    await vi.advanceTimersByTimeAsync(1000);
    expect(keepAlives()).toBe(2);
    expect(socket.framesOfType("streamData").at(-1)).toEqual({ type: "streamData", streamId: "s" });
  });

  it("a lost session fails the writer with a GroupStreamError that says which fragments were published", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const w = await opened(socket, client);
    const errors: unknown[] = [];
    w.onError((e) => errors.push(e));
    for (let i = 1; i <= 5; i++) await w.write(i, "json");
    socket.receive({ type: "streamAck", streamId: "s", expectedSequenceId: 4 });
    const end = w.end();
    socket.drop(1008, "gone");
    const error = await end.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupStreamError);
    expect(error).toMatchObject({ name: "SessionLost", streamId: "s", acknowledged: 3 });
    expect(errors).toEqual([error]);
    await client.stop();
  });

  it("a service close with an error fails it with that name; opening while disconnected fails at once", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const w = await opened(socket, client);
    const failed = w.end().catch((e: unknown) => e);
    socket.receive({ type: "streamClosed", streamId: "s", error: { name: "IdleTimeout", message: "idle" } });
    expect(await failed).toMatchObject({ name: "IdleTimeout", message: "idle" });
    const refused = client.openGroupStream("g", { streamId: "t" });
    await settle();
    socket.receive({ type: "streamClosed", streamId: "t", error: { name: "Forbidden", message: "no" } });
    await expect(refused).rejects.toMatchObject({ name: "Forbidden", acknowledged: 0 });
    await expect(client.openGroupStream("  ")).rejects.toBeInstanceOf(RangeError);
    for (const idleTimeoutInMs of [0, -1, 1.5, "10"]) {
      await expect(client.openGroupStream("g", { idleTimeoutInMs } as never)).rejects.toBeInstanceOf(RangeError);
    }
    await client.stop();
    await expect(client.openGroupStream("g")).rejects.toMatchObject({ name: "NotConnected" });
  });
});

describe("group stream reader", () => {
  it("one GroupStream per (group, streamId); fragments in order, not group-messages; the end completes it and aborts its signal", async () => {
    const { client, socket, events } = await liveClient(rt, URL_);
    const { streams } = collect(client);
    await settle(); // the streams chunk loads
    deliver(socket, frag(1, "a"));
    deliver(socket, frag(1, "other group", {}, "s", "h"));
    deliver(socket, frag(2, "b"));
    deliver(socket, { ...frag(3, undefined, { endOfStream: true }), data: undefined });
    expect(await streams[0]!.done).toBe("ended");
    expect(streams[0]!.got.map((m) => m.data)).toEqual(["a", "b"]);
    expect(streams[0]!.got[0]).toMatchObject({ groupName: "g", fromUserId: "u", dataType: "json", stream: { streamId: "s", streamSequenceId: 1 } });
    expect(streams[0]!.stream.abortSignal.aborted).toBe(true);
    expect(streams.map((s) => s.stream.groupName)).toEqual(["g", "h"]);
    expect(events.filter(([n]) => n === "group-message")).toEqual([]);
  });

  it("an end with an error throws it from the iteration; groupNames filters; handleFromStart ignores a stream joined mid-way", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const all = collect(client);
    const onlyH = collect(client, { groupNames: ["h"] });
    const fromStart = collect(client, { handleFromStart: true });
    await settle(); // the streams chunk loads
    deliver(socket, frag(5, "mid"));
    deliver(socket, { ...frag(6, undefined, { endOfStream: true, error: { name: "UserError", message: "m", userErrorCode: "E" } }), data: undefined });
    expect(await all.streams[0]!.done).toMatchObject({ name: "UserError", message: "m", userErrorCode: "E", streamId: "s" });
    expect(onlyH.streams).toHaveLength(0);
    expect(fromStart.streams).toHaveLength(0);
    deliver(socket, frag(1, "new"));
    expect(fromStart.streams).toHaveLength(1);
  });

  it("per-stream idle timeout; close() ends streams and stops callbacks; isActive; asyncDispose", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const { streams, sub } = collect(client, { idleTimeoutInMs: 1000 });
    await settle(); // the streams chunk loads
    deliver(socket, frag(1, "a"));
    await vi.advanceTimersByTimeAsync(600);
    deliver(socket, frag(1, "b", {}, "t"));
    await vi.advanceTimersByTimeAsync(600);
    expect(await streams[0]!.done).toMatchObject({ name: "IdleTimeout" });
    expect(sub.isActive).toBe(true);
    await sub[Symbol.asyncDispose]();
    expect(sub.isActive).toBe(false);
    expect(await streams[1]!.done).toBe("ended");
    deliver(socket, frag(1, "c", {}, "u"));
    expect(streams).toHaveLength(2);
  });

  it("duplicates are dropped, a gap fails the stream, an unread backlog is bounded (SlowReader)", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    let stream!: GroupStream;
    client.onGroupStream((s) => void (stream = s));
    await settle(); // the streams chunk loads
    deliver(socket, frag(1, "a"));
    deliver(socket, frag(1, "a again"));
    deliver(socket, frag(3, "gap"));
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value.data).toBe("a");
    await expect(it.next()).rejects.toMatchObject({ name: "InvalidSequenceId" });
    let slow!: GroupStream;
    client.onGroupStream((s) => void (slow = s), { groupNames: ["slow"] });
    await settle(); // the streams chunk loads
    for (let i = 1; i <= GROUP_STREAM_MAX_UNREAD + 1; i++) deliver(socket, frag(i, i, {}, "s", "slow"));
    let n = 0;
    const error = await (async () => {
      for await (const _ of slow) n++;
    })().catch((e: unknown) => e);
    expect(n).toBe(GROUP_STREAM_MAX_UNREAD);
    expect(error).toMatchObject({ name: "SlowReader" });
  });

  it("hostile stream frames are dropped whole and never crash the client", async () => {
    const { client, socket, events } = await liveClient(rt, URL_);
    const { streams } = collect(client);
    const w = await opened(socket, client);
    for (const bad of [
      { type: "streamAck", streamId: "s", expectedSequenceId: 1e300 },
      { type: "streamAck", streamId: "s", expectedSequenceId: Number.MAX_SAFE_INTEGER },
      { type: "streamAck", streamId: 5, expectedSequenceId: 2 },
      { type: "streamNack", streamId: "s", expectedSequenceId: 1 },
      { type: "streamClosed", streamId: "s", error: "bad" },
      { type: "streamClosed", streamId: "unknown" },
      { type: "streamAck", streamId: "unknown", expectedSequenceId: 3 },
      { ...frag(1, "x"), stream: { streamId: "s", streamSequenceId: -1 } },
      { ...frag(1, "x"), stream: { streamId: "s", streamSequenceId: 1, endOfStream: "yes" } },
      { ...frag(1, "x"), stream: "s" },
      { ...frag(1, "x"), stream: { streamId: "s", streamSequenceId: 1, error: { name: 3 } } },
      { ...frag(1, undefined), data: undefined },
    ]) {
      socket.receive(bad);
    }
    expect(streams).toHaveLength(0);
    expect(events.filter(([n]) => n === "group-message")).toEqual([]);
    await w.write("still fine", "text");
    expect(datas(socket).at(-1)?.streamSequenceId).toBe(1);
    expect(rt.logs.filter((l) => l.startsWith("error"))).toEqual([]);
  });

  it("a callback that throws ends only its own stream; content the codec cannot encode is refused and not kept", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    let seen!: GroupStream;
    client.onGroupStream((s) => {
      seen = s;
      throw new Error("app bug");
    });
    const { streams } = collect(client);
    await settle(); // the streams chunk loads
    deliver(socket, frag(1, "a"));
    expect(seen.abortSignal.aborted).toBe(true);
    expect(streams[0]!.stream.abortSignal.aborted).toBe(false);
    const w = await opened(socket, client);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(w.write(cyclic, "json")).rejects.toBeInstanceOf(TypeError);
    await w.write("next", "text");
    expect(datas(socket)).toEqual([{ type: "streamData", streamId: "s", streamSequenceId: 1, dataType: "text", data: "next" }]);
  });

  it("a client that never used streams does not raise fragments as group-messages; other group messages still are", async () => {
    const { socket, events } = await liveClient(rt, URL_);
    deliver(socket, frag(1, "a"));
    deliver(socket, frag(2, undefined, { endOfStream: true }));
    const { stream: _fragment, ...plain } = frag(0, "plain"); // an ordinary group message
    deliver(socket, plain as ReturnType<typeof frag>);
    expect(events.filter(([n]) => n === "group-message").map(([, e]) => e.message.data)).toEqual(["plain"]);
  });

  it("a lost session ends its inbound streams with SessionLost", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const { streams } = collect(client);
    await settle(); // the streams chunk loads
    deliver(socket, frag(1, "a"));
    socket.drop(1008);
    expect(await streams[0]!.done).toMatchObject({ name: "SessionLost" });
    await client.stop();
  });

  it("fragments that arrive while the streams chunk loads go to the stream in order, not to group-message", async () => {
    const { client, socket, events } = await liveClient(rt, URL_);
    const { streams, sub } = collect(client);
    expect(sub.isActive).toBe(true); // at once, before the chunk is loaded
    deliver(socket, frag(1, "a"));
    deliver(socket, frag(2, "b"));
    deliver(socket, frag(1, "x", {}, "t"));
    expect(streams).toHaveLength(0); // not loaded yet
    await settle();
    expect(events.filter(([n]) => n === "group-message")).toEqual([]);
    expect(streams.map((s) => [s.stream.streamId, s.got.map((m) => m.data)])).toEqual([["s", ["a", "b"]], ["t", ["x"]]]);
    expect(sub.isActive).toBe(true);
    await sub.close();
    expect(sub.isActive).toBe(false);
    expect(await streams[0]!.done).toBe("ended");
  });

  it("beyond GROUP_STREAM_MAX_EARLY kept fragments, the stream fails rather than deliver a gap", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    let stream!: GroupStream;
    client.onGroupStream((s) => void (stream = s));
    for (let i = 1; i <= GROUP_STREAM_MAX_EARLY + 1; i++) deliver(socket, frag(i, i));
    await settle();
    deliver(socket, frag(GROUP_STREAM_MAX_EARLY + 2, "next"));
    let n = 0;
    const error = await (async () => {
      for await (const _ of stream) n++;
    })().catch((e: unknown) => e);
    expect(n).toBe(Math.min(GROUP_STREAM_MAX_EARLY, GROUP_STREAM_MAX_UNREAD));
    expect(error).toMatchObject({ name: "InvalidSequenceId" });
  });

  it("a subscription closed or disposed before the chunk loads gets nothing; a session lost meanwhile ends the streams", async () => {
    const { client, socket, events } = await liveClient(rt, URL_);
    const closed = collect(client);
    const disposed = collect(client);
    const live = collect(client);
    await closed.sub.close();
    await disposed.sub[Symbol.asyncDispose]();
    expect([closed.sub.isActive, disposed.sub.isActive, live.sub.isActive]).toEqual([false, false, true]);
    deliver(socket, frag(1, "a"));
    socket.drop(1008);
    await settle();
    expect([closed.streams, disposed.streams]).toEqual([[], []]);
    expect([closed.sub.isActive, disposed.sub.isActive, live.sub.isActive]).toEqual([false, false, true]);
    expect(live.streams[0]!.got.map((m) => m.data)).toEqual(["a"]);
    expect(await live.streams[0]!.done).toMatchObject({ name: "SessionLost" });
    expect(events.filter(([n]) => n === "group-message")).toEqual([]);
    expect(() => client.onGroupStream("no" as never)).toThrow(TypeError);
    expect(() => client.onGroupStream(() => {}, { idleTimeoutInMs: -1 })).toThrow(RangeError);
    await client.stop();
  });
});

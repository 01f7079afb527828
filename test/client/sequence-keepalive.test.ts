import { beforeEach, describe, expect, it, vi } from "vitest";
import { WebPubSubClient, WebPubSubJsonProtocol, type WebPubSubClientOptions } from "../../src/index.js";
import { connect, fakeRuntime, settle, type FakeRuntime, type FakeSocket, liveClient, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=abc";

let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

const live = (options: WebPubSubClientOptions = {}) => liveClient(rt, URL_, options);

const msg = (sequenceId: number, data = String(sequenceId)) => ({
  sequenceId,
  type: "message",
  from: "group",
  group: "g",
  dataType: "text",
  data,
});
const acks = (s: FakeSocket): number[] => s.framesOfType("sequenceAck").map((f) => f.sequenceId);

describe("sequence tracking (reliable)", () => {
  it("drops duplicates and ids not above the largest seen", async () => {
    const { client, events, socket } = await live();
    for (const id of [1, 2, 2, 1, 3, 5, 4, 5, 6]) socket.receive(msg(id));
    expect(events.map(([, e]) => e.message.sequenceId)).toEqual([1, 2, 3, 5, 6]);
    await client.stop();
  });

  it("sends sequenceAck about once a second when the largest id changed, never when unchanged", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 0 });
    socket.receive(msg(1));
    socket.receive(msg(2));
    await vi.advanceTimersByTimeAsync(999);
    expect(acks(socket)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(acks(socket)).toEqual([2]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(acks(socket)).toEqual([2]); // unchanged: nothing more
    socket.receive(msg(2)); // a duplicate changes nothing
    await vi.advanceTimersByTimeAsync(2000);
    expect(acks(socket)).toEqual([2]);
    socket.receive(msg(3));
    await vi.advanceTimersByTimeAsync(1000);
    expect(acks(socket)).toEqual([2, 3]);
    await client.stop();
  });

  it("acks at once when 300 above the last acked id, counted across frames", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 0 });
    for (let id = 1; id <= 299; id++) socket.receive(msg(id));
    expect(acks(socket)).toEqual([]);
    socket.receive(msg(300));
    expect(acks(socket)).toEqual([300]);
    for (let id = 301; id <= 599; id++) socket.receive(msg(id));
    expect(acks(socket)).toEqual([300]);
    socket.receive(msg(600));
    expect(acks(socket)).toEqual([300, 600]);
    socket.receive(msg(601));
    await vi.advanceTimersByTimeAsync(1000);
    expect(acks(socket)).toEqual([300, 600, 601]);
    socket.receive(msg(1000)); // one big jump
    expect(acks(socket)).toEqual([300, 600, 601, 1000]);
    await client.stop();
  });

  it("a stream of 3000 messages in one tick is acked every 300 ids", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 0 });
    for (let id = 1; id <= 3000; id++) socket.receive(msg(id));
    expect(acks(socket)).toEqual([300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000]);
    await client.stop();
  });

  it("after recovery: acks the largest id at once, and drops the service's resent duplicates", async () => {
    const { client, events, socket } = await live({ keepAliveIntervalInMs: 0 });
    socket.receive(msg(1));
    socket.receive(msg(2));
    socket.drop(1006);
    await settle();
    const rec = rt.last();
    rec.recover();
    await settle();
    expect(acks(rec)).toEqual([2]);
    rec.receive(msg(1));
    rec.receive(msg(2));
    rec.receive(msg(3));
    expect(events.filter(([n]) => n === "group-message").map(([, e]) => e.message.sequenceId)).toEqual([1, 2, 3]);
    await client.stop();
  });

  it("resets on a brand-new connection", async () => {
    const { client, events, socket } = await live({ keepAliveIntervalInMs: 0 });
    for (let id = 1; id <= 50; id++) socket.receive(msg(id));
    socket.drop(1008);
    await vi.advanceTimersByTimeAsync(1000);
    const fresh = rt.last();
    fresh.accept("c2", "t2");
    await settle();
    fresh.receive(msg(1, "new-1"));
    fresh.receive(msg(2, "new-2"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(acks(fresh)).toEqual([2]);
    const data = events.filter(([n]) => n === "group-message").map(([, e]) => e.message.data);
    expect(data.slice(-2)).toEqual(["new-1", "new-2"]);
    await client.stop();
  });

  it("messages that arrive with the connected frame, before the client is connected, are still acked", async () => {
    const client = new WebPubSubClient(URL_, { keepAliveIntervalInMs: 0 }, rt);
    const started = client.start();
    await settle();
    const socket = rt.last();
    socket.accept("c1", "t1");
    for (let id = 1; id <= 300; id++) socket.receive(msg(id)); // the jump hits before connected
    await started;
    await vi.advanceTimersByTimeAsync(1000);
    expect(acks(socket)).toEqual([300]);
    await client.stop();
  });

  it("the json protocol neither drops by sequenceId nor sends sequenceAck", async () => {
    const { client, events, socket } = await live({ protocol: WebPubSubJsonProtocol(), keepAliveIntervalInMs: 0 });
    for (let i = 0; i < 400; i++) socket.receive(msg(1));
    await vi.advanceTimersByTimeAsync(5000);
    expect(events.filter(([n]) => n === "group-message")).toHaveLength(400);
    expect(events[0][1].message.sequenceId).toBeUndefined();
    expect(socket.framesOfType("sequenceAck")).toEqual([]);
    await client.stop();
  });

  it("stops acking once stopped", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 0 });
    socket.receive(msg(1));
    await client.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(acks(socket)).toEqual([]);
  });
});

describe("keep-alive", () => {
  it("pings every keepAliveIntervalInMs (default 20 s)", async () => {
    const { client, socket } = await live();
    await vi.advanceTimersByTimeAsync(19_999);
    expect(socket.framesOfType("ping")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.framesOfType("ping")).toEqual([{ type: "ping" }]);
    socket.receive({ type: "pong" });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(socket.framesOfType("ping")).toHaveLength(2);
    await client.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(socket.framesOfType("ping")).toHaveLength(2);
  });

  it("a custom interval", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 3000 });
    await vi.advanceTimersByTimeAsync(9000);
    expect(socket.framesOfType("ping")).toHaveLength(3);
    await client.stop();
  });

  it("no traffic for keepAliveTimeoutInMs → the link is dead → recovery", async () => {
    rt.answerPings = false; // a silent service
    const { client, events, socket } = await live({ keepAliveIntervalInMs: 1000, keepAliveTimeoutInMs: 5000 });
    await vi.advanceTimersByTimeAsync(4999);
    expect(client.state).toBe("connected");
    await vi.advanceTimersByTimeAsync(1);
    expect(client.state).toBe("recovering");
    expect(socket.aborted).toBe(true);
    await settle();
    expect(events[0]).toEqual(["recovering", { connectionId: "c1", attempt: 1 }]);
    expect(rt.last().url).toContain("awps_connection_id=c1");
    await client.stop();
  });

  it("regression: a ping with no answer within 5 s means the link is dead, though the socket is open (was: 120 s of silence)", async () => {
    rt.answerPings = false; // a blackholed link: the socket stays open, nothing passes
    const { client, socket } = await live();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(socket.framesOfType("ping")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(client.state).toBe("connected");
    await vi.advanceTimersByTimeAsync(1);
    expect(client.state).toBe("recovering");
    expect(socket.aborted).toBe(true);
    await client.stop();
  });

  it("an answered ping keeps the link up; the answer may be any frame", async () => {
    rt.answerPings = false;
    const { client, socket } = await live();
    await vi.advanceTimersByTimeAsync(20_000); // the first ping
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(4_000);
      socket.receive(i % 2 ? { type: "pong" } : { type: "message", from: "server", dataType: "text", data: "x", sequenceId: i + 1 });
      await vi.advanceTimersByTimeAsync(16_000);
    }
    expect(socket.framesOfType("ping")).toHaveLength(11);
    expect(client.state).toBe("connected");
    expect(rt.sockets).toHaveLength(1);
    await client.stop();
  });

  it("regression: an operation waiting 3 s for its ack sends a probe at once; no answer within 5 s → recovery, then the operation completes", async () => {
    rt.answerPings = false;
    const { client, socket } = await live();
    const sent = client.sendEvent("e", "x", "text");
    await vi.advanceTimersByTimeAsync(2_999);
    expect(socket.framesOfType("ping")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.framesOfType("ping")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(client.state).toBe("recovering"); // 8 s after the send, not 120 s
    await settle();
    const rec = rt.last();
    rec.recover();
    await settle();
    expect(rec.framesOfType("event").map((f) => f.ackId)).toEqual([1]);
    rec.ack(1);
    await expect(sent).resolves.toEqual({ ackId: 1, isDuplicated: false });
    await client.stop();
  });

  it("an operation whose ack takes long on a link that answers pings is left alone", async () => {
    const { client, socket } = await live();
    const sent = client.sendEvent("e", "x", "text");
    await vi.advanceTimersByTimeAsync(25_000);
    expect(client.state).toBe("connected");
    expect(rt.sockets).toHaveLength(1);
    socket.ack(1);
    await sent;
    await client.stop();
  });

  it("regression: intervals run on the monotonic clock: a wall clock set back an hour does not keep a dead link alive", async () => {
    rt.answerPings = false;
    const { client } = await live();
    vi.setSystemTime(Date.now() - 3_600_000);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(client.state).toBe("recovering");
    await client.stop();
  });

  it("traffic keeps the link alive", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 1000, keepAliveTimeoutInMs: 5000 });
    for (let i = 0; i < 30; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      socket.receive({ type: "pong" });
    }
    expect(client.state).toBe("connected");
    await client.stop();
  });

  it("a 10-minute clock jump (machine sleep) triggers recovery at the next tick, even after recent traffic", async () => {
    const { client, socket } = await live();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(socket.framesOfType("ping")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    socket.receive({ type: "pong" }); // traffic just before the machine sleeps
    vi.setSystemTime(Date.now() + 10 * 60_000);
    expect(client.state).toBe("connected");
    await vi.advanceTimersByTimeAsync(19_900); // the pending tick fires
    expect(client.state).toBe("recovering");
    await client.stop();
  });

  it("a clock jump with no recent traffic also triggers recovery at once", async () => {
    const { client } = await live();
    vi.setSystemTime(Date.now() + 10 * 60_000);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(client.state).toBe("recovering");
    await client.stop();
  });

  it("keepAliveIntervalInMs: 0 disables pings; the timeout still applies", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 0, keepAliveTimeoutInMs: 30_000 });
    await vi.advanceTimersByTimeAsync(29_000);
    expect(socket.framesOfType("ping")).toEqual([]);
    expect(client.state).toBe("connected");
    await vi.advanceTimersByTimeAsync(20_000);
    expect(client.state).toBe("recovering");
    await client.stop();
  });

  it("keepAliveTimeoutInMs: 0 never declares the link dead; both 0 disable keep-alive", async () => {
    const { client, socket } = await live({ keepAliveTimeoutInMs: 0 });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(client.state).toBe("connected");
    expect(socket.framesOfType("ping")).toHaveLength(30);
    await client.stop();
    rt = fakeRuntime();
    const b = await live({ keepAliveTimeoutInMs: 0, keepAliveIntervalInMs: 0 });
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(b.client.state).toBe("connected");
    expect(b.socket.sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    await b.client.stop();
  });

  it("negative values → RangeError", () => {
    expect(() => new WebPubSubClient(URL_, { keepAliveIntervalInMs: -1 }, rt)).toThrow(RangeError);
    expect(() => new WebPubSubClient(URL_, { keepAliveTimeoutInMs: -1 }, rt)).toThrow(RangeError);
  });

  it("keep-alive resumes on the recovered link", async () => {
    const { client, socket } = await live({ keepAliveIntervalInMs: 1000, keepAliveTimeoutInMs: 5000 });
    rt.answerPings = false;
    socket.drop(1006);
    await settle();
    const rec = rt.last();
    rec.recover();
    await settle();
    await vi.advanceTimersByTimeAsync(3000);
    expect(rec.framesOfType("ping")).toHaveLength(1 + 3); // the one at open, then one a second
    await vi.advanceTimersByTimeAsync(2000);
    expect(client.state).toBe("recovering"); // the recovered link went silent too
    await client.stop();
  });
});

describe("network online/offline", () => {
  it("offline pauses recovery attempts; online triggers one at once", async () => {
    const { client, events, socket } = await live();
    socket.drop(1006);
    await settle();
    rt.last().drop(1006); // attempt 1 failed; attempt 2 due in 1 s
    await vi.advanceTimersByTimeAsync(100);
    rt.network.set(false);
    const n = rt.sockets.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(rt.sockets.length).toBe(n); // paused
    expect(client.state).toBe("recovering");
    rt.network.set(true);
    await settle();
    expect(rt.sockets.length).toBe(n + 1); // at once, past the window: one more try
    rt.last().recover();
    await settle();
    expect(client.state).toBe("connected");
    expect(events.filter(([n]) => n === "recovering").map(([, e]) => e.attempt)).toEqual([1, 2]);
    await client.stop();
  });

  it("online during the retry delay tries at once instead of waiting", async () => {
    const { client, socket } = await live();
    socket.drop(1006);
    await settle();
    rt.last().drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    rt.network.set(false);
    await vi.advanceTimersByTimeAsync(100);
    const n = rt.sockets.length;
    rt.network.set(true);
    await settle();
    expect(rt.sockets.length).toBe(n + 1);
    await client.stop();
  });

  it("offline pauses reconnect attempts too; online resumes at once", async () => {
    const { client, socket } = await live({ protocol: WebPubSubJsonProtocol() });
    rt.network.set(false);
    socket.drop(1006);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(rt.sockets).toHaveLength(1);
    rt.network.set(true);
    await settle();
    expect(rt.sockets).toHaveLength(2);
    await client.stop();
  });

  it("online while connected runs the keep-alive check at once (a silent link found dead)", async () => {
    const { client } = await live({ keepAliveIntervalInMs: 20_000, keepAliveTimeoutInMs: 30_000 });
    await vi.advanceTimersByTimeAsync(20_000);
    vi.setSystemTime(Date.now() + 60_000);
    rt.network.set(false);
    rt.network.set(true);
    expect(client.state).toBe("recovering");
    await client.stop();
  });

  it("unsubscribes from the network when stopped", async () => {
    const { client } = await live();
    expect(rt.network.subscribers).toBe(1);
    await client.stop();
    expect(rt.network.subscribers).toBe(0);
    await connect(client, rt);
    expect(rt.network.subscribers).toBe(1);
    await client.stop();
  });
});

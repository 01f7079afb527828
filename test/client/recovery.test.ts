import { beforeEach, describe, expect, it, vi } from "vitest";
import { RECONNECT_RETRY_DEFAULTS, RetryPolicy } from "../../src/core/retry-policy.js";
import { SendMessageError, WebPubSubClient, WebPubSubJsonProtocol, type WebPubSubClientOptions } from "../../src/index.js";
import { connect, fakeRuntime, recordEvents, settle, type FakeRuntime, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const URL_ = "wss://h.example/client/hubs/hub?access_token=abc&extra=1";

let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

function credential(urls: string[] = [URL_]) {
  let i = 0;
  return vi.fn(async () => urls[Math.min(i++, urls.length - 1)]);
}

async function live(options: WebPubSubClientOptions = {}, getUrl = credential()) {
  const client = new WebPubSubClient({ getClientAccessUrl: getUrl }, options, rt);
  const events = recordEvents(client);
  const socket = await connect(client, rt, "c1", "t1", "u1");
  await vi.advanceTimersByTimeAsync(1000); // a healthy connection (one that dies sooner counts as a failed attempt)
  events.length = 0;
  return { client, events, socket, getUrl };
}

const names = (events: Array<[string, unknown]>): string[] => events.map(([n]) => n);

describe("recovery (reliable protocol)", () => {
  it("drop → recovering → recovery URL keeps the query and adds the id and token → recovered, same connection", async () => {
    const { client, events, socket, getUrl } = await live();
    socket.drop(1006, "");
    expect(client.state).toBe("recovering");
    await settle();
    const rec = rt.last();
    expect(rec).not.toBe(socket);
    const u = new URL(rec.url);
    expect(u.origin + u.pathname).toBe("wss://h.example/client/hubs/hub");
    expect(u.searchParams.get("access_token")).toBe("abc");
    expect(u.searchParams.get("extra")).toBe("1");
    expect(u.searchParams.get("awps_connection_id")).toBe("c1");
    expect(u.searchParams.get("awps_reconnection_token")).toBe("t1");
    expect(rec.subprotocol).toBe("json.reliable.webpubsub.azure.v1");
    rec.recover();
    await settle();
    expect(client.state).toBe("connected");
    expect(client.connectionId).toBe("c1");
    expect(events).toEqual([
      ["recovering", { connectionId: "c1", attempt: 1 }],
      ["recovered", { connectionId: "c1" }],
    ]);
    expect(getUrl).toHaveBeenCalledTimes(1); // never asked for a recovery
    await client.stop();
  });

  it("escapes the connection id and token in the recovery URL", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt, "c/1+2", "t&k=v");
    socket.drop(1006);
    await settle();
    const u = new URL(rt.last().url);
    expect(u.searchParams.get("awps_connection_id")).toBe("c/1+2");
    expect(u.searchParams.get("awps_reconnection_token")).toBe("t&k=v");
    await client.stop();
  });

  it("the first attempt goes at once; failing ones back off with full jitter from 250 ms up to 1 s", async () => {
    const { client, events, socket } = await live(); // random() is 0.5: each delay is half its ceiling
    socket.drop(1006);
    await settle();
    expect(rt.sockets).toHaveLength(2);
    for (const [delay, code] of [[125, 1006], [250, 1011], [500, 1006]]) {
      rt.last().drop(code);
      await vi.advanceTimersByTimeAsync(delay - 1);
      const n = rt.sockets.length;
      await vi.advanceTimersByTimeAsync(1);
      expect(rt.sockets).toHaveLength(n + 1);
    }
    rt.last().recover();
    await settle();
    expect(events).toEqual([
      ["recovering", { connectionId: "c1", attempt: 1 }],
      ["recovering", { connectionId: "c1", attempt: 2 }],
      ["recovering", { connectionId: "c1", attempt: 3 }],
      ["recovering", { connectionId: "c1", attempt: 4 }],
      ["recovered", { connectionId: "c1" }],
    ]);
    expect(client.state).toBe("connected");
    await client.stop();
  });

  it("in-flight operations are resent with the same ackIds after recovery, then queued ones in order, once each", async () => {
    const { client, socket } = await live();
    const a = client.sendToGroup("g", "a", "text");
    const b = client.sendEvent("e", "b", "text");
    socket.ack(1); // a done; b (ackId 2) in flight
    await a;
    socket.drop(1006);
    const c = client.sendToGroup("g", "c", "text");
    const d = client.joinGroup("g2");
    await settle();
    const rec = rt.last();
    expect(rec.sent).toEqual([]);
    rec.recover();
    await settle();
    expect(rec.frames().filter((f) => f.type !== "sequenceAck" && f.type !== "ping")).toEqual([
      { type: "event", event: "e", ackId: 2, dataType: "text", data: "b" },
      { type: "sendToGroup", group: "g", ackId: 3, noEcho: false, dataType: "text", data: "c" },
      { type: "joinGroup", group: "g2", ackId: 4 },
    ]);
    rec.ack(2, { name: "Duplicate", message: "" });
    rec.ack(3);
    rec.ack(4);
    expect(await Promise.all([b, c, d])).toEqual([
      { ackId: 2, isDuplicated: false },
      { ackId: 3, isDuplicated: false },
      { ackId: 4, isDuplicated: false },
    ]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(rec.frames().filter((f) => f.type !== "ping" && f.type !== "sequenceAck")).toHaveLength(3);
    await client.stop();
  });

  it("a fresh connected frame on the recovered socket updates the reconnection token", async () => {
    const { client, socket } = await live();
    socket.drop(1006);
    await settle();
    rt.last().accept("c1", "t2");
    await settle();
    expect(client.state).toBe("connected");
    rt.last().drop(1006);
    await settle(); // a confirmed link is recovered at once
    expect(new URL(rt.last().url).searchParams.get("awps_reconnection_token")).toBe("t2");
    await client.stop();
  });

  it("a recovery socket that is not confirmed within 5 s is abandoned and the next attempt made", async () => {
    rt.answerPings = false;
    const { client, socket } = await live();
    socket.drop(1006);
    await settle();
    const first = rt.last();
    first.open(); // open, but the service never answers
    await vi.advanceTimersByTimeAsync(4_999);
    expect(first.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(first.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(125); // backoff after a failed attempt
    expect(rt.last()).not.toBe(first);
    expect(rt.last().url).toContain("awps_connection_id=");
    await vi.advanceTimersByTimeAsync(30_000);
    // the 30 s window is over after that attempt: a brand-new connection follows
    expect(client.state).toBe("reconnecting");
    await client.stop();
  });

  it("1008 during recovery → brand-new connection: credential asked again, groups rejoined before queued ops, connected after rejoin, disconnected once", async () => {
    const getUrl = credential([URL_, URL_ + "&second"]);
    const { client, events, socket } = await live({}, getUrl);
    const j1 = client.joinGroup("g1");
    const j2 = client.joinGroup("g2");
    socket.ack(1);
    socket.ack(2);
    await Promise.all([j1, j2]);
    const inflight = client.sendEvent("e", "lost?", "text").catch((e) => e); // ackId 3, never acked
    socket.drop(1006);
    const queued = client.sendToGroup("g1", "later", "text");
    const queuedJoin = client.joinGroup("g3");
    await settle();
    rt.last().drop(1008, "SessionNotFound");
    await settle();
    expect(client.state).toBe("reconnecting");
    expect(client.connectionId).toBeUndefined();
    const lost = await inflight;
    expect(lost).toBeInstanceOf(SendMessageError);
    expect(lost.ackId).toBe(3);
    expect(getUrl).toHaveBeenCalledTimes(2); // the first reconnect goes at once (Fixed mode)
    const fresh = rt.last();
    expect(fresh.url).toBe(URL_ + "&second");
    expect(fresh.url).not.toContain("awps_");
    fresh.accept("c2", "t9", "u1");
    await settle();
    expect(client.state).toBe("connected");
    expect(client.connectionId).toBe("c2");
    const frames = fresh.frames();
    expect(frames.map((f) => [f.type, f.group ?? f.event])).toEqual([
      ["joinGroup", "g1"],
      ["joinGroup", "g2"],
      ["sendToGroup", "g1"],
      ["joinGroup", "g3"],
    ]);
    expect(new Set(frames.map((f) => f.ackId)).size).toBe(4);
    expect(names(events)).toEqual(["recovering", "disconnected"]);
    expect(events[1][1]).toEqual({ connectionId: "c1", message: undefined, code: 1008, reason: "SessionNotFound" });
    // connected comes only once the rejoins are acked
    fresh.ack(frames[0].ackId);
    await settle();
    expect(names(events)).not.toContain("connected");
    fresh.ack(frames[1].ackId);
    await settle();
    expect(events.filter(([n]) => n === "connected")).toEqual([["connected", { connectionId: "c2", userId: "u1" }]]);
    fresh.ack(frames[2].ackId);
    fresh.ack(frames[3].ackId);
    await expect(queued).resolves.toMatchObject({ isDuplicated: false });
    await expect(queuedJoin).resolves.toMatchObject({ isDuplicated: false });
    await client.stop();
    expect(events.filter(([n]) => n === "disconnected")).toHaveLength(2); // once for c1, once for c2 at stop
  });

  it("1008 after the recovery socket opened also ends recovery with a brand-new connection", async () => {
    const { client, socket, getUrl } = await live();
    socket.drop(1006);
    await settle();
    rt.last().recover();
    rt.last().drop(1008, "gone");
    await settle();
    expect(client.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1000);
    expect(getUrl).toHaveBeenCalledTimes(2);
    await client.stop();
  });

  it("rejoin-group-failed when the service refuses a rejoin; the group is forgotten", async () => {
    const { client, events, socket } = await live();
    const j = client.joinGroup("g1");
    socket.ack(1);
    await j;
    socket.drop(1008);
    await vi.advanceTimersByTimeAsync(1000);
    const s2 = rt.last();
    s2.accept("c2", "t2");
    await settle();
    const rejoin = s2.framesOfType("joinGroup");
    expect(rejoin).toEqual([{ type: "joinGroup", group: "g1", ackId: expect.any(Number) }]);
    s2.ack(rejoin[0].ackId, { name: "Forbidden", message: "no" });
    await settle();
    const failed = events.filter(([n]) => n === "rejoin-group-failed");
    expect(failed).toHaveLength(1);
    expect(failed[0][1].group).toBe("g1");
    expect(failed[0][1].error).toBeInstanceOf(SendMessageError);
    expect(failed[0][1].error.errorDetail).toEqual({ name: "Forbidden", message: "no" });
    expect(events.filter(([n]) => n === "connected")).toEqual([["connected", { connectionId: "c2", userId: undefined }]]);
    // next brand-new connection does not try g1 again
    s2.drop(1008);
    await vi.advanceTimersByTimeAsync(1000);
    rt.last().accept("c3", "t3");
    await settle();
    expect(rt.last().framesOfType("joinGroup")).toEqual([]);
    await client.stop();
  });

  it("groups are not rejoined after a recovery, nor with autoRejoinGroups: false; a left group is not rejoined", async () => {
    const { client, socket } = await live();
    for (const [i, g] of ["a", "b"].entries()) {
      const p = client.joinGroup(g);
      socket.ack(i + 1);
      await p;
    }
    const l = client.leaveGroup("a");
    socket.ack(3);
    await l;
    socket.drop(1006);
    await settle();
    rt.last().recover();
    await settle();
    expect(rt.last().framesOfType("joinGroup")).toEqual([]);
    rt.last().drop(1008);
    await vi.advanceTimersByTimeAsync(1000);
    rt.last().accept("c2", "t2");
    await settle();
    expect(rt.last().framesOfType("joinGroup").map((f) => f.group)).toEqual(["b"]);
    await client.stop();

    const rt2 = fakeRuntime();
    const c2 = new WebPubSubClient(URL_, { autoRejoinGroups: false }, rt2);
    const s = await connect(c2, rt2);
    const p = c2.joinGroup("x");
    s.ack(1);
    await p;
    s.drop(1008);
    await vi.advanceTimersByTimeAsync(1000);
    rt2.last().accept("c9", "t");
    await settle();
    expect(rt2.last().framesOfType("joinGroup")).toEqual([]);
    await c2.stop();
  });

  it("gives up recovery when nothing was confirmed for 30 s after the drop, and starts a brand-new connection", async () => {
    const { client, events, socket, getUrl } = await live();
    const t0 = Date.now();
    socket.drop(1006);
    await settle();
    const attemptAt: number[] = [];
    let handled = 1;
    while (client.state === "recovering") {
      if (rt.sockets.length > handled) {
        handled = rt.sockets.length;
        attemptAt.push(Date.now() - t0);
        rt.last().drop(1006); // the socket never opens
      }
      await vi.advanceTimersByTimeAsync(25);
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30_000);
    expect(Date.now() - t0).toBeLessThanOrEqual(30_050);
    // a few attempts a second at most, never more than 1 s apart
    for (let i = 1; i < attemptAt.length; i++) expect(attemptAt[i] - attemptAt[i - 1]).toBeLessThanOrEqual(1025);
    expect(attemptAt.length).toBeLessThanOrEqual(3 * 30);
    expect(events.filter(([n]) => n === "recovering")).toHaveLength(attemptAt.length);
    expect(client.state).toBe("reconnecting");
    expect(names(events).slice(-1)).toEqual(["disconnected"]);
    await settle();
    expect(getUrl).toHaveBeenCalledTimes(2);
    expect(rt.last().url).not.toContain("awps_");
    await client.stop();
  });

  it("recovery sockets that open and are closed before the service confirmed the session back off, and the window still ends", async () => {
    rt.answerPings = false;
    const { client, events, getUrl, socket } = await live();
    const t0 = Date.now();
    socket.drop(1006);
    await settle();
    let handled = 1;
    while (client.state === "recovering" && Date.now() - t0 < 120_000) {
      if (rt.sockets.length > handled) {
        handled = rt.sockets.length;
        rt.last().open();
        await settle();
        rt.last().drop(1006);
      }
      await vi.advanceTimersByTimeAsync(25);
    }
    expect(client.state).toBe("reconnecting");
    expect(Date.now() - t0).toBeLessThanOrEqual(30_050);
    expect(rt.sockets.length - 2).toBeLessThanOrEqual(3 * 30);
    expect(names(events)).not.toContain("recovered");
    expect(events.filter(([n]) => n === "disconnected")).toHaveLength(1);
    await settle();
    expect(getUrl).toHaveBeenCalledTimes(2);
    await client.stop();
  });

  it("regression: a session whose recoveries keep succeeding is never abandoned, though every link is cut within 500 ms (was: given up 30 s after the first drop)", async () => {
    const { client, events, getUrl, socket } = await live();
    const t0 = Date.now();
    socket.drop(1006);
    let handled = 1;
    while (Date.now() - t0 < 120_000) {
      await settle();
      if (rt.sockets.length > handled) {
        handled = rt.sockets.length;
        const s = rt.last();
        s.open();
        await settle(); // the pong to the ping sent at open confirms the session
        expect(client.state).toBe("connected");
        await vi.advanceTimersByTimeAsync(100 + (handled % 5) * 100);
        s.drop(1006);
        expect(client.state).toBe("recovering");
        await settle();
        expect(rt.sockets.length).toBe(handled + 1); // recovered at once, no pacing
      }
    }
    expect(handled).toBeGreaterThan(200);
    expect(getUrl).toHaveBeenCalledTimes(1);
    expect(names(events)).not.toContain("disconnected");
    expect(events.filter(([n]) => n === "recovered")).toHaveLength(handled - 1);
    await client.stop();
  });

  it("regression: a recovery socket that opens and is refused with 1008 emits no recovered", async () => {
    rt.answerPings = false;
    const { client, events, socket } = await live();
    socket.drop(1006);
    await settle();
    const rec = rt.last();
    rec.open();
    await settle();
    expect(client.state).toBe("recovering");
    rec.receive({ type: "system", event: "disconnected", message: "The connection could not be recovered." });
    rec.drop(1008, "gone");
    await settle();
    expect(names(events)).toEqual(["recovering", "disconnected"]);
    expect(client.state).toBe("reconnecting");
    await client.stop();
  });

  it("attempt numbers grow while attempts fail and start at 1 after a confirmed recovery", async () => {
    const { client, events, socket } = await live();
    socket.drop(1006);
    await settle();
    rt.last().drop(1006);
    await vi.advanceTimersByTimeAsync(125);
    rt.last().recover();
    await settle();
    rt.last().drop(1006);
    await settle();
    expect(events.filter(([n]) => n === "recovering").map(([, e]) => e.attempt)).toEqual([1, 2, 1]);
    await client.stop();
  });

  it("after a recovery that received traffic, a later drop starts a fresh 30 s window at once", async () => {
    const { client, socket } = await live();
    socket.drop(1006);
    await settle();
    rt.last().recover();
    rt.last().receive({ type: "pong" });
    await vi.advanceTimersByTimeAsync(10_000);
    const n = rt.sockets.length;
    rt.last().drop(1006);
    await settle();
    expect(rt.sockets.length).toBe(n + 1); // no pacing wait: the last attempt was long ago
    await client.stop();
  });
});

describe("non-recovering paths", () => {
  it("the json (non-reliable) protocol never recovers: disconnected, then a new connection", async () => {
    const { client, events, socket, getUrl } = await live({ protocol: WebPubSubJsonProtocol() });
    expect(socket.subprotocol).toBe("json.webpubsub.azure.v1");
    socket.drop(1006, "net");
    await settle();
    expect(client.state).toBe("reconnecting");
    expect(events).toEqual([["disconnected", { connectionId: "c1", message: undefined, code: 1006, reason: "net" }]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(getUrl).toHaveBeenCalledTimes(2);
    expect(rt.last().url).not.toContain("awps_");
    rt.last().accept("c2");
    await settle();
    expect(client.connectionId).toBe("c2");
    expect(names(events)).toEqual(["disconnected", "connected"]);
    await client.stop();
  });

  it("a reliable connection without a reconnection token cannot recover", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const started = client.start();
    await settle();
    const socket = rt.last();
    socket.open();
    socket.receive({ type: "system", event: "connected", connectionId: "c1" });
    await started;
    socket.drop(1006);
    await settle();
    expect(client.state).toBe("reconnecting");
    await client.stop();
  });

  it("autoReconnect: false → stopped after the session is lost", async () => {
    const { client, events, socket } = await live({ autoReconnect: false });
    socket.drop(1008, "bye");
    await settle();
    expect(client.state).toBe("stopped");
    expect(events).toEqual([
      ["disconnected", { connectionId: "c1", message: undefined, code: 1008, reason: "bye" }],
      ["stopped", {}],
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(rt.sockets).toHaveLength(1);
  });

  it("autoReconnect: false still recovers a reliable connection first", async () => {
    const { client, socket } = await live({ autoReconnect: false });
    socket.drop(1006);
    await settle();
    expect(client.state).toBe("recovering");
    rt.last().recover();
    await settle();
    expect(client.state).toBe("connected");
    await client.stop();
  });

  it("regression: reconnect maxRetries N makes one attempt plus N retries, then stops, disconnected once", async () => {
    const { client, events, socket, getUrl } = await live({ reconnectRetryOptions: { maxRetries: 3, retryDelayInMs: 500 } });
    const queued = client.sendEvent("e", "x", "text").catch((e) => e); // in flight, lost with the session
    socket.drop(1008);
    await settle(); // the first attempt goes at once
    for (let i = 0; i < 4; i++) {
      expect(getUrl).toHaveBeenCalledTimes(2 + i);
      rt.last().drop(1011);
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(getUrl).toHaveBeenCalledTimes(1 + 4);
    expect(client.state).toBe("stopped");
    expect(names(events)).toEqual(["disconnected", "stopped"]);
    expect(await queued).toBeInstanceOf(SendMessageError);
  });

  it("regression: reconnect maxRetries 0 still makes one attempt", async () => {
    const { client, socket, getUrl } = await live({ reconnectRetryOptions: { maxRetries: 0 } });
    socket.drop(1008);
    await settle();
    expect(getUrl).toHaveBeenCalledTimes(2);
    rt.last().accept("c2");
    await settle();
    expect(client.state).toBe("connected");
    await client.stop();
  });

  it("regression: a service that accepts and closes 1008 at once sees a few connections a second at most (was: thousands)", async () => {
    const { client, socket, getUrl } = await live();
    const t0 = Date.now();
    socket.drop(1008);
    let handled = 1;
    while (Date.now() - t0 < 10_000) {
      await settle();
      if (rt.sockets.length > handled) {
        handled = rt.sockets.length;
        rt.last().accept(`c${handled}`);
        await settle(); // connected, then closed at once
        rt.last().drop(1008, "go away");
      }
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(handled - 1).toBeGreaterThanOrEqual(5);
    expect(handled - 1).toBeLessThanOrEqual(30);
    expect(getUrl.mock.calls.length).toBeLessThanOrEqual(handled + 1); // the credential is asked once per connection
    await client.stop();
  });

  it("a reconnect whose credential throws is retried", async () => {
    let n = 0;
    const getUrl = vi.fn(async () => {
      n++;
      if (n === 2) throw new Error("token service down");
      return URL_;
    });
    const { client, socket } = await live({}, getUrl);
    socket.drop(1008);
    await settle(); // the first try goes at once and fails in the credential
    expect(getUrl).toHaveBeenCalledTimes(2);
    expect(rt.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(getUrl).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(getUrl).toHaveBeenCalledTimes(3);
    rt.last().accept("c2");
    await settle();
    expect(client.state).toBe("connected");
    await client.stop();
  });
});

describe("backoff", () => {
  it("Fixed: the first reconnect goes at once, then the delay is exactly retryDelayInMs every time", async () => {
    const { client, socket } = await live({ reconnectRetryOptions: { retryDelayInMs: 2500, mode: "Fixed" } });
    const before = rt.sockets.length;
    socket.drop(1008);
    await settle();
    expect(rt.sockets.length).toBe(before + 1);
    rt.last().drop(1006);
    await settle();
    for (let i = 0; i < 4; i++) {
      const before = rt.sockets.length;
      await vi.advanceTimersByTimeAsync(2499);
      expect(rt.sockets.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(rt.sockets.length).toBe(before + 1);
      rt.last().drop(1006);
      await settle();
    }
    await client.stop();
  });

  it("Exponential: full jitter within [0, min(max, base*2^(n-1)))", () => {
    const seq = [0, 0.5, 0.999999, 0.25];
    for (const r of seq) {
      const p = new RetryPolicy({ mode: "Exponential", retryDelayInMs: 100, maxRetryDelayInMs: 1000 }, RECONNECT_RETRY_DEFAULTS, () => r, "x");
      for (let n = 1; n <= 40; n++) {
        const ceiling = Math.min(1000, 100 * 2 ** (n - 1));
        const d = p.delay(n);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
        expect(d).toBe(Math.floor(r * ceiling));
      }
    }
    const fixed = new RetryPolicy({ retryDelayInMs: 123 }, RECONNECT_RETRY_DEFAULTS, () => 0.5, "x");
    expect([1, 2, 10].map((n) => fixed.delay(n))).toEqual([123, 123, 123]);
    expect(new RetryPolicy(undefined, RECONNECT_RETRY_DEFAULTS, Math.random, "x").delay(5)).toBe(1000);
  });

  it("Exponential reconnect delays follow the injected random", async () => {
    const randoms = [0.5, 0.5, 0.5, 0.999];
    let i = 0;
    rt = fakeRuntime(() => randoms[i++ % randoms.length]);
    const { client, socket } = await live({
      reconnectRetryOptions: { mode: "Exponential", retryDelayInMs: 1000, maxRetryDelayInMs: 3000 },
    });
    socket.drop(1008);
    await settle();
    // Jittered even before the first try: 0.5*1000, then retries 1..3: 0.5*1000, 0.5*2000, 0.999*3000 (capped)
    const expected = [500, 500, 1000, 2997];
    for (const delay of expected) {
      const before = rt.sockets.length;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(rt.sockets.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(rt.sockets.length).toBe(before + 1);
      rt.last().drop(1006);
      await settle();
    }
    await client.stop();
  });
});

describe("operations wait for the connection", () => {
  it("issued while connecting: queued and sent in order once connected", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const started = client.start();
    const a = client.joinGroup("g");
    const b = client.sendToGroup("g", "1", "text");
    const c = client.sendEvent("e", "2", "text", { fireAndForget: true });
    await settle();
    const s = rt.last();
    s.open();
    expect(s.sent).toEqual([]);
    s.receive({ type: "system", event: "connected", connectionId: "c1", reconnectionToken: "t" });
    await started;
    await settle();
    expect(s.frames()).toEqual([
      { type: "joinGroup", group: "g", ackId: 1 },
      { type: "sendToGroup", group: "g", ackId: 2, noEcho: false, dataType: "text", data: "1" },
      { type: "event", event: "e", dataType: "text", data: "2" },
    ]);
    s.ack(1);
    s.ack(2);
    await Promise.all([a, b, c]);
    await client.stop();
  });

  it("issued while connecting: rejected when start fails", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const started = client.start().catch((e) => e);
    const a = client.sendEvent("e", "x", "text").catch((e) => e);
    await settle();
    rt.last().drop(1011);
    await started;
    const err = await a;
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(1);
    expect(client.state).toBe("stopped");
  });

  it("issued while reconnecting: sent once on the new connection, after the rejoins", async () => {
    const { client, socket } = await live();
    const j = client.joinGroup("g");
    socket.ack(1);
    await j;
    socket.drop(1008);
    await settle();
    expect(client.state).toBe("reconnecting");
    const ops = [client.sendEvent("e", "1", "text"), client.sendEvent("e", "2", "text"), client.sendToGroup("g", "3", "text")];
    await vi.advanceTimersByTimeAsync(1000);
    const s = rt.last();
    s.accept("c2", "t2");
    await settle();
    expect(s.frames().map((f) => f.data ?? f.type)).toEqual(["joinGroup", "1", "2", "3"]);
    for (const f of s.frames()) s.ack(f.ackId);
    await Promise.all(ops);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(s.frames().filter((f) => f.type !== "ping" && f.type !== "sequenceAck")).toHaveLength(4);
    await client.stop();
  });

  it("an abort signal bounds a queued operation; stop() rejects the rest", async () => {
    const { client, socket } = await live();
    socket.drop(1006);
    const ac = new AbortController();
    const a = client.sendEvent("e", "1", "text", { abortSignal: ac.signal }).catch((e) => e);
    const b = client.sendEvent("e", "2", "text").catch((e) => e);
    ac.abort();
    expect((await a).errorDetail?.name).toBe("AbortError");
    await client.stop();
    expect(await b).toBeInstanceOf(SendMessageError);
    expect((await b).ackId).toBe(2);
  });
});

// Regression tests for the bugs listed in issue 9 (each failed on the code before the fix).
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionError } from "../../src/errors/connection-error.js";
import { redactUrl } from "../../src/utils/redact.js";
import { SendMessageError, WebPubSubClient } from "../../src/index.js";
import { connect, fakeRuntime, liveClient, recordEvents, settle, type FakeRuntime, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=abc";
let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

const hung = () => {
  const signals: Array<{ aborted: boolean } | undefined> = [];
  const fn = vi.fn((o?: { abortSignal?: { aborted: boolean } }) => {
    signals.push(o?.abortSignal);
    return new Promise<string>(() => {});
  });
  return { fn, signals };
};

describe("credentials are bounded", () => {
  it("stop() settles a start() whose credential never answers, and aborts the credential's signal", async () => {
    const { fn, signals } = hung();
    const client = new WebPubSubClient({ getClientAccessUrl: fn }, {}, rt);
    const started = client.start().catch((e) => e);
    await settle();
    await client.stop();
    expect(await started).toBeInstanceOf(ConnectionError);
    expect(client.state).toBe("stopped");
    expect(signals[0]?.aborted).toBe(true);
  });

  it("a reconnect whose credential never answers gives up on it after the connect timeout (30 s) and tries again", async () => {
    let n = 0;
    const signals: Array<{ aborted: boolean } | undefined> = [];
    const getClientAccessUrl = vi.fn((o?: { abortSignal?: { aborted: boolean } }) => {
      signals.push(o?.abortSignal);
      return n++ === 1 ? new Promise<string>(() => {}) : Promise.resolve(URL_);
    });
    const client = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
    const socket = await connect(client, rt);
    await vi.advanceTimersByTimeAsync(1000);
    socket.drop(1008);
    await settle();
    expect(getClientAccessUrl).toHaveBeenCalledTimes(2);
    expect(signals[1]).toBeDefined();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(signals[1]!.aborted).toBe(true);
    expect(client.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1000);
    expect(getClientAccessUrl).toHaveBeenCalledTimes(3);
    rt.last().accept("c2");
    await settle();
    expect(client.state).toBe("connected");
    await client.stop();
  });
});

it("stop() then start() during a reconnect leaves one loop and no stray attempt", async () => {
  const getClientAccessUrl = vi.fn(async () => URL_);
  const client = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
  const socket = await connect(client, rt);
  socket.drop(1008); // died young: the reconnect waits 1 s
  await settle();
  expect(client.state).toBe("reconnecting");
  expect(getClientAccessUrl).toHaveBeenCalledTimes(1);
  await client.stop();
  const again = client.start();
  await settle();
  rt.last().accept("c2");
  await again;
  const calls = getClientAccessUrl.mock.calls.length;
  const sockets = rt.sockets.length;
  await vi.advanceTimersByTimeAsync(60_000);
  expect(getClientAccessUrl).toHaveBeenCalledTimes(calls);
  expect(rt.sockets).toHaveLength(sockets);
  expect(client.state).toBe("connected");
  expect(client.connectionId).toBe("c2");
  await client.stop();
});

it("once() twice then off() removes both", async () => {
  const { client, socket } = await liveClient(rt, URL_);
  const fn = vi.fn();
  client.once("server-message", fn);
  client.once("server-message", fn);
  client.off("server-message", fn);
  socket.receive({ type: "message", from: "server", dataType: "text", data: "x", sequenceId: 1 });
  expect(fn).not.toHaveBeenCalled();
  await client.stop();
});

describe("redaction", () => {
  it("a disconnected message that quotes the token is not copied into ConnectionError.message", async () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
    const client = new WebPubSubClient(URL_, {}, rt);
    const started = client.start().catch((e) => e);
    await settle();
    rt.last().open();
    rt.last().receive({ type: "system", event: "disconnected", message: `Invalid token ${jwt} for ?access_token=${jwt}` });
    rt.last().drop(1008, `token ${jwt}`);
    const err = await started;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain("Invalid token");
    expect(err.message).not.toContain(jwt);
    expect(err.reason).not.toContain(jwt);
  });

  it("a percent-encoded parameter name does not escape redaction", () => {
    expect(redactUrl("wss://h/x?access%5Ftoken=abc&a=1")).toBe("wss://h/x?access%5Ftoken=***&a=1");
    expect(redactUrl("wss://h/x?awps%5freconnection%5ftoken=abc")).toBe("wss://h/x?awps%5freconnection%5ftoken=***");
  });
});

describe("operations that cannot succeed fail fast", () => {
  it("a frame over 1 MB is refused before it is sent, with a RangeError", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const big = client.sendToGroup("g", "x".repeat(1024 * 1024), "text");
    await expect(big).rejects.toBeInstanceOf(RangeError);
    const multiByte = client.sendEvent("e", "é".repeat(600 * 1024), "text"); // 1.2 MB of UTF-8
    await expect(multiByte).rejects.toBeInstanceOf(RangeError);
    expect(socket.framesOfType("sendToGroup")).toEqual([]);
    expect(socket.framesOfType("event")).toEqual([]);
    const fits = client.sendEvent("e", "x".repeat(1000 * 1000), "text");
    expect(socket.framesOfType("event")).toHaveLength(1);
    socket.ack(socket.framesOfType("event")[0].ackId);
    await fits;
    await client.stop();
  });

  it("resends across recoveries count against messageRetryOptions.maxRetries", async () => {
    const { client, socket } = await liveClient(rt, URL_, { messageRetryOptions: { maxRetries: 1 } });
    const sent = client.sendEvent("e", "x", "text").catch((e) => e);
    socket.drop(1006);
    await settle();
    rt.last().recover(); // resent once: the one retry
    await settle();
    expect(rt.last().framesOfType("event")).toHaveLength(1);
    rt.last().drop(1006);
    await settle();
    rt.last().recover();
    await settle();
    expect(rt.last().framesOfType("event")).toHaveLength(0);
    const err = await sent;
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(1);
    await client.stop();
  });
});

it("sequenceAck goes out at once when several MB arrived since the last one", async () => {
  const { client, socket } = await liveClient(rt, URL_);
  const chunk = "x".repeat(64 * 1024);
  for (let id = 1; id <= 100; id++) socket.receive({ type: "message", from: "server", dataType: "text", data: chunk, sequenceId: id });
  const acks = socket.framesOfType("sequenceAck").map((f) => f.sequenceId);
  expect(acks.length).toBeGreaterThanOrEqual(1); // before any timer ran
  expect(acks[0]).toBeLessThanOrEqual(70); // about every 4 MB
  await client.stop();
});

describe("page and network signals", () => {
  it("the page becoming active again probes a connected link at once", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    await vi.advanceTimersByTimeAsync(5_000);
    rt.network.wake();
    expect(socket.framesOfType("ping")).toHaveLength(1);
    await client.stop();
  });

  it("and ends a retry wait at once", async () => {
    const { client, socket } = await liveClient(rt, URL_, { reconnectRetryOptions: { retryDelayInMs: 60_000 } });
    socket.drop(1008); // died young: the next attempt waits 60 s
    await settle();
    expect(rt.sockets).toHaveLength(1);
    rt.network.wake();
    await settle();
    expect(rt.sockets).toHaveLength(2);
    await client.stop();
  });

  it("a probe that gets no answer declares the link dead within 5 s", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    socket.answerPings = false;
    const events = recordEvents(client);
    rt.network.set(false);
    rt.network.set(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(client.state).toBe("recovering");
    expect(events[0]?.[0]).toBe("recovering");
    await client.stop();
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvocationError, WebPubSubClient } from "../../src/index.js";
import { connect, fakeRuntime, recordEvents, settle, type FakeRuntime } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=abc";

let rt: FakeRuntime;
beforeEach(() => {
  vi.useFakeTimers();
  rt = fakeRuntime();
});
afterEach(() => vi.useRealTimers());

describe("exactly-once: one ackId across every retry and recovery", () => {
  it("transient error → backoff resend → ack timeout resend → recovery resend → Duplicate: all with ackId 1, reported not duplicated", async () => {
    const client = new WebPubSubClient(URL_, { ackTimeoutInMs: 2000, messageRetryOptions: { retryDelayInMs: 500, maxRetries: 5 } }, rt);
    const socket = await connect(client, rt);
    const send = client.sendToGroup("g", "once", "text");
    socket.ack(1, { name: "InternalServerError", message: "" });
    await vi.advanceTimersByTimeAsync(500); // backoff resend
    await vi.advanceTimersByTimeAsync(2000); // ack lost → resend
    expect(socket.framesOfType("sendToGroup").map((f) => f.ackId)).toEqual([1, 1, 1]);
    socket.drop(1006);
    await settle();
    rt.last().recover();
    await settle();
    expect(rt.last().framesOfType("sendToGroup")).toEqual([{ type: "sendToGroup", group: "g", ackId: 1, noEcho: false, dataType: "text", data: "once" }]);
    rt.last().ack(1, { name: "Duplicate", message: "" });
    await expect(send).resolves.toEqual({ ackId: 1, isDuplicated: false });
    await client.stop();
  });

  it("a failed operation's ackId can be passed back for an exactly-once application retry", async () => {
    const client = new WebPubSubClient(URL_, { messageRetryOptions: { maxRetries: 0 } }, rt);
    const socket = await connect(client, rt);
    const err = await (async () => {
      const p = client.sendEvent("e", "x", "text");
      socket.ack(1, { name: "InternalServerError", message: "" });
      return p.catch((e) => e);
    })();
    expect(err.ackId).toBe(1);
    const retry = client.sendEvent("e", "x", "text", { ackId: err.ackId });
    expect(socket.framesOfType("event").map((f) => f.ackId)).toEqual([1, 1]);
    socket.ack(1, { name: "Duplicate", message: "" });
    await expect(retry).resolves.toEqual({ ackId: 1, isDuplicated: true });
    await client.stop();
  });

  it("an invocation in flight is not sent twice after recovery (nothing de-duplicates it); its response still resolves it", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    const inv = client.invokeEvent("calc", 1, "json");
    expect(socket.framesOfType("invoke").map((f) => f.invocationId)).toEqual(["1"]);
    socket.drop(1006);
    await settle();
    rt.last().recover();
    await settle();
    expect(rt.last().framesOfType("invoke")).toEqual([]);
    rt.last().receive({ type: "invokeResponse", invocationId: "1", success: true, dataType: "text", data: "ok" });
    await expect(inv).resolves.toEqual({ invocationId: "1", dataType: "text", data: "ok" });
    await client.stop();
  });

  it("aborting a queued invocation rejects without sending anything", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    socket.drop(1006);
    const ac = new AbortController();
    const inv = client.invokeEvent("calc", 1, "json", { abortSignal: ac.signal });
    ac.abort();
    await expect(inv).rejects.toBeInstanceOf(InvocationError);
    await settle();
    rt.last().recover();
    await settle();
    expect(rt.last().frames().filter((f) => f.type === "invoke" || f.type === "cancelInvocation")).toEqual([]);
    await client.stop();
  });
});

describe("state edges", () => {
  it("start() is rejected while stopping and while reconnecting", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    socket.drop(1008);
    await settle();
    expect(client.state).toBe("reconnecting");
    await expect(client.start()).rejects.toThrow(/reconnecting/);
    await vi.advanceTimersByTimeAsync(1000);
    rt.last().accept("c2", "t2");
    await settle();
    rt.last().answerClose = false;
    const stopping = client.stop();
    expect(client.state).toBe("stopping");
    await expect(client.start()).rejects.toThrow(/stopping/);
    expect(client.stop()).toBe(stopping);
    await vi.advanceTimersByTimeAsync(3000);
    await stopping;
    expect(client.state).toBe("stopped");
  });

  it("a disconnected message from a connection that was then recovered is not reported for a later loss", async () => {
    const client = new WebPubSubClient(URL_, { autoReconnect: false }, rt);
    const events = recordEvents(client);
    const socket = await connect(client, rt, "c1");
    socket.receive({ type: "system", event: "disconnected", message: "service restarting" });
    socket.drop(1006);
    await settle();
    rt.last().recover();
    await settle();
    expect(client.state).toBe("connected");
    rt.last().drop(1008, "later");
    await settle();
    const disc = events.filter(([n]) => n === "disconnected");
    expect(disc).toEqual([["disconnected", { connectionId: "c1", message: undefined, code: 1008, reason: "later" }]]);
  });

  it("a connected frame with another connection id on a live link changes nothing", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt, "c1", "t1");
    socket.receive({ type: "system", event: "connected", connectionId: "c2", reconnectionToken: "t2" });
    expect(client.connectionId).toBe("c1");
    socket.drop(1006);
    await settle();
    const u = new URL(rt.last().url);
    expect([u.searchParams.get("awps_connection_id"), u.searchParams.get("awps_reconnection_token")]).toEqual(["c1", "t1"]);
    await client.stop();
  });

  it("the state table is the only way states change: every observed transition is an edge of it", async () => {
    const { STATE_TABLE } = await import("../../src/core/state-machine.js");
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    socket.drop(1006);
    await settle();
    rt.last().drop(1008);
    await vi.advanceTimersByTimeAsync(1000);
    rt.last().accept("c2", "t2");
    await settle();
    await client.stop();
    const transitions = rt.logs
      .map((l) => /state (\w+) -> (\w+) \((\w+)\)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, from, to, trigger]) => [from, to, trigger]);
    expect(transitions.map(([f, t]) => `${f}>${t}`)).toEqual([
      "stopped>connecting",
      "connecting>connected",
      "connected>recovering",
      "recovering>reconnecting",
      "reconnecting>connected",
      "connected>stopping",
      "stopping>stopped",
    ]);
    for (const [from, to, trigger] of transitions) {
      expect((STATE_TABLE as Record<string, Record<string, string>>)[from][trigger]).toBe(to);
    }
    expect(rt.logs.filter((l) => l.includes("no transition"))).toEqual([]);
  });
});

import { beforeEach, describe, expect, it, vi } from "vitest";
import { AbortError, ConnectionError, SendMessageError, WebPubSubClient } from "../../src/index.js";
import { connect, fakeRuntime, recordEvents, settle, type FakeRuntime, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=abc";

let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

describe("start", () => {
  it("connects with the reliable subprotocol and resolves only on the connected frame", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    expect(client.state).toBe("stopped");
    let resolved = false;
    const started = client.start().then(() => (resolved = true));
    expect(client.state).toBe("connecting");
    await settle();
    const s = rt.last();
    expect(s.url).toBe(URL_);
    expect(s.subprotocol).toBe("json.reliable.webpubsub.azure.v1");
    s.open();
    await settle();
    expect(resolved).toBe(false);
    expect(client.state).toBe("connecting");
    s.receive({ type: "system", event: "connected", connectionId: "c9", userId: "u9", reconnectionToken: "t" });
    await started;
    expect(client.state).toBe("connected");
    expect(client.connectionId).toBe("c9");
    expect(client.userId).toBe("u9");
    await client.stop();
  });

  it("emits connected once with connectionId and userId", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const events = recordEvents(client);
    await connect(client, rt, "c1", "t1", "u1");
    expect(events).toEqual([["connected", { connectionId: "c1", userId: "u1" }]]);
    await client.stop();
  });

  it("asks a credential for the URL and passes the abort signal", async () => {
    const getClientAccessUrl = vi.fn(async (_o?: { abortSignal?: unknown }) => URL_);
    const client = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
    const ac = new AbortController();
    const started = client.start({ abortSignal: ac.signal });
    await settle();
    rt.last().accept();
    await started;
    expect(getClientAccessUrl).toHaveBeenCalledTimes(1);
    expect(getClientAccessUrl.mock.calls[0][0]?.abortSignal).toBe(ac.signal);
    await client.stop();
  });

  it("accepts a credential whose getClientAccessUrl is a string", async () => {
    const client = new WebPubSubClient({ getClientAccessUrl: URL_ }, {}, rt);
    await connect(client, rt);
    expect(rt.last().url).toBe(URL_);
    await client.stop();
  });

  it("rejects clearly when the credential fails or returns no URL, and stays usable", async () => {
    let n = 0;
    const client = new WebPubSubClient(
      {
        getClientAccessUrl: async () => {
          n++;
          if (n === 1) throw new Error("token service down");
          if (n === 2) return "" as string;
          return URL_;
        },
      },
      {},
      rt,
    );
    await expect(client.start()).rejects.toThrow("token service down");
    expect(client.state).toBe("stopped");
    await expect(client.start()).rejects.toThrow(TypeError);
    expect(client.state).toBe("stopped");
    expect(rt.sockets).toHaveLength(0);
    await connect(client, rt);
    expect(client.state).toBe("connected");
    await client.stop();
  });

  it("rejects a second start in every non-stopped state with a clear error", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const first = client.start();
    await expect(client.start()).rejects.toThrow(/stopped client.*connecting/);
    await settle();
    rt.last().accept();
    await first;
    await expect(client.start()).rejects.toThrow(/connected/);
    rt.last().drop(1006);
    expect(client.state).toBe("recovering");
    await expect(client.start()).rejects.toThrow(/recovering/);
    rt.last().answerClose = true;
    const stopping = client.stop();
    expect(client.state === "stopping" || client.state === "stopped").toBe(true);
    await stopping;
    expect(rt.sockets.length).toBeLessThanOrEqual(2);
  });

  it("rejects when the socket closes before the connected frame, with code and reason", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const events = recordEvents(client);
    const started = client.start();
    await settle();
    rt.last().drop(1011, "server error");
    const err = await started.catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 1011, reason: "server error" });
    expect(client.state).toBe("stopped");
    expect(events).toEqual([]); // no disconnected/stopped for a start that never connected
    expect(rt.network.subscribers).toBe(0);
  });

  it("rejects after an open socket closes before connected, naming the service's disconnected reason", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const started = client.start();
    await settle();
    rt.last().open();
    rt.last().receive({ type: "system", event: "disconnected", message: "Unauthorized" });
    rt.last().drop(1008, "");
    await expect(started).rejects.toThrow(/1008.*Unauthorized/);
    expect(client.state).toBe("stopped");
  });

  it("rejects when the transport cannot even be created", async () => {
    const bad = fakeRuntime();
    bad.transport = () => {
      throw new Error("bad url");
    };
    const client = new WebPubSubClient(URL_, {}, bad);
    const err = await client.start().catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain("bad url");
    expect(err.message).not.toContain("abc");
    expect(client.state).toBe("stopped");
  });

  it("times out when connected never arrives (30 s)", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const started = client.start();
    const caught = started.catch((e) => e);
    await settle();
    rt.last().open();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(client.state).toBe("connecting");
    await vi.advanceTimersByTimeAsync(1);
    const err = await caught;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/30000 ms/);
    expect(client.state).toBe("stopped");
    expect(rt.last().aborted).toBe(true);
  });

  it("rejects at once with an AbortError when the signal is already aborted", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const err = await client.start({ abortSignal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(client.state).toBe("stopped");
    expect(rt.sockets).toHaveLength(0);
  });

  it("aborts while the socket is opening", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const ac = new AbortController();
    const started = client.start({ abortSignal: ac.signal });
    await settle();
    rt.last().open();
    ac.abort();
    const err = await started.catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(client.state).toBe("stopped");
    expect(rt.last().aborted).toBe(true);
    // a late connected frame on the aborted socket changes nothing
    rt.last().receive({ type: "system", event: "connected", connectionId: "late" });
    expect(client.state).toBe("stopped");
    expect(client.connectionId).toBeUndefined();
  });

  it("aborts while the credential is still fetching the URL", async () => {
    const client = new WebPubSubClient({ getClientAccessUrl: () => new Promise<string>(() => {}) }, {}, rt);
    const ac = new AbortController();
    const started = client.start({ abortSignal: ac.signal });
    await settle();
    ac.abort();
    await expect(started).rejects.toBeInstanceOf(AbortError);
    expect(client.state).toBe("stopped");
    expect(rt.sockets).toHaveLength(0);
  });

  it("aborting after start resolved does nothing", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const ac = new AbortController();
    const started = client.start({ abortSignal: ac.signal });
    await settle();
    rt.last().accept();
    await started;
    ac.abort();
    await settle();
    expect(client.state).toBe("connected");
    await client.stop();
  });

  it("a stop() and a new start() while the first start is still fetching its URL: the first rejects, the second connects", async () => {
    let calls = 0;
    const resolvers: Array<(u: string) => void> = [];
    const client = new WebPubSubClient(
      {
        getClientAccessUrl: () =>
          new Promise<string>((r) => {
            calls++;
            resolvers.push(r);
          }),
      },
      {},
      rt,
    );
    const first = client.start();
    const firstResult = first.catch((e) => e);
    await settle();
    await client.stop();
    const second = client.start();
    await settle();
    expect(calls).toBe(2);
    resolvers[0](URL_ + "&first");
    await settle();
    expect(await firstResult).toBeInstanceOf(ConnectionError);
    resolvers[1](URL_ + "&second");
    await settle();
    expect(rt.sockets.map((s) => s.url)).toEqual([URL_ + "&second"]);
    rt.last().accept("c2");
    await second;
    expect(client.state).toBe("connected");
    expect(client.connectionId).toBe("c2");
    await client.stop();
  });
});

describe("stop", () => {
  it("is a no-op resolving at once when already stopped", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const events = recordEvents(client);
    await client.stop();
    expect(client.state).toBe("stopped");
    expect(events).toEqual([]);
  });

  it("from connected: closes with 1000, returns the same promise while stopping, emits disconnected then stopped", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const events = recordEvents(client);
    const socket = await connect(client, rt, "c1");
    events.length = 0;
    const a = client.stop();
    const b = client.stop();
    expect(client.state).toBe("stopping");
    expect(b).toBe(a);
    expect(socket.closedWith).toEqual({ code: 1000, reason: "" });
    await a;
    expect(client.state).toBe("stopped");
    expect(client.connectionId).toBeUndefined();
    expect(events).toEqual([
      ["disconnected", { connectionId: "c1", message: undefined, code: 1000, reason: "" }],
      ["stopped", {}],
    ]);
    await client.stop(); // idempotent afterwards too
    expect(events).toHaveLength(2);
  });

  it("does not hang when the peer never answers the close (3 s)", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    socket.answerClose = false;
    let done = false;
    const stopping = client.stop().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(2999);
    expect(done).toBe(false);
    expect(client.state).toBe("stopping");
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(client.state).toBe("stopped");
    expect(socket.aborted).toBe(true);
  });

  it("during connecting: start rejects, state is stopped, stopped is emitted", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const events = recordEvents(client);
    const started = client.start();
    const caught = started.catch((e) => e);
    await settle();
    rt.last().open();
    await client.stop();
    expect(client.state).toBe("stopped");
    expect(await caught).toBeInstanceOf(ConnectionError);
    expect(rt.last().aborted).toBe(true);
    expect(events).toEqual([["stopped", {}]]);
    // the socket's late frames are ignored
    rt.last().receive({ type: "system", event: "connected", connectionId: "late" });
    expect(client.state).toBe("stopped");
  });

  it("during recovering (between attempts): stops at once, ends recovery, reports the connection", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const events = recordEvents(client);
    const socket = await connect(client, rt, "c1");
    events.length = 0;
    socket.drop(1006);
    await settle();
    rt.last().drop(1006); // the first recovery attempt fails; the next waits 1 s
    await settle();
    expect(client.state).toBe("recovering");
    const sockets = rt.sockets.length;
    await client.stop();
    expect(client.state).toBe("stopped");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(rt.sockets.length).toBe(sockets);
    expect(events.map(([n]) => n)).toEqual(["recovering", "disconnected", "stopped"]);
    expect(events[1][1]).toMatchObject({ connectionId: "c1" });
  });

  it("during recovering (attempt in flight): aborts the recovery socket", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt, "c1");
    socket.drop(1006);
    await settle();
    const rec = rt.last();
    expect(rec).not.toBe(socket);
    await client.stop();
    expect(client.state).toBe("stopped");
    expect(rec.aborted).toBe(true);
    rec.open();
    await settle();
    expect(client.state).toBe("stopped");
  });

  it("during reconnecting: stops and makes no further attempts", async () => {
    const getClientAccessUrl = vi.fn(async () => URL_);
    const client = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
    const socket = await connect(client, rt, "c1");
    await vi.advanceTimersByTimeAsync(1000); // a healthy connection: the first reconnect goes at once
    socket.drop(1008, "SessionGone");
    await settle();
    expect(client.state).toBe("reconnecting");
    expect(rt.sockets).toHaveLength(2); // the first reconnect try is under way
    await client.stop();
    expect(client.state).toBe("stopped");
    expect(rt.last().aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(getClientAccessUrl).toHaveBeenCalledTimes(2);
    expect(rt.sockets).toHaveLength(2);
  });

  it("rejects queued and in-flight operations with SendMessageError carrying their ackIds", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    await connect(client, rt);
    const inflight = client.sendEvent("e", "x", "text");
    rt.last().drop(1006);
    const queued = client.joinGroup("g");
    await client.stop();
    const [a, b] = await Promise.all([inflight.catch((e) => e), queued.catch((e) => e)]);
    expect(a).toBeInstanceOf(SendMessageError);
    expect(a.ackId).toBe(1);
    expect(b).toBeInstanceOf(SendMessageError);
    expect(b.ackId).toBe(2);
  });

  it("a stopped listener may start the client again", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    await connect(client, rt, "c1");
    let restarted: Promise<void> | undefined;
    client.once("stopped", () => {
      restarted = client.start();
    });
    await client.stop();
    expect(client.state).toBe("connecting");
    await settle();
    rt.last().accept("c2");
    await restarted;
    expect(client.state).toBe("connected");
    expect(client.connectionId).toBe("c2");
    await client.stop();
  });

  it("can start again after stop, with the credential asked again", async () => {
    const getClientAccessUrl = vi.fn(async () => URL_);
    const client = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
    await connect(client, rt, "c1");
    await client.stop();
    await connect(client, rt, "c2");
    expect(client.connectionId).toBe("c2");
    expect(getClientAccessUrl).toHaveBeenCalledTimes(2);
    await client.stop();
  });

  it("Symbol.asyncDispose stops the client", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    await connect(client, rt);
    const dispose = (client as unknown as Record<symbol, () => Promise<void>>)[Symbol.asyncDispose];
    expect(typeof dispose).toBe("function");
    await dispose.call(client);
    expect(client.state).toBe("stopped");
  });
});

describe("disconnected payloads", () => {
  it("carries the service's disconnected message, close code and reason", async () => {
    const client = new WebPubSubClient(URL_, { autoReconnect: false }, rt);
    const events = recordEvents(client);
    const socket = await connect(client, rt, "c1");
    events.length = 0;
    socket.receive({ type: "system", event: "disconnected", message: "closed by admin" });
    socket.drop(1008, "Policy");
    await settle();
    expect(events).toEqual([
      ["disconnected", { connectionId: "c1", message: { kind: "disconnected", message: "closed by admin" }, code: 1008, reason: "Policy" }],
      ["stopped", {}],
    ]);
    expect(client.state).toBe("stopped");
  });

  it.each([
    [true, "reconnecting"],
    [false, "stopped"],
  ])("a disconnected listener already sees the next state (autoReconnect %s → %s)", async (autoReconnect, expected) => {
    const client = new WebPubSubClient(URL_, { autoReconnect }, rt);
    const socket = await connect(client, rt, "c1");
    const seen: string[] = [];
    client.on("disconnected", () => seen.push(client.state));
    socket.drop(1008, "gone");
    await settle();
    expect(seen).toEqual([expected]);
    await client.stop();
  });
});

describe("listeners", () => {
  it("on/off/once", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    const on = vi.fn();
    const once = vi.fn();
    client.on("server-message", on);
    client.once("server-message", once);
    const msg = (n: number) => ({ sequenceId: n, type: "message", from: "server", dataType: "text", data: String(n) });
    socket.receive(msg(1));
    socket.receive(msg(2));
    expect(on).toHaveBeenCalledTimes(2);
    expect(once).toHaveBeenCalledTimes(1);
    expect(once.mock.calls[0][0].message.data).toBe("1");
    client.off("server-message", on);
    socket.receive(msg(3));
    expect(on).toHaveBeenCalledTimes(2);
    // off() before a once listener fired removes it
    const never = vi.fn();
    client.once("server-message", never);
    client.off("server-message", never);
    socket.receive(msg(4));
    expect(never).not.toHaveBeenCalled();
    await client.stop();
  });

  it("a once listener does not remove an on() registration of the same function", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    const fn = vi.fn();
    client.on("server-message", fn);
    client.once("server-message", fn);
    const msg = (n: number) => ({ sequenceId: n, type: "message", from: "server", dataType: "text", data: String(n) });
    socket.receive(msg(1)); // both registrations
    socket.receive(msg(2)); // only on()
    expect(fn).toHaveBeenCalledTimes(3);
    await client.stop();
  });

  it("a throwing listener breaks neither the client nor the other listeners", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    client.on("connected", () => {
      throw new Error("boom");
    });
    client.on("server-message", () => {
      throw new Error("boom");
    });
    const after = vi.fn();
    client.on("server-message", after);
    const socket = await connect(client, rt);
    socket.receive({ sequenceId: 1, type: "message", from: "server", dataType: "text", data: "x" });
    expect(after).toHaveBeenCalledTimes(1);
    expect(client.state).toBe("connected");
    const sent = client.sendEvent("e", "y", "text");
    socket.ack(1);
    await expect(sent).resolves.toEqual({ ackId: 1, isDuplicated: false });
    expect(rt.logs.some((l) => l.startsWith("error:") && l.includes("boom"))).toBe(true);
    await client.stop();
  });
});

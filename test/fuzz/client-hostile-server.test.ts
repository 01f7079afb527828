// The client against a random and hostile server (fake transport, fake timers): arbitrary
// frames, frames that look almost right, late frames and closes from dead sockets, drops
// with any code, refused and half-open handshakes, peers that never answer a close, clock jumps, network flaps, operations,
// stop and start — in random order. After every step: nothing threw, no unhandled
// rejection, the state is one of the six, at most one socket is live, and per connection the
// delivered sequence ids only go up. At the end: stop() finishes, every operation settled,
// no timer and no network subscription is left behind.
import fc from "fast-check";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { WebPubSubClient, WebPubSubJsonProtocol } from "../../src/index.js";
import { fakeRuntime, settle, type FakeRuntime, type FakeSocket } from "../helpers/fake-runtime.js";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
/** More runs to hunt locally: FUZZ_RUNS=5000 FUZZ_SEED=$RANDOM npx vitest run test/fuzz */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const URL_ = "wss://h/client/hubs/hub?access_token=abc";
const STATES = ["stopped", "connecting", "connected", "recovering", "reconnecting", "stopping"];

const small = fc.integer({ min: -2, max: 12 });
const oddNumber = fc.oneof(small, fc.double(), fc.constantFrom(0, -1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300), fc.jsonValue());
const dataTypes = fc.oneof(fc.constantFrom("text", "json", "binary", "protobuf"), fc.jsonValue());

/** Frames a hostile or buggy server might send. */
const hostileFrame: fc.Arbitrary<string | ArrayBuffer> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.uint8Array({ maxLength: 80 }).map((b) => b.buffer as ArrayBuffer),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  // almost-right frames of every type
  fc
    .record(
      {
        type: fc.oneof(fc.constantFrom("message", "ack", "system", "pong", "invokeResponse", "sequenceAck", "nope"), fc.jsonValue()),
        event: fc.oneof(fc.constantFrom("connected", "disconnected", "other"), fc.jsonValue()),
        from: fc.oneof(fc.constantFrom("group", "server", "x"), fc.jsonValue()),
        group: fc.oneof(fc.constant("g"), fc.jsonValue()),
        dataType: dataTypes,
        data: fc.oneof(fc.constantFrom("aGk=", "hi", "!!", ""), fc.jsonValue()),
        sequenceId: oddNumber,
        ackId: oddNumber,
        success: fc.oneof(fc.boolean(), fc.jsonValue()),
        error: fc.oneof(fc.record({ name: fc.constantFrom("Duplicate", "InternalServerError", "Forbidden", "Timeout", "Weird"), message: fc.string() }), fc.jsonValue()),
        connectionId: fc.oneof(fc.constantFrom("c-evil", "conn-1"), fc.jsonValue()),
        reconnectionToken: fc.oneof(fc.constant("t-evil"), fc.jsonValue()),
        invocationId: fc.oneof(fc.constantFrom("1", "2", "3"), fc.jsonValue()),
        message: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((f) => JSON.stringify(f)),
  // well-formed data with sequence ids that repeat, jump and go back
  fc
    .record({ sequenceId: fc.integer({ min: 1, max: 40 }), from: fc.constantFrom("group", "server"), dataType: fc.constantFrom("text", "json") })
    .map((f) => JSON.stringify({ type: "message", group: "g", data: "d", ...f })),
  // well-formed acks and invoke responses for ids that may be pending
  fc
    .record({ ackId: fc.integer({ min: 1, max: 12 }), fail: fc.option(fc.constantFrom("Duplicate", "InternalServerError", "Forbidden", "Timeout", "Weird"), { nil: undefined }) })
    .map(({ ackId, fail }) => JSON.stringify(fail ? { type: "ack", ackId, success: false, error: { name: fail, message: "m" } } : { type: "ack", ackId, success: true })),
  fc
    .record({ invocationId: fc.constantFrom("1", "2", "3"), success: fc.boolean() })
    .map((f) => JSON.stringify({ type: "invokeResponse", ...f, dataType: "text", data: "r", error: { name: "X", message: "y" } })),
);

type Action =
  | { a: "frame"; frame: string | ArrayBuffer; onOld: boolean }
  | { a: "drop"; code: number; onOld: boolean }
  | { a: "accept"; withConnectedFrame: boolean }
  | { a: "refuse"; code: number }
  | { a: "tick"; ms: number }
  | { a: "jump"; ms: number }
  | { a: "network"; online: boolean }
  | { a: "op"; kind: "send" | "join" | "leave" | "event" | "invoke" | "fire"; abortAfter?: number }
  | { a: "hang" }
  | { a: "stop" }
  | { a: "start" };

const closeCode = fc.constantFrom(1000, 1001, 1005, 1006, 1008, 1009, 1011, 3000, 4000, 4999);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ a: fc.constant("frame" as const), frame: hostileFrame, onOld: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant("drop" as const), code: closeCode, onOld: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ a: fc.constant("accept" as const), withConnectedFrame: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ a: "hang" as const }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant("refuse" as const), code: closeCode }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant("jump" as const), ms: fc.integer({ min: -60_000, max: 15 * 60_000 }) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant("network" as const), online: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record(
      { a: fc.constant("op" as const), kind: fc.constantFrom("send", "join", "leave", "event", "invoke", "fire"), abortAfter: fc.integer({ min: 0, max: 5000 }) },
      { requiredKeys: ["a", "kind"] },
    ),
  },
  { weight: 1, arbitrary: fc.constant({ a: "stop" as const }) },
  { weight: 3, arbitrary: fc.constant({ a: "start" as const }) },
);

let rt: FakeRuntime;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
  vi.useRealTimers();
});

async function runScenario(actions: Action[], reliable: boolean): Promise<void> {
  vi.useFakeTimers();
  unhandled.length = 0;
  rt = fakeRuntime();
  const client = new WebPubSubClient(URL_, reliable ? {} : { protocol: WebPubSubJsonProtocol() }, rt);
  const opened = new WeakSet<FakeSocket>();
  const dead = new WeakSet<FakeSocket>();
  const ops: Array<{ settled: boolean; what: string }> = [];
  const seqByConnection = new Map<string, number>();
  const disconnectedFor = new Set<string>();
  let connectionCounter = 0;
  let starts = 0;
  const fail = (message: string): never => {
    throw new Error(message);
  };

  const onData = (e: { message: { sequenceId?: number } }): void => {
    const seq = e.message.sequenceId;
    const id = client.connectionId;
    if (!reliable || seq === undefined || id === undefined) return;
    const last = seqByConnection.get(id) ?? 0;
    if (seq <= last) fail(`connection ${id} delivered sequenceId ${seq} after ${last}`);
    seqByConnection.set(id, seq);
  };
  client.on("group-message", onData);
  client.on("server-message", onData);
  client.on("disconnected", (e) => {
    if (e.connectionId === undefined) return;
    if (disconnectedFor.has(e.connectionId)) fail(`two disconnected events for ${e.connectionId}`);
    disconnectedFor.add(e.connectionId);
  });

  const track = (what: string, p: Promise<unknown>): void => {
    const op = { settled: false, what };
    ops.push(op);
    p.then(
      () => void (op.settled = true),
      () => void (op.settled = true),
    );
  };
  const start = (): void => {
    starts++;
    track("start", client.start());
  };
  const lastSocket = (): FakeSocket | undefined => rt.sockets[rt.sockets.length - 1];
  const oldSocket = (): FakeSocket | undefined => rt.sockets[Math.max(0, rt.sockets.length - 2)];

  const invariants = (): void => {
    if (!STATES.includes(client.state)) fail(`state ${client.state}`);
    if (client.state === "connected" && typeof client.connectionId !== "string") fail("connected without a connectionId");
    if (client.state === "stopped" && client.connectionId !== undefined) fail("stopped with a connectionId");
    const live = rt.sockets.filter((s) => !s.aborted && !s.closedWith && !dead.has(s));
    if (live.length > 1) fail(`${live.length} live sockets`);
    if (client.state === "connected" && live.length !== 1) fail("connected without a live socket");
    if (unhandled.length) fail(`unhandled rejection: ${String(unhandled[0])}`);
  };

  start();
  await settle();
  for (const act of actions) {
    switch (act.a) {
      case "frame": {
        const s = act.onOld ? oldSocket() : lastSocket();
        s?.receive(act.frame);
        break;
      }
      case "drop": {
        const s = act.onOld ? oldSocket() : lastSocket();
        if (s) {
          dead.add(s);
          s.drop(act.code, "hostile");
        }
        break;
      }
      case "accept": {
        const s = lastSocket();
        if (!s || opened.has(s) || dead.has(s) || s.aborted || s.closedWith) break;
        opened.add(s);
        const recovery = s.url.includes("awps_connection_id=");
        if (recovery) {
          s.open();
          if (act.withConnectedFrame) {
            const id = new URL(s.url).searchParams.get("awps_connection_id")!;
            s.receive({ type: "system", event: "connected", connectionId: id, reconnectionToken: `t${++connectionCounter}` });
          }
        } else {
          connectionCounter++;
          s.accept(`conn-${connectionCounter}`, reliable ? `token-${connectionCounter}` : undefined);
        }
        break;
      }
      case "refuse": {
        const s = lastSocket();
        if (!s || opened.has(s) || dead.has(s)) break;
        dead.add(s);
        s.drop(act.code, "refused");
        break;
      }
      case "tick":
        await vi.advanceTimersByTimeAsync(act.ms);
        break;
      case "jump":
        vi.setSystemTime(Date.now() + act.ms);
        break;
      case "network":
        rt.network.set(act.online);
        break;
      case "op": {
        const signal = act.abortAfter === undefined ? undefined : AbortSignal.timeout(act.abortAfter);
        const o = signal ? { abortSignal: signal } : {};
        const p =
          act.kind === "send"
            ? client.sendToGroup("g", "x", "text", o)
            : act.kind === "join"
              ? client.joinGroup("g", o)
              : act.kind === "leave"
                ? client.leaveGroup("g", o)
                : act.kind === "event"
                  ? client.sendEvent("e", { a: 1 }, "json", o)
                  : act.kind === "invoke"
                    ? client.invokeEvent("e", "x", "text", o)
                    : client.sendToGroup("g", new Uint8Array([1, 2]), "binary", { fireAndForget: true });
        track(act.kind, p);
        break;
      }
      case "hang": {
        // the peer stops answering closes (stop() must still finish, by its own timer)
        const s = lastSocket();
        if (s) s.answerClose = false;
        break;
      }
      case "stop":
        track("stop", client.stop());
        break;
      case "start":
        if (client.state === "stopped") start();
        break;
    }
    await settle();
    invariants();
  }

  // wind down: the network is back, stop, let every timer run out
  rt.network.set(true);
  const stopped = client.stop();
  await vi.advanceTimersByTimeAsync(5000);
  await stopped;
  await settle();
  expect(client.state).toBe("stopped");
  expect(client.connectionId).toBeUndefined();
  expect(ops.filter((o) => !o.settled).map((o) => o.what)).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
  expect(rt.network.subscribers).toBe(0);
  expect(unhandled).toEqual([]);
  expect(starts).toBeGreaterThan(0);
  vi.useRealTimers();
}

it("the reliable client survives a random, hostile server", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 60 }), (actions) => runScenario(actions, true)),
    { seed: SEED, numRuns: RUNS },
  );
}, 120_000);

it("the json (non-reliable) client survives a random, hostile server", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 60 }), (actions) => runScenario(actions, false)),
    { seed: SEED + 1, numRuns: Math.ceil(RUNS / 3) },
  );
}, 120_000);

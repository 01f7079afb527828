import { beforeEach, describe, expect, it, vi } from "vitest";
import { InvocationError, SendMessageError, WebPubSubClient, type WebPubSubClientOptions } from "../../src/index.js";
import { connect, fakeRuntime, settle, type FakeRuntime, type FakeSocket, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=abc";

let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

async function live(options: WebPubSubClientOptions = {}): Promise<{ client: WebPubSubClient; socket: FakeSocket }> {
  const client = new WebPubSubClient(URL_, options, rt);
  const socket = await connect(client, rt);
  return { client, socket };
}

describe("acks", () => {
  it("every operation gets its own ackId and resolves on success", async () => {
    const { client, socket } = await live();
    const join = client.joinGroup("g");
    const leave = client.leaveGroup("g");
    const send = client.sendToGroup("g", { a: 1 }, "json", { noEcho: true });
    const event = client.sendEvent("ev", "x", "text");
    expect(socket.frames()).toEqual([
      { type: "joinGroup", group: "g", ackId: 1 },
      { type: "leaveGroup", group: "g", ackId: 2 },
      { type: "sendToGroup", group: "g", ackId: 3, noEcho: true, dataType: "json", data: { a: 1 } },
      { type: "event", event: "ev", ackId: 4, dataType: "text", data: "x" },
    ]);
    for (const id of [4, 3, 2, 1]) socket.ack(id);
    expect(await Promise.all([join, leave, send, event])).toEqual([
      { ackId: 1, isDuplicated: false },
      { ackId: 2, isDuplicated: false },
      { ackId: 3, isDuplicated: false },
      { ackId: 4, isDuplicated: false },
    ]);
    await client.stop();
  });

  it("Duplicate on the first send → isDuplicated: true", async () => {
    const { client, socket } = await live();
    const send = client.sendEvent("e", "x", "text", { ackId: 77 });
    socket.ack(77, { name: "Duplicate", message: "seen" });
    await expect(send).resolves.toEqual({ ackId: 77, isDuplicated: true });
    await client.stop();
  });

  it("Duplicate answering our own resend → isDuplicated: false (the first send went through)", async () => {
    const { client, socket } = await live({ ackTimeoutInMs: 5000 });
    const send = client.sendEvent("e", "x", "text");
    await vi.advanceTimersByTimeAsync(5000);
    expect(socket.framesOfType("event").map((f) => f.ackId)).toEqual([1, 1]);
    socket.ack(1, { name: "Duplicate", message: "seen" });
    await expect(send).resolves.toEqual({ ackId: 1, isDuplicated: false });
    await client.stop();
  });

  it("Forbidden → SendMessageError with ackId and errorDetail, not retried", async () => {
    const { client, socket } = await live();
    const join = client.joinGroup("secret");
    socket.ack(1, { name: "Forbidden", message: "no role" });
    const err = await join.catch((e) => e);
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.name).toBe("SendMessageError");
    expect(err.ackId).toBe(1);
    expect(err.errorDetail).toEqual({ name: "Forbidden", message: "no role" });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(socket.framesOfType("joinGroup")).toHaveLength(1);
    await client.stop();
  });

  it("an unknown error name fails the operation with that detail", async () => {
    const { client, socket } = await live();
    const send = client.sendEvent("e", 1, "json");
    socket.receive({ type: "ack", ackId: 1, success: false, error: { name: "BrandNew", message: "?" } });
    await expect(send).rejects.toMatchObject({ name: "SendMessageError", ackId: 1, errorDetail: { name: "BrandNew", message: "?" } });
    await client.stop();
  });

  it("InternalServerError is retried with the SAME ackId after the retry delay", async () => {
    const { client, socket } = await live({ messageRetryOptions: { retryDelayInMs: 700 } });
    const send = client.sendToGroup("g", "hi", "text");
    socket.ack(1, { name: "InternalServerError", message: "transient" });
    await vi.advanceTimersByTimeAsync(699);
    expect(socket.framesOfType("sendToGroup")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.framesOfType("sendToGroup").map((f) => f.ackId)).toEqual([1, 1]);
    socket.ack(1);
    await expect(send).resolves.toEqual({ ackId: 1, isDuplicated: false });
    await client.stop();
  });

  it("InternalServerError every time: fails after maxRetries with ackId and the last detail", async () => {
    const { client, socket } = await live({ messageRetryOptions: { maxRetries: 2, retryDelayInMs: 100 } });
    const send = client.sendEvent("e", "x", "text");
    const caught = send.catch((e) => e);
    for (let i = 0; i < 3; i++) {
      socket.ack(1, { name: "InternalServerError", message: `try ${i}` });
      await vi.advanceTimersByTimeAsync(100);
    }
    const err = await caught;
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(1);
    expect(err.errorDetail).toEqual({ name: "InternalServerError", message: "try 2" });
    expect(socket.framesOfType("event")).toHaveLength(3);
    await client.stop();
  });

  it("an ack lost → resent with the same ackId after ackTimeoutInMs, then resolves", async () => {
    const { client, socket } = await live({ ackTimeoutInMs: 4000 });
    const join = client.joinGroup("g");
    await vi.advanceTimersByTimeAsync(3999);
    expect(socket.framesOfType("joinGroup")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.framesOfType("joinGroup")).toEqual([
      { type: "joinGroup", group: "g", ackId: 1 },
      { type: "joinGroup", group: "g", ackId: 1 },
    ]);
    socket.ack(1);
    await expect(join).resolves.toEqual({ ackId: 1, isDuplicated: false });
    await client.stop();
  });

  it("acks lost every time → SendMessageError with ackId after 1 + maxRetries sends (default ack timeout 30 s)", async () => {
    const { client, socket } = await live();
    const caught = client.sendEvent("e", "x", "text").catch((e) => e);
    await vi.advanceTimersByTimeAsync(3 * 30_000);
    expect(socket.framesOfType("event").map((f) => f.ackId)).toEqual([1, 1, 1, 1]);
    let done = false;
    void caught.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    const err = await caught;
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(1);
    expect(err.errorDetail?.name).toBe("Timeout");
    await client.stop();
  });

  it("fire-and-forget: no ackId in the frame, resolves once written", async () => {
    const { client, socket } = await live();
    await expect(client.sendToGroup("g", "x", "text", { fireAndForget: true })).resolves.toEqual({ isDuplicated: false });
    await expect(client.sendEvent("e", "y", "text", { fireAndForget: true })).resolves.toMatchObject({ isDuplicated: false });
    const frames = socket.frames();
    expect(frames).toEqual([
      { type: "sendToGroup", group: "g", noEcho: false, dataType: "text", data: "x" },
      { type: "event", event: "e", dataType: "text", data: "y" },
    ]);
    for (const f of frames) expect("ackId" in f).toBe(false);
    await client.stop();
  });

  it("fire-and-forget while recovering waits for the link and is written once", async () => {
    const { client, socket } = await live();
    socket.drop(1006);
    let done = false;
    const send = client.sendEvent("e", "x", "text", { fireAndForget: true }).then((r) => ((done = true), r));
    await settle();
    expect(done).toBe(false);
    rt.last().recover();
    await expect(send).resolves.toMatchObject({ isDuplicated: false });
    expect(rt.last().framesOfType("event")).toEqual([{ type: "event", event: "e", dataType: "text", data: "x" }]);
    await client.stop();
  });

  it("regression: an automatic ackId never repeats one the caller chose earlier (else the service drops it as a Duplicate)", async () => {
    const { client, socket } = await live();
    const chosen = client.sendEvent("e", "mine", "text", { ackId: 3 });
    socket.ack(3);
    await chosen;
    const autos = [client.sendEvent("e", "a", "text"), client.sendEvent("e", "b", "text"), client.sendEvent("e", "c", "text")];
    const ids = socket.framesOfType("event").slice(1).map((f) => f.ackId);
    expect(ids).not.toContain(3);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) socket.ack(id);
    await expect(Promise.all(autos)).resolves.toEqual(ids.map((ackId) => ({ ackId, isDuplicated: false })));
    await client.stop();
  });

  it("user-supplied ackId is used, and auto ackIds skip ids in use", async () => {
    const { client, socket } = await live();
    const a = client.sendEvent("e", "x", "text", { ackId: 2 });
    const b = client.sendEvent("e", "y", "text");
    const c = client.sendEvent("e", "z", "text");
    // automatic ids never repeat one the caller chose on this connection
    expect(socket.framesOfType("event").map((f) => f.ackId)).toEqual([2, 3, 4]);
    socket.ack(2);
    socket.ack(3);
    socket.ack(4);
    await Promise.all([a, b, c]);
    // once finished, an id may be reused (an application-level retry)
    const again = client.sendEvent("e", "x", "text", { ackId: 2 });
    socket.ack(2, { name: "Duplicate", message: "" });
    await expect(again).resolves.toEqual({ ackId: 2, isDuplicated: true });
    await client.stop();
  });

  it("an ackId in use → RangeError, nothing sent", async () => {
    const { client, socket } = await live();
    const first = client.joinGroup("g", { ackId: 5 });
    await expect(client.sendEvent("e", "x", "text", { ackId: 5 })).rejects.toThrow(RangeError);
    expect(socket.frames()).toHaveLength(1);
    socket.ack(5);
    await first;
    await client.stop();
  });

  it("abort on a queued operation: rejects with ackId, never sent", async () => {
    const { client, socket } = await live();
    socket.drop(1006);
    const ac = new AbortController();
    const send = client.sendEvent("e", "x", "text", { abortSignal: ac.signal });
    ac.abort();
    const err = await send.catch((e) => e);
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(1);
    expect(err.errorDetail).toMatchObject({ name: "AbortError" });
    await settle();
    rt.last().recover();
    await settle();
    expect(rt.last().framesOfType("event")).toEqual([]);
    await client.stop();
  });

  it("abort on an in-flight operation: rejects with ackId and is not resent", async () => {
    const { client, socket } = await live({ ackTimeoutInMs: 1000 });
    const ac = new AbortController();
    const send = client.sendEvent("e", "x", "text", { abortSignal: ac.signal });
    expect(socket.framesOfType("event")).toHaveLength(1);
    ac.abort();
    await expect(send).rejects.toMatchObject({ name: "SendMessageError", ackId: 1, errorDetail: { name: "AbortError" } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(socket.framesOfType("event")).toHaveLength(1);
    socket.ack(1); // a late ack is ignored
    await client.stop();
  });

  it("an already-aborted signal rejects with ackId and sends nothing", async () => {
    const { client, socket } = await live();
    const err = await client.joinGroup("g", { abortSignal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(1);
    expect(socket.frames()).toEqual([]);
    await client.stop();
  });

  it("aborting after success does nothing", async () => {
    const { client, socket } = await live();
    const ac = new AbortController();
    const send = client.sendEvent("e", "x", "text", { abortSignal: ac.signal });
    socket.ack(1);
    await expect(send).resolves.toEqual({ ackId: 1, isDuplicated: false });
    ac.abort();
    await client.stop();
  });

  it("content the codec cannot encode fails only that operation", async () => {
    const { client, socket } = await live();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const err = await client.sendEvent("e", circular, "json").catch((e) => e);
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(1);
    const ok = client.sendEvent("e", 1, "json");
    expect(socket.framesOfType("event")).toEqual([{ type: "event", event: "e", ackId: 2, dataType: "json", data: 1 }]);
    socket.ack(2);
    await ok;
    expect(client.state).toBe("connected");
    await client.stop();
  });

  it("operations while stopped reject with SendMessageError (with ackId when it had one)", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    await expect(client.joinGroup("g")).rejects.toBeInstanceOf(SendMessageError);
    const err = await client.sendEvent("e", "x", "text", { ackId: 9 }).catch((e) => e);
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.ackId).toBe(9);
    await expect(client.sendToGroup("g", "x", "text", { fireAndForget: true })).rejects.toMatchObject({
      name: "SendMessageError",
      ackId: undefined,
    });
    await expect(client.invokeEvent("e", "x", "text")).rejects.toBeInstanceOf(InvocationError);
    expect(rt.sockets).toHaveLength(0);
  });
});

describe("invalid arguments", () => {
  it.each([
    ["joinGroup(42)", (c: WebPubSubClient) => c.joinGroup(42 as unknown as string), TypeError],
    ["joinGroup('')", (c: WebPubSubClient) => c.joinGroup(""), RangeError],
    ["joinGroup('   ')", (c: WebPubSubClient) => c.joinGroup("   "), RangeError],
    ["joinGroup(1025 chars)", (c: WebPubSubClient) => c.joinGroup("g".repeat(1025)), RangeError],
    ["leaveGroup(null)", (c: WebPubSubClient) => c.leaveGroup(null as unknown as string), TypeError],
    ["sendToGroup text with a number", (c: WebPubSubClient) => c.sendToGroup("g", 1, "text"), TypeError],
    ["sendToGroup binary with a string", (c: WebPubSubClient) => c.sendToGroup("g", "x", "binary"), TypeError],
    ["sendToGroup unknown dataType", (c: WebPubSubClient) => c.sendToGroup("g", "x", "xml" as "text"), TypeError],
    ["sendToGroup json undefined", (c: WebPubSubClient) => c.sendToGroup("g", undefined as unknown as string, "json"), TypeError],
    ["sendEvent empty name", (c: WebPubSubClient) => c.sendEvent("", "x", "text"), TypeError],
    ["sendEvent protobuf with object", (c: WebPubSubClient) => c.sendEvent("e", {}, "protobuf"), TypeError],
    ["sendEvent ackId -1", (c: WebPubSubClient) => c.sendEvent("e", "x", "text", { ackId: -1 }), RangeError],
    ["sendEvent ackId 1.5", (c: WebPubSubClient) => c.sendEvent("e", "x", "text", { ackId: 1.5 }), RangeError],
    ["sendEvent ackId '1'", (c: WebPubSubClient) => c.sendEvent("e", "x", "text", { ackId: "1" as unknown as number }), RangeError],
    ["sendEvent ackId + fireAndForget", (c: WebPubSubClient) => c.sendEvent("e", "x", "text", { ackId: 3, fireAndForget: true }), TypeError],
    ["sendEvent options not an object", (c: WebPubSubClient) => c.sendEvent("e", "x", "text", 5 as unknown as object), TypeError],
    ["invokeEvent empty name", (c: WebPubSubClient) => c.invokeEvent("", "x", "text"), TypeError],
    ["invokeEvent empty invocationId", (c: WebPubSubClient) => c.invokeEvent("e", "x", "text", { invocationId: "" }), TypeError],
    ["invokeEvent bad dataType", (c: WebPubSubClient) => c.invokeEvent("e", "x", "yaml" as "text"), TypeError],
  ])("%s → rejected promise, nothing sent", async (_what, call, ErrorClass) => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    let p: Promise<unknown> | undefined;
    expect(() => (p = call(client))).not.toThrow();
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toBeInstanceOf(ErrorClass);
    await settle();
    expect(socket.frames()).toEqual([]);
    await client.stop();
  });

  it.each([
    ["negative keepAliveIntervalInMs", { keepAliveIntervalInMs: -1 }],
    ["negative keepAliveTimeoutInMs", { keepAliveTimeoutInMs: -5 }],
    ["NaN ackTimeoutInMs", { ackTimeoutInMs: NaN }],
    ["negative retry delay", { messageRetryOptions: { retryDelayInMs: -1 } }],
    ["negative maxRetries", { reconnectRetryOptions: { maxRetries: -1 } }],
    ["unknown retry mode", { messageRetryOptions: { mode: "Linear" } }],
  ])("constructor: %s → RangeError", (_what, options) => {
    expect(() => new WebPubSubClient(URL_, options as WebPubSubClientOptions, rt)).toThrow(RangeError);
  });

  it.each([
    ["an empty URL", ""],
    ["a number", 5],
    ["an object without getClientAccessUrl", {}],
    ["a credential with a numeric getClientAccessUrl", { getClientAccessUrl: 5 }],
  ])("constructor with %s → TypeError", (_what, source) => {
    expect(() => new WebPubSubClient(source as string, {}, rt)).toThrow(TypeError);
  });

  it("constructor with a bad protocol or options → TypeError", () => {
    expect(() => new WebPubSubClient(URL_, { protocol: {} as never }, rt)).toThrow(TypeError);
    expect(() => new WebPubSubClient(URL_, "x" as never, rt)).toThrow(TypeError);
  });
});

describe("invokeEvent", () => {
  it("resolves with the response; invocationIds are unique", async () => {
    const { client, socket } = await live();
    const a = client.invokeEvent("calc", { x: 1 }, "json");
    const b = client.invokeEvent("echo", new Uint8Array([1, 2]), "binary");
    expect(socket.framesOfType("invoke")).toEqual([
      { type: "invoke", invocationId: "1", target: "event", event: "calc", dataType: "json", data: { x: 1 } },
      { type: "invoke", invocationId: "2", target: "event", event: "echo", dataType: "binary", data: "AQI=" },
    ]);
    socket.receive({ type: "invokeResponse", invocationId: "2", success: true, dataType: "binary", data: "AwQ=" });
    socket.receive({ type: "invokeResponse", invocationId: "1", success: true, dataType: "json", data: { y: 2 } });
    await expect(a).resolves.toEqual({ invocationId: "1", dataType: "json", data: { y: 2 } });
    const rb = await b;
    expect(rb.invocationId).toBe("2");
    expect(rb.dataType).toBe("binary");
    expect([...new Uint8Array(rb.data as ArrayBuffer)]).toEqual([3, 4]);
    // an ack with a matching number does not settle an invocation
    const c = client.invokeEvent("x", "y", "text", { invocationId: "custom-7" });
    socket.ack(3);
    socket.receive({ type: "invokeResponse", invocationId: "custom-7", success: true });
    await expect(c).resolves.toEqual({ invocationId: "custom-7", dataType: undefined, data: undefined });
    await client.stop();
  });

  it("failure → InvocationError with invocationId and errorDetail", async () => {
    const { client, socket } = await live();
    const inv = client.invokeEvent("calc", 1, "json");
    socket.receive({ type: "invokeResponse", invocationId: "1", success: false, error: { name: "InvocationFailed", message: "no handler" } });
    const err = await inv.catch((e) => e);
    expect(err).toBeInstanceOf(InvocationError);
    expect(err.invocationId).toBe("1");
    expect(err.errorDetail).toEqual({ name: "InvocationFailed", message: "no handler" });
    await client.stop();
  });

  it("abort sends cancelInvocation and rejects with InvocationError", async () => {
    const { client, socket } = await live();
    const ac = new AbortController();
    const inv = client.invokeEvent("slow", 1, "json", { abortSignal: ac.signal });
    ac.abort();
    const err = await inv.catch((e) => e);
    expect(err).toBeInstanceOf(InvocationError);
    expect(err.invocationId).toBe("1");
    expect(socket.framesOfType("cancelInvocation")).toEqual([{ type: "cancelInvocation", invocationId: "1" }]);
    await client.stop();
  });

  it("an invocation id in use → RangeError", async () => {
    const { client, socket } = await live();
    const first = client.invokeEvent("e", 1, "json", { invocationId: "x" });
    await expect(client.invokeEvent("e", 1, "json", { invocationId: "x" })).rejects.toThrow(RangeError);
    expect(socket.framesOfType("invoke")).toHaveLength(1);
    socket.receive({ type: "invokeResponse", invocationId: "x", success: true });
    await first;
    await client.stop();
  });

  it("times out after ackTimeoutInMs: cancelInvocation + InvocationError(Timeout)", async () => {
    const { client, socket } = await live({ ackTimeoutInMs: 2000 });
    const caught = client.invokeEvent("slow", 1, "json").catch((e) => e);
    await vi.advanceTimersByTimeAsync(2000);
    const err = await caught;
    expect(err).toBeInstanceOf(InvocationError);
    expect(err.errorDetail?.name).toBe("Timeout");
    expect(socket.framesOfType("cancelInvocation")).toEqual([{ type: "cancelInvocation", invocationId: "1" }]);
    expect(socket.framesOfType("invoke")).toHaveLength(1);
    await client.stop();
  });

  it("lost with a non-reliable connection → InvocationError", async () => {
    const { WebPubSubJsonProtocol } = await import("../../src/index.js");
    const { client, socket } = await live({ protocol: WebPubSubJsonProtocol() });
    const inv = client.invokeEvent("e", 1, "json");
    const send = client.sendEvent("e", 1, "json");
    socket.drop(1006);
    await expect(inv).rejects.toBeInstanceOf(InvocationError);
    await expect(send).rejects.toMatchObject({ name: "SendMessageError", ackId: 1 });
    await client.stop();
  });
});

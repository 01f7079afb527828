import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WebPubSubClient, WebPubSubJsonReliableProtocol, type WebPubSubClientOptions } from "../../src/index.js";
import { connect, fakeRuntime, settle } from "../helpers/fake-runtime.js";

const ACCESS = "SECRETACCESSTOKEN";
const RECONN = "SECRETRECONNTOKEN";
const URL_ = `wss://h/client/hubs/hub?access_token=${ACCESS}`;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** A standards-shaped WebSocket the test drives, for the default runtime path. */
class ScriptedWebSocket {
  static instances: ScriptedWebSocket[] = [];
  static throwOnCreate = false;
  binaryType = "blob";
  readyState = 0;
  protocol = "";
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  sent: unknown[] = [];
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    if (ScriptedWebSocket.throwOnCreate) throw new SyntaxError(`The URL '${url}' is invalid.`);
    ScriptedWebSocket.instances.push(this);
  }
  send(data: unknown): void {
    this.sent.push(data);
  }
  close(code = 1005, reason = ""): void {
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
  // server side
  accept(connectionId: string, token: string): void {
    this.readyState = 1;
    this.onopen?.({});
    this.onmessage?.({ data: JSON.stringify({ type: "system", event: "connected", connectionId, reconnectionToken: token }) });
  }
  drop(code: number, reason = ""): void {
    this.onclose?.({ code, reason });
  }
}

describe("options", () => {
  it("the caller's options object (deeply frozen) is never mutated and is usable for a second client", async () => {
    const options: WebPubSubClientOptions = deepFreeze({
      protocol: WebPubSubJsonReliableProtocol(),
      autoReconnect: true,
      autoRejoinGroups: true,
      messageRetryOptions: { maxRetries: 2, mode: "Exponential" as const },
      reconnectRetryOptions: { retryDelayInMs: 10 },
      keepAliveIntervalInMs: 1000,
      keepAliveTimeoutInMs: 0,
    });
    const before = JSON.stringify(options);
    const rt = fakeRuntime();
    const client = new WebPubSubClient(URL_, options, rt);
    const socket = await connect(client, rt);
    socket.drop(1008);
    await vi.advanceTimersByTimeAsync(100);
    rt.last().accept("c2", "t2");
    await settle();
    await client.stop();
    expect(JSON.stringify(options)).toBe(before);
    expect(Object.keys(options.messageRetryOptions!)).toEqual(["maxRetries", "mode"]);
    const second = new WebPubSubClient(URL_, options, fakeRuntime());
    expect(second.state).toBe("stopped");
  });

  it("per-call options objects are not mutated either", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt);
    const opts = deepFreeze({ noEcho: true });
    const send = client.sendToGroup("g", "x", "text", opts);
    socket.ack(1);
    await send;
    expect(opts).toEqual({ noEcho: true });
    await client.stop();
  });

  it("the WebSocket option is used with the subprotocol and arraybuffer binaryType", async () => {
    ScriptedWebSocket.instances = [];
    const client = new WebPubSubClient(URL_, { WebSocket: ScriptedWebSocket as never });
    const started = client.start();
    await settle();
    const ws = ScriptedWebSocket.instances[0];
    expect(ws.url).toBe(URL_);
    expect(ws.protocols).toBe("json.reliable.webpubsub.azure.v1");
    expect(ws.binaryType).toBe("arraybuffer");
    ws.accept("c1", "t1");
    await started;
    const send = client.sendEvent("e", new Uint8Array([1]), "binary");
    expect(JSON.parse(ws.sent[0] as string)).toEqual({ type: "event", event: "e", ackId: 1, dataType: "binary", data: "AQ==" });
    // a UTF-8 binary frame is accepted
    ws.onmessage?.({ data: new TextEncoder().encode(JSON.stringify({ type: "ack", ackId: 1, success: true })).buffer });
    await expect(send).resolves.toEqual({ ackId: 1, isDuplicated: false });
    await client.stop();
  });
});

describe("logging", () => {
  it("the logger never receives the access token or the reconnection token", async () => {
    ScriptedWebSocket.instances = [];
    ScriptedWebSocket.throwOnCreate = false;
    const lines: string[] = [];
    const sink = (level: string) => (...args: unknown[]) => void lines.push(`${level} ${args.map(String).join(" ")}`);
    const logger = { debug: sink("debug"), info: sink("info"), warn: sink("warn"), error: sink("error") };
    const client = new WebPubSubClient(
      { getClientAccessUrl: async () => URL_ },
      { WebSocket: ScriptedWebSocket as never, logger, reconnectRetryOptions: { retryDelayInMs: 100 } },
    );
    const started = client.start();
    await settle();
    ScriptedWebSocket.instances[0].accept("c1", RECONN);
    await started;
    // recovery: the URL carries both tokens
    ScriptedWebSocket.instances[0].drop(1006);
    await settle();
    expect(ScriptedWebSocket.instances[1].url).toContain(RECONN);
    ScriptedWebSocket.instances[1].drop(1008, "gone");
    // a reconnect whose socket cannot even be created, with the URL in the error
    ScriptedWebSocket.throwOnCreate = true;
    await vi.advanceTimersByTimeAsync(100);
    await settle();
    expect(ScriptedWebSocket.instances).toHaveLength(2);
    ScriptedWebSocket.throwOnCreate = false;
    await vi.advanceTimersByTimeAsync(100);
    ScriptedWebSocket.instances.at(-1)!.accept("c2", RECONN + "2");
    await settle();
    await client.stop();
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.some((l) => l.includes("access_token=***"))).toBe(true);
    expect(lines.some((l) => l.includes("awps_reconnection_token=***"))).toBe(true);
    expect(lines.some((l) => l.includes("is invalid"))).toBe(true);
    expect(ScriptedWebSocket.instances).toHaveLength(3);
    for (const l of lines) {
      expect(l).not.toContain(ACCESS);
      expect(l).not.toContain(RECONN);
    }
  });

  it("the core itself only logs redacted URLs (fake runtime logger, which does not redact)", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient(URL_, {}, rt);
    const socket = await connect(client, rt, "c1", RECONN);
    socket.drop(1006);
    await settle();
    rt.last().drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    rt.last().recover();
    await settle();
    await client.stop();
    expect(rt.logs.some((l) => l.includes("recovering through"))).toBe(true);
    for (const l of rt.logs) {
      expect(l).not.toContain(ACCESS);
      expect(l).not.toContain(RECONN);
    }
  });

  it("the start() error for an uncreatable socket does not carry the token", async () => {
    ScriptedWebSocket.throwOnCreate = true;
    try {
      const client = new WebPubSubClient(URL_, { WebSocket: ScriptedWebSocket as never });
      const err = await client.start().catch((e) => e);
      expect(err.message).toContain("access_token=***");
      expect(err.message).not.toContain(ACCESS);
    } finally {
      ScriptedWebSocket.throwOnCreate = false;
    }
  });

  it("a logger that throws breaks nothing; the default is silent", async () => {
    ScriptedWebSocket.instances = [];
    const boom = () => {
      throw new Error("logger down");
    };
    const client = new WebPubSubClient(URL_, { WebSocket: ScriptedWebSocket as never, logger: { debug: boom, info: boom, warn: boom, error: boom } });
    const started = client.start();
    await settle();
    ScriptedWebSocket.instances[0].accept("c1", "t");
    await started;
    expect(client.state).toBe("connected");
    await client.stop();
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
    const quiet = new WebPubSubClient(URL_, { WebSocket: ScriptedWebSocket as never });
    const s2 = quiet.start();
    await settle();
    ScriptedWebSocket.instances.at(-1)!.accept("c2", "t");
    await s2;
    await quiet.stop();
    for (const s of spies) {
      expect(s).not.toHaveBeenCalled();
      s.mockRestore();
    }
  });
});

describe("redactUrl", () => {
  it("hides both tokens wherever they appear, keeping the rest readable", async () => {
    const { redactUrl } = await import("../../src/utils/redact.js");
    expect(redactUrl("wss://h/x?access_token=a.b.c&awps_connection_id=c1&awps_reconnection_token=t%2B1#f")).toBe(
      "wss://h/x?access_token=***&awps_connection_id=c1&awps_reconnection_token=***#f",
    );
    expect(redactUrl("wss://h/x?Access_Token=abc")).toBe("wss://h/x?Access_Token=***");
    expect(redactUrl("The URL 'wss://h/x?access_token=abc' is invalid")).toBe("The URL 'wss://h/x?access_token=***' is invalid");
    expect(redactUrl("wss://h/x?q=access_token=abc")).toBe("wss://h/x?q=access_token=abc");
  });
});

describe("huge delays", () => {
  it("delays beyond 2^31-1 ms mean 'practically never', not 'at once' (no resend or ping storm)", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient(
      URL_,
      { ackTimeoutInMs: 2 ** 32, keepAliveIntervalInMs: Infinity, keepAliveTimeoutInMs: Infinity, messageRetryOptions: { retryDelayInMs: 1e12 } },
      rt,
    );
    const socket = await connect(client, rt);
    const send = client.sendEvent("e", "x", "text");
    const retried = client.sendEvent("e", "y", "text");
    socket.ack(2, { name: "InternalServerError", message: "" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(socket.frames().filter((f) => f.type !== "ping").map((f) => [f.type, f.ackId])).toEqual([
      ["event", 1],
      ["event", 2],
    ]);
    expect(socket.framesOfType("ping").length).toBeLessThanOrEqual(1); // one probe for the waiting operations
    socket.ack(1);
    await expect(send).resolves.toEqual({ ackId: 1, isDuplicated: false });
    const caught = retried.catch((e) => e);
    await client.stop();
    expect((await caught).ackId).toBe(2);
  });
});

// A deterministic runtime for the core: sockets the test drives by hand, the host's
// (fake, under vi.useFakeTimers) timers and clocks, a fixed random, and a network switch.
import { afterEach, beforeEach, expect, vi } from "vitest";
import type { NetworkMonitor, Runtime } from "../../src/core/runtime.js";
import { WebPubSubClient, type WebPubSubClientOptions } from "../../src/index.js";
import type { Transport, TransportHandlers } from "../../src/transport/transport.js";

export class FakeSocket implements Transport {
  readonly sent: Array<string | ArrayBuffer> = [];
  closedWith?: { code?: number; reason?: string };
  aborted = false;
  /** When false, close() does not answer with a close event (a hung peer). */
  answerClose = true;
  /** When true, the service answers each `ping` with a `pong` (a microtask later), as the real one does. */
  answerPings = false;

  constructor(
    readonly url: string,
    readonly subprotocol: string,
    private readonly handlers: TransportHandlers,
  ) {}

  /** On a closed socket a frame is dropped silently, as `ws` and browsers do. */
  send(data: string | ArrayBuffer): void {
    if (this.closedWith || this.aborted) return;
    this.sent.push(data);
    if (this.answerPings && data === '{"type":"ping"}') {
      queueMicrotask(() => void (!this.closedWith && !this.aborted && this.receive({ type: "pong" })));
    }
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    if (this.answerClose) queueMicrotask(() => this.handlers.onClose(code ?? 1005, reason ?? ""));
  }

  abort(): void {
    this.aborted = true;
  }

  // ---- the server's side ----
  open(): void {
    this.handlers.onOpen();
  }

  receive(frame: object | string | ArrayBuffer): void {
    this.handlers.onMessage(typeof frame === "string" || frame instanceof ArrayBuffer ? frame : JSON.stringify(frame));
  }

  /** Opens and sends the `connected` system frame. */
  accept(connectionId = "conn-1", reconnectionToken: string | undefined = "token-1", userId?: string): void {
    this.open();
    this.receive({ type: "system", event: "connected", connectionId, reconnectionToken, userId });
  }

  /** Opens and answers the client's ping: the service confirms a recovered session. */
  recover(): void {
    this.open();
    this.receive({ type: "pong" });
  }

  /** The peer closes (or the network drops: 1006). */
  drop(code = 1006, reason = ""): void {
    this.handlers.onClose(code, reason);
  }

  /** Frames the client sent, parsed. */
  frames(): Array<Record<string, any>> {
    return this.sent.map((d) => JSON.parse(typeof d === "string" ? d : new TextDecoder().decode(d)));
  }

  framesOfType(type: string): Array<Record<string, any>> {
    return this.frames().filter((f) => f.type === type);
  }

  ack(ackId: number, error?: { name: string; message: string }): void {
    this.receive(error ? { type: "ack", ackId, success: false, error } : { type: "ack", ackId, success: true });
  }
}

export class FakeNetwork implements NetworkMonitor {
  private online = true;
  private readonly listeners = new Set<(online: boolean) => void>();

  isOnline(): boolean {
    return this.online;
  }

  subscribe(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(online: boolean): void {
    this.online = online;
    for (const l of [...this.listeners]) l(online);
  }

  /** The page is active again (visibilitychange to visible, pageshow, resume). */
  wake(): void {
    for (const l of [...this.listeners]) l(this.online);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

export interface FakeRuntime extends Runtime {
  /** Whether sockets opened from now on answer pings (default true; false: a silent service). */
  answerPings: boolean;
  sockets: FakeSocket[];
  last(): FakeSocket;
  network: FakeNetwork;
  logs: string[];
}

export function fakeRuntime(random = () => 0.5): FakeRuntime {
  const sockets: FakeSocket[] = [];
  const logs: string[] = [];
  const log = (level: string) => (m: string) => void logs.push(`${level}: ${m}`);
  const rt: FakeRuntime = {
    answerPings: true,
    sockets,
    last: () => {
      const s = sockets[sockets.length - 1];
      if (!s) throw new Error("no socket was opened");
      return s;
    },
    transport(url, subprotocol, handlers) {
      const socket = new FakeSocket(url, subprotocol, handlers);
      socket.answerPings = rt.answerPings;
      sockets.push(socket);
      return socket;
    },
    timers: {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    },
    // Under vi.useFakeTimers both are fake; vi.setSystemTime moves only the wall clock
    // (as a machine that slept, or a clock set by hand).
    clock: { now: () => performance.now(), wall: () => Date.now() },
    abortController: () => new AbortController(),
    random,
    network: new FakeNetwork(),
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    logs,
  };
  return rt;
}

// ---- helpers shared by the client tests ----

/**
 * Registers per-test hooks: fake timers, and a failure when a promise rejection went
 * unhandled during the test (the client must never reject a promise nobody holds).
 */
export function useFakeTimersAndRejectionGuard(): void {
  let unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  beforeEach(() => {
    vi.useFakeTimers();
    unhandled = [];
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await new Promise((r) => setImmediate(r)); // Node reports unhandled rejections before this runs
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toEqual([]);
  });
}

/** Lets pending promise callbacks and zero-delay timers run. */
export async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

interface Startable {
  start(options?: { abortSignal?: AbortSignal }): Promise<void>;
}

/** Starts `client` and has the service accept it; returns the live socket. */
export async function connect(
  client: Startable,
  rt: FakeRuntime,
  connectionId = "conn-1",
  reconnectionToken: string | undefined = "token-1",
  userId?: string,
): Promise<FakeSocket> {
  const started = client.start();
  await settle();
  const socket = rt.last();
  socket.accept(connectionId, reconnectionToken, userId);
  await started;
  await settle();
  return socket;
}

/**
 * A client on `rt`, started and accepted as connection "c1" (token "t1"), its events
 * recorded from then on.
 */
export async function liveClient(rt: FakeRuntime, url: string, options: WebPubSubClientOptions = {}) {
  const client = new WebPubSubClient(url, options, rt);
  const events = recordEvents(client);
  const socket = await connect(client, rt, "c1", "t1");
  events.length = 0;
  return { client, events, socket };
}

/** Records every event a client emits, in order. */
export function recordEvents(client: { on(event: any, listener: (e: any) => void): void }): Array<[string, any]> {
  const log: Array<[string, any]> = [];
  for (const name of [
    "connected",
    "disconnected",
    "stopped",
    "server-message",
    "group-message",
    "rejoin-group-failed",
    "recovering",
    "recovered",
  ]) {
    client.on(name, (e: any) => void log.push([name, e]));
  }
  return log;
}

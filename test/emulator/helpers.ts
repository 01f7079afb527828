/** Test helpers: raw WebSocket clients that let a test await the next frame or the close. */
import { once } from "node:events";
import { WebSocket, type RawData } from "ws";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index";

export const JSON_PROTOCOL = "json.webpubsub.azure.v1";
export const RELIABLE_PROTOCOL = "json.reliable.webpubsub.azure.v1";

export type Frame = Record<string, unknown> & { type?: string };

const DEFAULT_WAIT_MS = 5000;

/** A WebSocket whose messages queue up until a test asks for them. */
export class TestClient {
  readonly messages: Array<{ data: Buffer; isBinary: boolean }> = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;
  private closeWaiters: Array<(c: { code: number; reason: string }) => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: RawData, isBinary: boolean) => {
      this.messages.push({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary });
      this.wake();
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters) w(this.closed);
      this.closeWaiters = [];
      this.wake();
    });
    ws.on("error", () => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The next raw message; rejects when the socket closes first or after `timeoutMs`. */
  async nextRaw(timeoutMs = DEFAULT_WAIT_MS): Promise<{ data: Buffer; isBinary: boolean }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.shift();
      if (m) return m;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting for a message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a message");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async next(timeoutMs?: number): Promise<Frame> {
    const m = await this.nextRaw(timeoutMs);
    return JSON.parse(m.data.toString("utf8")) as Frame;
  }

  /** Skips frames until one satisfies `predicate`. */
  async nextWhere(predicate: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame> {
    for (;;) {
      const f = await this.next(timeoutMs);
      if (predicate(f)) return f;
    }
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Sends a frame with an ackId and returns the matching ack (other frames before it are kept). */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    this.send(frame);
    const ackId = frame.ackId;
    for (let i = 0; ; i++) {
      const m = this.messages.findIndex((x) => {
        try {
          const f = JSON.parse(x.data.toString()) as Frame;
          return f.type === "ack" && f.ackId === ackId;
        } catch {
          return false;
        }
      });
      if (m >= 0) return JSON.parse(this.messages.splice(m, 1)[0]!.data.toString()) as Frame;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) before the ack`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (i > DEFAULT_WAIT_MS / 50) throw new Error(`no ack for ${String(ackId)}`);
    }
  }

  waitClose(timeoutMs = DEFAULT_WAIT_MS): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for close")), timeoutMs);
      this.closeWaiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

/** Opens a WebSocket; rejects with `HTTP <status>` when the handshake is refused. */
export async function open(url: string, protocol?: string | string[], headers?: Record<string, string>): Promise<TestClient> {
  const ws = new WebSocket(url, protocol ?? [], headers ? { headers } : {});
  const client = new TestClient(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        reject(new HandshakeError(res.statusCode ?? 0, Buffer.concat(chunks).toString()));
        ws.terminate();
      });
    });
    ws.once("error", reject);
  });
  return client;
}

export class HandshakeError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body}`);
  }
}

/** Opens a JSON-subprotocol client and returns it with its `connected` frame. */
export async function connect(
  emu: Emulator,
  hub: string,
  opts: { userId?: string; roles?: string[]; groups?: string[]; protocol?: string } = {},
): Promise<{ client: TestClient; connected: Frame; connectionId: string }> {
  const url = await emu.getClientAccessUrl(hub, opts);
  const client = await open(url, opts.protocol ?? RELIABLE_PROTOCOL);
  const connected = await client.next();
  return { client, connected, connectionId: String(connected.connectionId) };
}

/** Starts an emulator and registers it to be closed after the test. */
export async function withEmulator(onCleanup: (fn: () => Promise<void>) => void, options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator(options);
  onCleanup(() => emu.close());
  return emu;
}

export function nextEvent<T = unknown>(emitter: import("node:events").EventEmitter, name: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  return once(emitter, name, { signal: AbortSignal.timeout(timeoutMs) }).then((args) => args[0] as T);
}

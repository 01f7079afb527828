/**
 * Attacks on the local service by clients with a valid token and no roles (the issue-10 list):
 * each runs until its signal aborts, reconnecting whenever the service closes it, and keeps
 * its own CPU use low so that what the good neighbour sees is the service's doing.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { connect as tcpConnect, type Socket } from "node:net";
import { WebSocket } from "ws";

export interface AttackContext {
  endpoint: string;
  accessKey: string;
  /** A client access URL on the attackers' hub. */
  url(opts?: Record<string, unknown>): Promise<string>;
  signal: AbortSignal;
  /** Scales the flood rates (1: what `npm test` runs; the measurement script uses more). */
  intensity: number;
  /** Counters the attack fills in (what it managed to do). */
  stats: Record<string, number>;
}

export type Attack = (ctx: AttackContext) => Promise<void>;

export const ATTACK_HUB = "attackers";
const RELIABLE = "json.reliable.webpubsub.azure.v1";
const JSON_PROTOCOL = "json.webpubsub.azure.v1";
const MB = 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function count(ctx: AttackContext, key: string, n = 1): void {
  ctx.stats[key] = (ctx.stats[key] ?? 0) + n;
}

/** Opens a socket; resolves once it is open (or undefined if refused / closed first). */
function open(url: string, protocol?: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
    ws.on("error", () => resolve(undefined));
    ws.once("open", () => resolve(ws));
    ws.once("close", () => resolve(undefined));
    ws.once("unexpected-response", () => resolve(undefined));
  });
}

function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once("close", () => resolve())));
}

/** Runs `body` on fresh connections until the signal aborts. */
async function repeatedly(ctx: AttackContext, body: () => Promise<void>): Promise<void> {
  while (!ctx.signal.aborted) {
    try {
      await body();
    } catch {
      await sleep(20);
    }
  }
}

/** Waits for the socket to close, the signal, or `ms`. */
function until(ctx: AttackContext, ws: WebSocket, ms: number): Promise<void> {
  return Promise.race([closed(ws), sleep(ms), new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r(), { once: true }))]);
}

/** A 1 MB string in every field a frame has: type, group, event, invocationId, ackId-like numbers. */
export const oversizedFields: Attack = async (ctx) => {
  const big = "x".repeat(MB - 200);
  const frames = [
    `{"type":"${big}"}`,
    `{"type":"joinGroup","group":"${big}","ackId":1}`,
    `{"type":"event","event":"${big}","dataType":"text","data":"x","ackId":1}`,
    `{"type":"invoke","invocationId":"${big}","event":"e","dataType":"text","data":"x"}`,
    `{"type":"sendToGroup","group":"g","dataType":"${big}","data":"x","ackId":1}`,
  ];
  let i = 0;
  await repeatedly(ctx, async () => {
    const ws = await open(await ctx.url(), JSON_PROTOCOL);
    if (!ws) return;
    const answered = new Promise<void>((resolve) => ws.once("message", () => resolve()));
    ws.send(frames[i++ % frames.length]!);
    count(ctx, "frames");
    // an ack error or a `disconnected`: either way, on to the next frame
    await Promise.race([answered, until(ctx, ws, 2000)]);
    ws.terminate();
    await sleep(100 / ctx.intensity); // the point is the size of one field, not a flood of megabytes
  });
};

/**
 * A reliable client that stops reading and acknowledges ids it was never sent, while the app
 * broadcasts 64 KB messages to its hub: without the 1008 rule its unacknowledged buffer never
 * fills, and what it does not read piles up in the service.
 */
export const fakeAcks: Attack = async (ctx) => {
  const body = Buffer.alloc(64 * 1024, 0x61);
  const broadcaster = (async () => {
    while (!ctx.signal.aborted) {
      await Promise.all(
        Array.from({ length: 2 * ctx.intensity }, () =>
          restSend(ctx, `/api/hubs/${ATTACK_HUB}/:send`, body)
            .then(() => count(ctx, "broadcasts"))
            .catch(() => sleep(20)),
        ),
      );
    }
  })();
  await repeatedly(ctx, async () => {
    const ws = await open(await ctx.url(), RELIABLE);
    if (!ws) return;
    ws.pause(); // stops reading: TCP backs up into the service
    let id = 1000;
    while (ws.readyState === WebSocket.OPEN && !ctx.signal.aborted) {
      ws.send(`{"type":"sequenceAck","sequenceId":${(id += 1000)}}`);
      count(ctx, "fakeAcks");
      await sleep(10);
    }
    ws.terminate();
  });
  await broadcaster;
};

/** A reliable client that does not read and floods application pings (each answered with a pong). */
export const pongFlood: Attack = async (ctx) => {
  await repeatedly(ctx, async () => {
    const ws = await open(await ctx.url(), RELIABLE);
    if (!ws) return;
    ws.pause();
    while (ws.readyState === WebSocket.OPEN && !ctx.signal.aborted) {
      const n = 100 * ctx.intensity;
      for (let i = 0; i < n; i++) ws.send('{"type":"ping"}');
      count(ctx, "pings", n);
      await sleep(10);
    }
    ws.terminate();
  });
};

/** A client that does not read and floods WebSocket-level pings (each answered with a pong frame). */
export const wsPingFlood: Attack = async (ctx) => {
  const payload = Buffer.alloc(125, 0x70);
  await repeatedly(ctx, async () => {
    const ws = await open(await ctx.url(), JSON_PROTOCOL);
    if (!ws) return;
    ws.pause();
    while (ws.readyState === WebSocket.OPEN && !ctx.signal.aborted) {
      const n = 100 * ctx.intensity;
      for (let i = 0; i < n; i++) ws.ping(payload);
      count(ctx, "wsPings", n);
      await sleep(10);
    }
    ws.terminate();
  });
};

/**
 * 64 KB user events (and simple-client messages) sent much faster than the event handler
 * answers: without a bound they queue in the service.
 */
export const upstreamFlood: Attack = async (ctx) => {
  const data = "e".repeat(64 * 1024);
  const event = `{"type":"event","event":"flood","dataType":"text","data":"${data}"}`;
  const raw = Buffer.alloc(64 * 1024, 0x62);
  const framed = repeatedly(ctx, async () => {
    const ws = await open(await ctx.url(), JSON_PROTOCOL);
    if (!ws) return;
    ws.pause();
    while (ws.readyState === WebSocket.OPEN && !ctx.signal.aborted) {
      for (let i = 0; i < ctx.intensity; i++) ws.send(event);
      count(ctx, "events", ctx.intensity);
      await sleep(10);
    }
    ws.terminate();
  });
  const simple = repeatedly(ctx, async () => {
    const ws = await open(await ctx.url());
    if (!ws) return;
    while (ws.readyState === WebSocket.OPEN && !ctx.signal.aborted) {
      for (let i = 0; i < ctx.intensity; i++) ws.send(raw);
      count(ctx, "simpleMessages", ctx.intensity);
      await sleep(10);
    }
    ws.terminate();
  });
  await Promise.all([framed, simple]);
};

/**
 * Slowloris: many sockets that send an HTTP upgrade request one byte at a time, and WebSocket
 * connections that announce a large frame and send it a few bytes at a time.
 */
export const slowloris: Attack = async (ctx) => {
  const { hostname, port } = new URL(ctx.endpoint);
  const sockets = new Set<Socket>();
  const request = Buffer.from(`GET /client/hubs/${ATTACK_HUB}?access_token=${"t".repeat(4000)} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`);
  const dribblers = Array.from({ length: 100 }, async () => {
    while (!ctx.signal.aborted) {
      const socket = tcpConnect(Number(port), hostname);
      sockets.add(socket);
      socket.on("error", () => undefined);
      let gone = false;
      socket.once("close", () => {
        gone = true;
        sockets.delete(socket);
        count(ctx, "slowHeaderSockets");
      });
      for (let i = 0; !gone && !ctx.signal.aborted; i = (i + 1) % request.length) {
        socket.write(request.subarray(i, i + 1));
        await sleep(200);
      }
      socket.destroy();
    }
  });
  const frames = Array.from({ length: 4 }, () =>
    repeatedly(ctx, async () => {
      const ws = await open(await ctx.url(), JSON_PROTOCOL);
      if (!ws) return;
      const tcp = (ws as unknown as { _socket: Socket })._socket;
      // a masked text frame announcing 1 MB - 1 of payload, then a few bytes at a time
      const header = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0x0f, 0xff, 0xff, 1, 2, 3, 4]);
      tcp.write(header);
      while (ws.readyState === WebSocket.OPEN && !ctx.signal.aborted) {
        tcp.write(Buffer.alloc(16, 0x20));
        count(ctx, "slowFrameBytes", 16);
        await sleep(100);
      }
      ws.terminate();
    }),
  );
  await Promise.all([...dribblers, ...frames]);
  for (const s of sockets) s.destroy();
};

/** No attack: the machine's own noise, for comparison. */
export const idle: Attack = (ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));

export const ATTACKS: Record<string, Attack> = {
  "oversized-fields": oversizedFields,
  "fake-acks": fakeAcks,
  "pong-flood": pongFlood,
  "ws-ping-flood": wsPingFlood,
  "upstream-flood": upstreamFlood,
  slowloris,
  idle,
};

// ---- helpers: REST with the access key, and a slow event handler ----

function signJwt(claims: Record<string, unknown>, key: string): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
  const head = `${enc({ alg: "HS256", typ: "JWT" })}.${enc(claims)}`;
  return `${head}.${createHmac("sha256", Buffer.from(key, "utf8")).update(head).digest("base64url")}`;
}

async function restSend(ctx: AttackContext, path: string, body: Buffer): Promise<void> {
  const url = `${ctx.endpoint}${path}`;
  const now = Math.floor(Date.now() / 1000);
  const res = await fetch(`${url}?api-version=2024-01-01`, {
    method: "POST",
    headers: { Authorization: `Bearer ${signJwt({ aud: url, iat: now, exp: now + 300 }, ctx.accessKey)}`, "Content-Type": "application/octet-stream" },
    body: new Uint8Array(body),
    signal: ctx.signal,
  });
  await res.arrayBuffer();
}

/** An event handler that allows every origin, answers system events at once and each user event after `delayMs`. */
export async function slowEventHandler(delayMs: number): Promise<{ url: string; server: Server; events: () => number }> {
  let events = 0;
  const server = createServer((req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      return;
    }
    const system = String(req.headers["ce-type"] ?? "").startsWith("azure.webpubsub.sys.");
    req.resume();
    req.on("end", () => {
      if (system) {
        res.writeHead(204).end();
        return;
      }
      events++;
      setTimeout(() => res.writeHead(204).end(), delayMs);
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/events/{event}`, server, events: () => events };
}

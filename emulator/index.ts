/**
 * The local Web PubSub service: `startEmulator()`. Node only, in memory, one HTTP server that
 * takes WebSocket upgrades at `/client/hubs/{hub}` (and `/client?hub=`) and the REST API at `/api`.
 *
 * Choices where PROTOCOL.md leaves room:
 * - Protobuf subprotocols are refused with HTTP 400 (not implemented); an unknown subprotocol
 *   is echoed and the client is treated as a simple WebSocket client.
 * - A message over 1 MB closes the connection with 1009 after a `disconnected` frame; a
 *   reliable session survives it (only 1008 ends a session). Above 16 MB `ws` closes 1009 itself.
 * - A client that closes its socket with 1000 or no code has left: its reliable session ends
 *   at once. Any other loss (1001, 1006, 4xxx, ...) keeps the session for `sessionTtlMs`.
 * - Invalid group names get the ack error `BadRequest`. A fire-and-forget request that fails
 *   (Forbidden, BadRequest) closes with 1008; a failed fire-and-forget *event* is ignored.
 * - A failed ackId (any error) is forgotten so it can be retried; a successful one is answered
 *   `Duplicate` from then on (the most recent 100,000 per connection are remembered).
 * - REST closes (connection/user/group/all) use 1008: the session is gone.
 * - `faults.pause` lasts until `resume`, across recoveries.
 * - REST "add user to group" also applies to the user's later connections.
 */
import type { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { buildConnectionString } from "./auth/connection-string";
import { signJwt } from "./auth/jwt";
import { clip } from "./protocol/clip";
import { isValidHubName } from "./protocol/names";
import { handleClientMessage } from "./requests/dispatch";
import { handleRestRequest } from "./rest/handler";
import { answerClientError, sendError } from "./rest/http";
import { chosenProtocols, handleClientUpgrade, refuse } from "./sessions/handshake";
import { Service } from "./sessions/service";
import { createFaults, type Faults } from "./testing/faults";
import { registerTestHooks } from "./testing/hooks";
import { Upstream } from "./upstream/upstream";

export { parseConnectionString, buildConnectionString, type ParsedConnectionString } from "./auth/connection-string";
export type { Faults } from "./testing/faults";
export type { ConnectionEvent } from "./sessions/service";
export { signJwt, verifyJwt } from "./auth/jwt";
/** Test/bench hook (in-process only): see emulator/testing/hooks.ts. */
export { testHooks, type TestHooks } from "./testing/hooks";

/** The access key used when none is given. For local development only. */
export const DEFAULT_ACCESS_KEY = "webpubsub-emulator-dev-key-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** The real service's keep-alive default (PROTOCOL §4). */
export const DEFAULT_PING_INTERVAL_MS = 20_000;

/** A request whose headers have not all arrived by then is answered 408 and closed (slowloris). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** ws stops reading a message past this size (close 1009 with no `disconnected` frame); up to it the service answers itself. */
const WS_MAX_PAYLOAD = 16 * 1024 * 1024;

export interface EmulatorOptions {
  /** 0 = any free port (the default). */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  accessKey?: string;
  /** Upstream URL template for events; may contain `{event}` and `{hub}`. */
  eventHandler?: string;
  /** How long a dropped reliable session is kept (default 30000). */
  sessionTtlMs?: number;
  /** WebSocket-level pings to every client this often (default 20000, as Azure; 0 turns them off). */
  pingIntervalMs?: number;
  /** A request (or WebSocket upgrade) whose headers have not all arrived by then gets 408 (default 10000; slowloris). */
  headersTimeoutMs?: number;
  logger?: (line: string) => void;
}

export interface ClientAccessUrlOptions {
  userId?: string;
  roles?: string[];
  groups?: string[];
  expiresInMinutes?: number;
}

export interface EmulatorConnectionInfo {
  hub: string;
  connectionId: string;
  userId?: string;
  groups: string[];
  subprotocol?: string;
  /** Whether a socket is attached now (false while a dropped reliable session waits for recovery). */
  connected: boolean;
}

export interface Emulator {
  endpoint: string;
  port: number;
  connectionString: string;
  getClientAccessUrl(hub: string, opts?: ClientAccessUrlOptions): Promise<string>;
  /** Closes every socket and the server; idempotent. */
  close(): Promise<void>;
  connections(hub?: string): EmulatorConnectionInfo[];
  /** Emits "connect" | "disconnect" | "recover" (and "drop": a reliable socket was lost, session kept) with {hub, connectionId, userId}; "disconnect" adds `reason`. */
  events: EventEmitter;
  faults: Faults;
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const accessKey = options.accessKey ?? DEFAULT_ACCESS_KEY;
  const sessionTtlMs = options.sessionTtlMs ?? 30_000;
  if (!Number.isFinite(sessionTtlMs) || sessionTtlMs < 0) throw new RangeError("sessionTtlMs must be a non-negative number");
  const pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  if (!Number.isFinite(headersTimeout) || headersTimeout <= 0) throw new RangeError("headersTimeoutMs must be a positive number");
  if (!Number.isFinite(pingIntervalMs) || pingIntervalMs < 0) throw new RangeError("pingIntervalMs must be a non-negative number");
  const service = new Service({ accessKey, sessionTtlMs, pingIntervalMs, log: options.logger ?? (() => undefined), handleMessage: handleClientMessage });
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: WS_MAX_PAYLOAD,
    autoPong: false, // the service answers pings itself, within the outgoing bounds (sessions/service.ts)
    handleProtocols: (_protocols: Set<string>, req: IncomingMessage) => chosenProtocols.get(req) ?? false,
  });
  wss.on("error", (err) => service.log(`websocket server error: ${err.message}`));

  const sockets = new Set<Socket>();
  // slowloris: headers must arrive within 10 s, checked every second (Node's default check is every 30 s)
  const server = createServer({ headersTimeout, requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout), connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/api" || path.startsWith("/api/")) {
      void handleRestRequest(service, req, res);
    } else if (path.startsWith("/client")) {
      sendError(req, res, 400, "BadRequest", "Clients connect here with a WebSocket upgrade.");
    } else {
      sendError(req, res, 404, "NotFound", `No operation at ${clip(path, 200)}.`);
    }
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => answerClientError(err, socket));
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleClientUpgrade(service, wss, req, socket, head).catch((err: unknown) => {
      service.log(`handshake failed: ${String(err)}`);
      refuse(socket, 500, "The service failed to handle the handshake.");
    });
  });

  await listen(server, options.port ?? 0, host);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  // Listening on every interface: advertise localhost, which is what local clients use.
  const advertised = host === "0.0.0.0" || host === "::" ? "localhost" : hostForUrl(host);
  const endpoint = `http://${advertised}:${port}`;
  if (options.eventHandler) service.upstream = new Upstream(options.eventHandler, accessKey, `${advertised}:${port}`, service.shutdown.signal, (line) => service.log(line));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const open = service.closeAll();
      await new Promise<void>((resolve) => {
        let pending = open.length;
        const timer = setTimeout(resolve, 500);
        timer.unref();
        if (pending === 0) resolve();
        for (const ws of open) {
          ws.once("close", () => {
            if (--pending === 0) resolve();
          });
        }
      });
      for (const ws of open) ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      wss.close();
    })();
    return closing;
  };

  const emulator: Emulator = {
    endpoint,
    port,
    connectionString: buildConnectionString(endpoint, accessKey),
    async getClientAccessUrl(hub: string, opts: ClientAccessUrlOptions = {}): Promise<string> {
      if (!isValidHubName(hub)) throw new TypeError(`Invalid hub name '${hub}'`);
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = { aud: `${endpoint}/client/hubs/${hub}`, iat: now, exp: now + Math.round((opts.expiresInMinutes ?? 60) * 60) };
      if (opts.userId !== undefined) claims.sub = opts.userId;
      if (opts.roles && opts.roles.length > 0) claims.role = opts.roles;
      if (opts.groups && opts.groups.length > 0) claims["webpubsub.group"] = opts.groups;
      const token = signJwt(claims, accessKey);
      return `${endpoint.replace(/^http/, "ws")}/client/hubs/${hub}?access_token=${token}`;
    },
    close,
    connections(hub?: string): EmulatorConnectionInfo[] {
      const key = hub?.toLowerCase();
      return [...service.connections.values()]
        .filter((c) => key === undefined || c.hub.toLowerCase() === key)
        .map((c) => ({
          hub: c.hub,
          connectionId: c.id,
          ...(c.userId === undefined ? {} : { userId: c.userId }),
          groups: [...c.groups],
          ...(c.subprotocol === undefined ? {} : { subprotocol: c.subprotocol }),
          connected: c.socket !== undefined,
        }));
    },
    events: service.events,
    faults: createFaults(service),
  };
  registerTestHooks(emulator, service); // test/bench hook: emulator/testing/hooks.ts
  return emulator;
}

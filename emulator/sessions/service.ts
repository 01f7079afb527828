/** The service state: hubs and connections, and the life of each connection and its sockets. */
import { randomBytes } from "node:crypto";
import { EventEmitter, setMaxListeners } from "node:events";
import type { RawData, WebSocket } from "ws";
import type { DownstreamFrame } from "../protocol/codec";
import { clip, MAX_LOG_LINE_CHARS } from "../protocol/clip";
import { hubKey } from "../protocol/names";
import type { ProtocolKind } from "../protocol/subprotocols";
import type { Upstream } from "../upstream/upstream";
import { ClientSocket } from "./client-socket";
import { Connection } from "./connection";
import { Hub } from "./hub";
import { endStreamsOf } from "./streams";

/** Executes one WebSocket message of a connection (requests/dispatch.ts), injected to keep this file free of request logic. */
export type MessageHandler = (service: Service, conn: Connection, sock: ClientSocket, data: Buffer, isBinary: boolean) => void;

export interface ServiceOptions {
  accessKey: string;
  sessionTtlMs: number;
  /** WebSocket-level pings to every socket, this often (0: none). */
  pingIntervalMs: number;
  log: (line: string) => void;
  handleMessage: MessageHandler;
}

export interface AcceptInit {
  id: string;
  hub: string;
  userId?: string;
  roles: string[];
  groups: string[];
  kind: ProtocolKind;
  subprotocol?: string;
  states: Record<string, unknown>;
}

/** Payload of the emulator's "connect" | "disconnect" | "recover" | "drop" events. */
export interface ConnectionEvent {
  hub: string;
  connectionId: string;
  userId?: string;
  /** "disconnect" only: why the session ended (the close reason, e.g. "SlowClient"). */
  reason?: string;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function connectedFrame(conn: Connection): DownstreamFrame {
  return {
    type: "connected",
    connectionId: conn.id,
    ...(conn.userId === undefined ? {} : { userId: conn.userId }),
    ...(conn.session ? { reconnectionToken: conn.session.reconnectionToken } : {}),
  };
}

export class Service {
  readonly hubs = new Map<string, Hub>();
  readonly connections = new Map<string, Connection>();
  readonly events = new EventEmitter();
  readonly shutdown = new AbortController();
  upstream: Upstream | undefined;
  closing = false;

  private readonly pinger: NodeJS.Timeout | undefined;

  constructor(readonly options: ServiceOptions) {
    setMaxListeners(0, this.shutdown.signal); // every upstream call in flight listens to it
    if (options.pingIntervalMs > 0) {
      this.pinger = setInterval(() => this.pingAll(), options.pingIntervalMs);
      this.pinger.unref();
    }
  }

  /** Sends a WebSocket ping on every attached socket (PROTOCOL §4: the real service does, every 20 s by default). */
  private pingAll(): void {
    for (const conn of this.connections.values()) {
      conn.socket?.ping();
      conn.checkOutbound();
    }
  }

  /** Logs one line, cut to {@link MAX_LOG_LINE_CHARS} (lines may quote client input). */
  log(line: string): void {
    try {
      this.options.log(clip(line, MAX_LOG_LINE_CHARS));
    } catch {
      // a failing logger must not break the service
    }
  }

  private emit(event: "connect" | "disconnect" | "recover" | "drop", conn: Connection, reason?: string): void {
    const payload: ConnectionEvent = reason === undefined ? conn.describe() : { ...conn.describe(), reason };
    const who = `hub=${conn.hub} connectionId=${conn.id}${conn.userId === undefined ? "" : ` userId=${conn.userId}`}`;
    this.log(`${event} ${who}`);
    try {
      this.events.emit(event, payload);
    } catch (err) {
      this.log(`a "${event}" listener threw: ${String(err)}`);
    }
  }

  newConnectionId(): string {
    let id: string;
    do id = randomBytes(16).toString("base64url");
    while (this.connections.has(id));
    return id;
  }

  hub(name: string): Hub {
    const key = hubKey(name);
    let hub = this.hubs.get(key);
    if (!hub) this.hubs.set(key, (hub = new Hub(name)));
    return hub;
  }

  /** Forgets a hub that holds nothing (no connections, groups or user memberships). */
  releaseHub(hub: Hub): void {
    const key = hubKey(hub.name);
    if (hub.isEmpty && this.hubs.get(key) === hub) this.hubs.delete(key);
  }

  hubOf(conn: Connection): Hub {
    return this.hub(conn.hub);
  }

  /** Registers a brand-new connection on an open WebSocket and sends `connected`. */
  accept(ws: WebSocket, init: AcceptInit): Connection {
    const conn = new Connection({
      id: init.id,
      hub: this.hub(init.hub).name,
      ...(init.userId === undefined ? {} : { userId: init.userId }),
      roles: init.roles,
      kind: init.kind,
      ...(init.subprotocol === undefined ? {} : { subprotocol: init.subprotocol }),
      states: init.states,
      onSlow: (c) => this.closeConnection(c, 1008, "SlowClient"),
    });
    const hub = this.hubOf(conn);
    hub.add(conn);
    this.connections.set(conn.id, conn);
    for (const group of init.groups) hub.join(conn, group);
    this.attachSocket(conn, ws);
    conn.send(connectedFrame(conn));
    this.emit("connect", conn);
    const upstream = this.upstream;
    if (upstream) {
      void conn.enqueueUpstream(async () => {
        try {
          await upstream.send("connected", "connected", this.upstreamContext(conn), { contentType: "application/json", data: Buffer.from("{}") });
        } catch (err) {
          this.log(`upstream connected event for ${conn.id} failed: ${String(err)}`);
        }
      });
    }
    return conn;
  }

  upstreamContext(conn: Connection): { hub: string; connectionId: string; userId?: string; subprotocol?: string; states: Record<string, unknown> } {
    return {
      hub: conn.hub,
      connectionId: conn.id,
      ...(conn.userId === undefined ? {} : { userId: conn.userId }),
      ...(conn.subprotocol === undefined ? {} : { subprotocol: conn.subprotocol }),
      states: conn.states,
    };
  }

  private attachSocket(conn: Connection, ws: WebSocket): void {
    const sock = new ClientSocket(ws, conn.codec);
    conn.attach(sock);
    ws.on("message", (data: RawData, isBinary: boolean) => {
      try {
        this.options.handleMessage(this, conn, sock, toBuffer(data), isBinary);
      } catch (err) {
        this.log(`error handling a message from ${conn.id}: ${String(err)}`);
      }
    });
    ws.on("error", (err) => this.log(`socket error on ${conn.id}: ${err.message}`));
    // pongs are sent here, not by ws, so that they count against the outgoing bounds
    ws.on("ping", (data: Buffer) => {
      if (conn.socket !== sock) return;
      sock.pong(data);
      conn.checkOutbound();
    });
    ws.on("close", (code: number) => {
      try {
        this.onSocketClosed(conn, sock, code);
      } catch (err) {
        this.log(`error handling the close of ${conn.id}: ${String(err)}`);
      }
    });
  }

  /** Puts a recovered reliable connection on its new socket: `connected`, then every unacked message in order. */
  recover(conn: Connection, ws: WebSocket): void {
    const session = conn.session;
    if (!session) return;
    const old = conn.socket;
    if (old) {
      conn.detach();
      old.terminate("replaced");
    }
    session.cancelExpiry();
    this.attachSocket(conn, ws);
    conn.send(connectedFrame(conn));
    for (const frame of session.unacked()) conn.write(frame);
    this.emit("recover", conn);
  }

  /**
   * Closes a connection on the service's initiative: `disconnected` frame, then the close code.
   * 1008 (and any close of a non-reliable connection) ends it; other codes keep a reliable session.
   */
  closeConnection(conn: Connection, code: number, message: string): void {
    if (conn.ended) return;
    const endSession = code === 1008 || !conn.reliable;
    const sock = conn.socket;
    if (sock) sock.close(code, message, endSession ? "endSession" : "keepSession");
    if (endSession) this.endConnection(conn, message);
  }

  /** The connection is gone for good: leave every group, forget it, tell listeners and upstream. */
  endConnection(conn: Connection, reason: string): void {
    if (conn.ended) return;
    conn.ended = true;
    conn.session?.cancelExpiry();
    for (const controller of conn.invocations.values()) controller.abort();
    conn.invocations.clear();
    conn.lifetime.abort();
    endStreamsOf(this, conn); // group streams: a publisher's open streams end with it
    const hub = this.hubOf(conn);
    hub.remove(conn);
    this.releaseHub(hub);
    this.connections.delete(conn.id);
    const sock = conn.socket;
    conn.detach();
    if (sock && sock.fate === "open") sock.close(1000, reason, "endSession");
    this.emit("disconnect", conn, reason);
    const upstream = this.upstream;
    if (upstream && !this.closing) {
      void conn.enqueueUpstream(async () => {
        try {
          await upstream.send("disconnected", "disconnected", this.upstreamContext(conn), {
            contentType: "application/json",
            data: Buffer.from(JSON.stringify({ reason })),
          });
        } catch (err) {
          this.log(`upstream disconnected event for ${conn.id} failed: ${String(err)}`);
        }
      });
    }
  }

  private onSocketClosed(conn: Connection, sock: ClientSocket, code: number): void {
    if (conn.socket !== sock) return; // replaced by a recovery, or the connection already ended
    conn.detach();
    if (conn.ended) return;
    const clientLeft = sock.fate === "open" && (code === 1000 || code === 1005);
    const session = conn.session;
    if (!session || sock.fate === "endSession" || clientLeft || this.closing) {
      this.endConnection(conn, clientLeft ? "The client closed the connection." : `The connection closed with code ${code}.`);
      return;
    }
    session.startExpiry(this.options.sessionTtlMs, () => this.endConnection(conn, "The reliable session expired before the client recovered it."));
    this.emit("drop", conn);
  }

  /** Ends every connection (service shutdown) and returns their sockets, closing. */
  closeAll(): WebSocket[] {
    this.closing = true;
    if (this.pinger) clearInterval(this.pinger);
    this.shutdown.abort();
    const sockets: WebSocket[] = [];
    for (const conn of [...this.connections.values()]) {
      const sock = conn.socket;
      if (sock) {
        sockets.push(sock.ws);
        sock.close(1001, "The service is shutting down.", "endSession");
      }
      this.endConnection(conn, "The service is shutting down.");
    }
    return sockets;
  }
}

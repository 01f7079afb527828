/** The WebSocket handshake at `/client/hubs/{hub}`: auth, recovery, subprotocol, upstream `connect`. */
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import { audienceMatches, stringListClaim, verifyJwt, type JwtClaims } from "../auth/jwt";
import { clip, MAX_QUOTED_CHARS } from "../protocol/clip";
import { codecFor } from "../protocol/codecs";
import { groupNameError, isValidHubName } from "../protocol/names";
import { chooseProtocol, kindOf, parseOfferedProtocols, type ProtocolKind } from "../protocol/subprotocols";
import { decodeStates } from "../upstream/states";
import { MAX_GROUPS_PER_CONNECTION } from "./limits";
import type { Service } from "./service";

/** Subprotocol chosen for each pending handshake, read back by the WebSocketServer's `handleProtocols`. */
export const chosenProtocols = new WeakMap<IncomingMessage, string | false>();

export function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message, "utf8");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${message}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

interface ClientTarget {
  hub: string;
  url: URL;
}

/** Accepts `/client/hubs/{hub}` and `/client?hub={hub}` (trailing slashes allowed). */
function parseTarget(req: IncomingMessage): ClientTarget | { status: number; message: string } {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://localhost");
  } catch {
    return { status: 400, message: "Malformed request URL." };
  }
  const path = url.pathname.replace(/\/+$/, "");
  let rawHub: string | null = null;
  const match = /^\/client\/hubs\/([^/]+)$/.exec(path);
  if (match) rawHub = match[1]!;
  else if (path === "/client") rawHub = url.searchParams.get("hub");
  else return { status: 404, message: "Not found. Clients connect to /client/hubs/{hub}." };
  if (rawHub === null) return { status: 400, message: "The hub name is missing." };
  let hub: string;
  try {
    hub = match ? decodeURIComponent(rawHub) : rawHub;
  } catch {
    return { status: 400, message: "The hub name is not correctly percent-encoded." };
  }
  if (!isValidHubName(hub)) return { status: 400, message: `Invalid hub name '${clip(hub, MAX_QUOTED_CHARS)}': it must match ^[A-Za-z][A-Za-z0-9_\`,.[\\]]{0,127}$.` };
  return { hub, url };
}

function bearerToken(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get("access_token");
  if (fromQuery) return fromQuery;
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match ? match[1] : undefined;
}

/** The URLs a client token may name as `aud`: what was requested (via each host header) and the canonical form. */
function audienceCandidates(req: IncomingMessage, target: ClientTarget): string[] {
  const hosts = [req.headers.host, ...String(req.headers["x-forwarded-host"] ?? "").split(",")].map((h) => h?.trim()).filter((h): h is string => !!h);
  const out: string[] = [];
  for (const host of hosts) {
    out.push(`http://${host}${target.url.pathname}`);
    out.push(`http://${host}/client/hubs/${target.hub}`);
  }
  return out;
}

function toStringLists(record: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : [typeof value === "string" ? value : JSON.stringify(value)];
  }
  return out;
}

function queryLists(url: URL): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    if (key === "access_token") continue;
    (out[key] ??= []).push(value);
  }
  return out;
}

function headerLists(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || key === "authorization") continue;
    out[key] = Array.isArray(value) ? value : [value];
  }
  return out;
}

function complete(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, subprotocol: string | undefined, then: (ws: WebSocket) => void): void {
  if (socket.destroyed) return;
  chosenProtocols.set(req, subprotocol ?? false);
  wss.handleUpgrade(req, socket, head, (ws) => {
    try {
      then(ws);
    } catch {
      ws.terminate();
    }
  });
}

interface ConnectDecision {
  userId?: string;
  groups: string[];
  roles: string[];
  subprotocol?: string;
  states: Record<string, unknown>;
}

/** The blocking upstream `connect` event; a string result is the refusal (status + message). */
async function upstreamConnect(
  service: Service,
  req: IncomingMessage,
  socket: Duplex,
  ctx: { hub: string; connectionId: string; userId?: string; claims: JwtClaims; url: URL; offered: string[] },
): Promise<ConnectDecision | { status: number; message: string }> {
  const upstream = service.upstream;
  const decision: ConnectDecision = { groups: [], roles: [], states: {} };
  if (!upstream) return decision;
  const aborted = new AbortController();
  const onClose = (): void => aborted.abort();
  socket.once("close", onClose);
  try {
    const body = { claims: toStringLists(ctx.claims), query: queryLists(ctx.url), headers: headerLists(req), subprotocols: ctx.offered, clientCertificates: [] };
    const res = await upstream.send(
      "connect",
      "connect",
      { hub: ctx.hub, connectionId: ctx.connectionId, ...(ctx.userId === undefined ? {} : { userId: ctx.userId }), states: {} },
      { contentType: "application/json", data: Buffer.from(JSON.stringify(body)) },
      aborted.signal,
    );
    if (res.status >= 400 && res.status < 500) return { status: 401, message: `The event handler rejected the connection (${res.status}): ${clip(res.body.toString("utf8"), 200)}` };
    if (res.status < 200 || res.status >= 300) return { status: 500, message: `The event handler failed the connect event (${res.status}).` };
    decision.states = decodeStates(res.headers["ce-connectionstate"]) ?? {};
    if (res.body.length === 0) return decision;
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString("utf8"));
    } catch {
      return { status: 500, message: "The event handler answered the connect event with invalid JSON." };
    }
    if (typeof parsed !== "object" || parsed === null) return decision;
    const r = parsed as Record<string, unknown>;
    if (typeof r.userId === "string" && r.userId !== "") decision.userId = r.userId;
    if (Array.isArray(r.groups)) decision.groups = r.groups.filter((g): g is string => typeof g === "string");
    if (Array.isArray(r.roles)) decision.roles = r.roles.filter((g): g is string => typeof g === "string");
    if (typeof r.subprotocol === "string") decision.subprotocol = r.subprotocol;
    return decision;
  } catch (err) {
    return { status: 500, message: `The event handler could not be reached for the connect event: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    socket.off("close", onClose);
  }
}

function handleRecovery(service: Service, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, target: ClientTarget, offered: string[]): void {
  const connectionId = target.url.searchParams.get("awps_connection_id") ?? "";
  const token = target.url.searchParams.get("awps_reconnection_token") ?? "";
  const conn = service.connections.get(connectionId);
  const choice = chooseProtocol(offered);
  const subprotocol = choice.subprotocol;
  let failure: string | undefined;
  if (!conn || !conn.session || conn.ended) failure = "The connection cannot be recovered: its session is unknown or has expired.";
  else if (!conn.session.tokenMatches(token)) failure = "The connection cannot be recovered: the reconnection token is not valid for it.";
  else if (conn.hub.toLowerCase() !== target.hub.toLowerCase()) failure = "The connection cannot be recovered: it belongs to another hub.";
  else if (subprotocol?.toLowerCase() !== conn.subprotocol?.toLowerCase()) failure = "The connection cannot be recovered with a different subprotocol.";
  complete(wss, req, socket, head, subprotocol, (ws) => {
    if (failure !== undefined || !conn || conn.ended) {
      const disconnected = codecFor(choice.kind).encode({ type: "disconnected", message: failure ?? "The session has ended." });
      if (disconnected !== undefined) ws.send(disconnected);
      ws.close(1008, "Recovery failed: session unknown, expired or token invalid.");
      return;
    }
    service.recover(conn, ws);
  });
}

/** Handles an HTTP upgrade request to the client endpoint. Never throws. */
export async function handleClientUpgrade(service: Service, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on("error", () => undefined);
  if (service.closing) return refuse(socket, 503, "The service is shutting down.");
  const target = parseTarget(req);
  if ("status" in target) return refuse(socket, target.status, target.message);
  const offered = parseOfferedProtocols(req.headers["sec-websocket-protocol"]);
  if (target.url.searchParams.has("awps_connection_id") || target.url.searchParams.has("awps_reconnection_token")) {
    return handleRecovery(service, wss, req, socket, head, target, offered);
  }
  const choice = chooseProtocol(offered);

  const token = bearerToken(req, target.url);
  if (!token) return refuse(socket, 401, "An access token is required: pass access_token in the query or an Authorization: Bearer header.");
  const verified = verifyJwt(token, service.options.accessKey);
  if (!verified.ok) return refuse(socket, 401, verified.reason);
  const claims = verified.claims;
  if (!audienceMatches(claims.aud, audienceCandidates(req, target))) {
    return refuse(socket, 401, `The access token audience ${clip(JSON.stringify(claims.aud) ?? "", 300)} does not match the requested URL (hub '${target.hub}').`);
  }
  const tokenUserId = typeof claims.sub === "string" && claims.sub !== "" ? claims.sub : undefined;
  const connectionId = service.newConnectionId();
  const decision = await upstreamConnect(service, req, socket, {
    hub: target.hub,
    connectionId,
    ...(tokenUserId === undefined ? {} : { userId: tokenUserId }),
    claims,
    url: target.url,
    offered,
  });
  if ("status" in decision) return refuse(socket, decision.status, decision.message);
  if (service.closing) return refuse(socket, 503, "The service is shutting down.");

  let kind: ProtocolKind = choice.kind;
  let subprotocol = choice.subprotocol;
  const picked = decision.subprotocol;
  if (picked !== undefined && offered.includes(picked)) {
    subprotocol = picked;
    kind = kindOf(picked);
  }
  const groups = [...stringListClaim(claims, "webpubsub.group", "group"), ...decision.groups].filter((g) => groupNameError(g) === undefined);
  const roles = [...stringListClaim(claims, "role", "roles"), ...decision.roles];
  const uniqueGroups = [...new Set(groups)];
  if (uniqueGroups.length > MAX_GROUPS_PER_CONNECTION) {
    return refuse(socket, 400, `The connection would join ${uniqueGroups.length} groups; a connection can be in at most ${MAX_GROUPS_PER_CONNECTION}.`);
  }
  const userId = decision.userId ?? tokenUserId;
  complete(wss, req, socket, head, subprotocol, (ws) => {
    if (service.closing) {
      ws.terminate();
      return;
    }
    service.accept(ws, {
      id: connectionId,
      hub: target.hub,
      ...(userId === undefined ? {} : { userId }),
      roles,
      groups: uniqueGroups,
      kind,
      ...(subprotocol === undefined ? {} : { subprotocol }),
      states: decision.states,
    });
  });
}

/** The data-plane REST API under `/api/hubs/{hub}` (PROTOCOL §7), authenticated with a JWT. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { audienceMatches, signJwt, verifyJwt } from "../auth/jwt";
import { isPermission } from "../auth/permissions";
import { groupNameError, isValidHubName } from "../protocol/names";
import { payloadFromHttpBody, type Payload } from "../protocol/payload";
import { clip, MAX_QUOTED_CHARS } from "../protocol/clip";
import type { MessageSource } from "../protocol/codec";
import type { Connection } from "../sessions/connection";
import type { Hub } from "../sessions/hub";
import type { Service } from "../sessions/service";
import { BodyTooLargeError, readBody, sendEmpty, sendError, sendJson } from "./http";
import { compileFilter, FilterError } from "./odata";
import { intParam, pageOf, PagingError } from "./paging";
import { MAX_GROUPS_PER_USER, MAX_MESSAGE_BYTES } from "../sessions/limits";

const MAX_REST_JSON_BYTES = 64 * 1024;
/** The api-versions the service answers (PROTOCOL §7); others get 400. */
export const API_VERSIONS: readonly string[] = ["2021-10-01", "2022-11-01", "2024-01-01", "2024-12-01"];

class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface RestContext {
  service: Service;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  hub: Hub;
  hubName: string;
}

function clientAudience(req: IncomingMessage, hub: string): string {
  return `http://${req.headers.host ?? "localhost"}/client/hubs/${hub}`;
}

function authenticate(service: Service, req: IncomingMessage, url: URL): void {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match) throw new RestError(401, "Unauthorized", "An Authorization: Bearer <JWT> header is required.");
  const verified = verifyJwt(match[1]!, service.options.accessKey);
  if (!verified.ok) throw new RestError(401, "Unauthorized", verified.reason);
  const hosts = [req.headers.host, ...String(req.headers["x-forwarded-host"] ?? "").split(",")].map((h) => h?.trim()).filter((h): h is string => !!h);
  if (!audienceMatches(verified.claims.aud, hosts.map((h) => `http://${h}${url.pathname}`))) {
    throw new RestError(401, "Unauthorized", `The token audience ${JSON.stringify(verified.claims.aud)} does not match the request URL.`);
  }
}

function requireGroup(group: string): string {
  const invalid = groupNameError(group);
  if (invalid) throw new RestError(400, "InvalidGroupName", invalid);
  return group;
}

async function readPayload(ctx: RestContext): Promise<Payload> {
  let body: Buffer;
  try {
    body = await readBody(ctx.req, MAX_MESSAGE_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new RestError(413, "PayloadTooLarge", "The message is larger than 1 MB.");
    throw err;
  }
  const payload = payloadFromHttpBody(ctx.req.headers["content-type"], body);
  if (typeof payload === "string") throw new RestError(payload.startsWith("Unsupported") ? 415 : 400, "InvalidPayload", payload);
  return payload;
}

async function readJson(ctx: RestContext): Promise<Record<string, unknown>> {
  let body: Buffer;
  try {
    body = await readBody(ctx.req, MAX_REST_JSON_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new RestError(413, "PayloadTooLarge", "The request body is too large.");
    throw err;
  }
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new RestError(400, "InvalidBody", "The request body must be a JSON object.");
}

/** Connections passing the `filter` query (or body) parameter, if any. */
function filterOf(filter: string | null | undefined): (c: Connection) => boolean {
  if (filter === null || filter === undefined || filter.trim() === "") return () => true;
  try {
    const test = compileFilter(filter);
    return (c) => test({ ...(c.userId === undefined ? {} : { userId: c.userId }), connectionId: c.id, groups: c.groups });
  } catch (err) {
    if (err instanceof FilterError) throw new RestError(400, "InvalidFilter", err.message);
    throw err;
  }
}

function excludedOf(url: URL): Set<string> {
  return new Set(url.searchParams.getAll("excluded"));
}

function reasonOf(url: URL, fallback: string): string {
  return url.searchParams.get("reason") || fallback;
}

function closeMany(ctx: RestContext, targets: Connection[], fallbackReason: string): void {
  const excluded = excludedOf(ctx.url);
  const reason = reasonOf(ctx.url, fallbackReason);
  for (const c of targets) if (!excluded.has(c.id)) ctx.service.closeConnection(c, 1008, reason);
}

function connectionOf(ctx: RestContext, id: string): Connection | undefined {
  return ctx.hub.connections.get(id);
}

function requireConnection(ctx: RestContext, id: string): Connection {
  const c = connectionOf(ctx, id);
  if (!c) throw new RestError(404, "NotFound", `Connection '${id}' does not exist.`);
  return c;
}

function methodNotAllowed(ctx: RestContext): never {
  throw new RestError(405, "MethodNotAllowed", `${ctx.req.method ?? ""} is not allowed on ${ctx.url.pathname}.`);
}

/** Sends the body to `targets`; a send to a group arrives as a group message (PROTOCOL §4), others `from: "server"`. */
async function sendTo(ctx: RestContext, targets: Iterable<Connection>, withFilter: boolean, source: MessageSource = { from: "server" }): Promise<void> {
  const match = withFilter ? filterOf(ctx.url.searchParams.get("filter")) : () => true;
  const excluded = excludedOf(ctx.url);
  // (as Microsoft's emulator) messageTtlSeconds is validated, 0-300, but delivery is immediate: nothing is kept for offline clients
  const ttl = intParam(ctx.url.searchParams.get("messageTtlSeconds"), "messageTtlSeconds", 0, 300);
  if (typeof ttl === "string") throw new RestError(400, "InvalidMessageTtl", ttl);
  const payload = await readPayload(ctx);
  ctx.hub.deliver([...targets].filter(match), source, payload, excluded);
  sendEmpty(ctx.res, 202);
}

/** Routes `/api/hubs/{hub}/<rest...>` (segments already decoded). */
async function route(ctx: RestContext, seg: string[]): Promise<void> {
  const { req, res, hub, url, service } = ctx;
  const method = req.method ?? "GET";
  const [a, b, c, d] = seg;
  const n = seg.length;

  if (n === 1 && a === ":send") return method === "POST" ? sendTo(ctx, hub.connections.values(), true) : methodNotAllowed(ctx);
  if (n === 1 && a === ":closeConnections") {
    if (method !== "POST") methodNotAllowed(ctx);
    closeMany(ctx, [...hub.connections.values()], "The connection was closed by the server.");
    return sendEmpty(res, 204);
  }
  if (n === 1 && a === ":generateToken") {
    if (method !== "POST") methodNotAllowed(ctx);
    const minutes = Number(url.searchParams.get("minutesToExpire") ?? "60");
    if (!Number.isFinite(minutes) || minutes <= 0) throw new RestError(400, "InvalidParameter", "minutesToExpire must be a positive number.");
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { aud: clientAudience(req, ctx.hubName), iat: now, exp: now + Math.round(minutes * 60) };
    const userId = url.searchParams.get("userId");
    if (userId) claims.sub = userId;
    const roles = url.searchParams.getAll("role");
    if (roles.length > 0) claims.role = roles;
    const groups = url.searchParams.getAll("group");
    if (groups.length > 0) claims["webpubsub.group"] = groups;
    return sendJson(req, res, 200, { token: signJwt(claims, service.options.accessKey) });
  }
  if (n === 1 && (a === ":addToGroups" || a === ":removeFromGroups")) {
    if (method !== "POST") methodNotAllowed(ctx);
    const body = await readJson(ctx);
    const groups = body.groups;
    if (!Array.isArray(groups) || !groups.every((g): g is string => typeof g === "string")) throw new RestError(400, "InvalidBody", "'groups' must be an array of strings.");
    groups.forEach(requireGroup);
    const filter = body.filter;
    if (filter !== undefined && typeof filter !== "string") throw new RestError(400, "InvalidBody", "'filter' must be a string.");
    const match = filterOf(filter);
    // a connection already in as many groups as it may be in is skipped by :addToGroups
    for (const conn of [...hub.connections.values()].filter(match)) for (const g of groups) (a === ":addToGroups" ? hub.join : hub.leave).call(hub, conn, g);
    return sendEmpty(res, 200);
  }

  if (a === "users" && b !== undefined) {
    const userId = b;
    if (n === 2) {
      if (method !== "HEAD" && method !== "GET") methodNotAllowed(ctx);
      return sendEmpty(res, hub.userConnections(userId).length > 0 ? 200 : 404);
    }
    if (n === 3 && c === ":send") return method === "POST" ? sendTo(ctx, hub.userConnections(userId), true) : methodNotAllowed(ctx);
    if (n === 3 && c === ":closeConnections") {
      if (method !== "POST") methodNotAllowed(ctx);
      closeMany(ctx, hub.userConnections(userId), "The user's connections were closed by the server.");
      return sendEmpty(res, 204);
    }
    if (n === 3 && c === "groups") {
      if (method !== "DELETE") methodNotAllowed(ctx);
      hub.removeUserFromAllGroups(userId);
      return sendEmpty(res, 204);
    }
    if (n === 4 && c === "groups" && d !== undefined) {
      const group = requireGroup(d);
      if (method === "PUT") {
        if (!hub.addUserToGroup(userId, group)) throw new RestError(400, "TooManyGroups", `The user is already in as many groups as this service records for one user (${MAX_GROUPS_PER_USER}).`);
        return sendEmpty(res, 200);
      }
      if (method === "DELETE") {
        hub.removeUserFromGroup(userId, group);
        return sendEmpty(res, 204);
      }
      methodNotAllowed(ctx);
    }
  }

  if (a === "connections" && b !== undefined) {
    const id = b;
    if (n === 2) {
      if (method === "HEAD" || method === "GET") return sendEmpty(res, connectionOf(ctx, id) ? 200 : 404);
      if (method === "DELETE") {
        const conn = connectionOf(ctx, id);
        if (conn) service.closeConnection(conn, 1008, reasonOf(url, "The connection was closed by the server."));
        return sendEmpty(res, 204);
      }
      methodNotAllowed(ctx);
    }
    if (n === 3 && c === ":send") {
      if (method !== "POST") methodNotAllowed(ctx);
      const conn = connectionOf(ctx, id);
      return sendTo(ctx, conn ? [conn] : [], false);
    }
    if (n === 3 && c === "groups") {
      if (method !== "DELETE") methodNotAllowed(ctx);
      const conn = connectionOf(ctx, id);
      if (conn) hub.leaveAll(conn);
      return sendEmpty(res, 204);
    }
  }

  if (a === "groups" && b !== undefined) {
    const group = requireGroup(b);
    if (n === 2) {
      if (method !== "HEAD" && method !== "GET") methodNotAllowed(ctx);
      return sendEmpty(res, hub.groupExists(group) ? 200 : 404);
    }
    if (n === 3 && c === ":send") return method === "POST" ? sendTo(ctx, hub.groupMembers(group), true, { from: "group", group }) : methodNotAllowed(ctx);
    if (n === 3 && c === ":closeConnections") {
      if (method !== "POST") methodNotAllowed(ctx);
      closeMany(ctx, hub.groupMembers(group), "The group's connections were closed by the server.");
      return sendEmpty(res, 204);
    }
    if (n === 3 && c === "connections") {
      if (method !== "GET") methodNotAllowed(ctx);
      const top = intParam(url.searchParams.get("top"), "top", 0, 1e9);
      const maxPageSize = intParam(url.searchParams.get("maxpagesize"), "maxpagesize", 1, 1e9);
      for (const p of [top, maxPageSize]) if (typeof p === "string") throw new RestError(400, "InvalidPaging", p);
      const members = hub.groupMembers(group).map((m) => (m.userId === undefined ? { connectionId: m.id } : { connectionId: m.id, userId: m.userId }));
      const token = url.searchParams.get("continuationToken");
      let page;
      try {
        page = pageOf(members, { ...(typeof top === "number" ? { top } : {}), ...(typeof maxPageSize === "number" ? { maxPageSize } : {}), ...(token === null ? {} : { continuationToken: token }) });
      } catch (err) {
        if (err instanceof PagingError) throw new RestError(400, "InvalidPaging", err.message);
        throw err;
      }
      if (!page.continuationToken) return sendJson(req, res, 200, { value: page.items });
      const next = new URL(`http://${req.headers.host ?? "localhost"}${url.pathname}`);
      next.searchParams.set("api-version", url.searchParams.get("api-version") ?? "2024-01-01");
      if (typeof maxPageSize === "number") next.searchParams.set("maxpagesize", String(maxPageSize));
      next.searchParams.set("continuationToken", page.continuationToken);
      return sendJson(req, res, 200, { value: page.items, nextLink: next.toString() });
    }
    if (n === 4 && c === "connections" && d !== undefined) {
      if (method === "PUT") {
        const conn = requireConnection(ctx, d);
        if (!hub.join(conn, group)) throw new RestError(400, "TooManyGroups", conn.groupsFullMessage());
        return sendEmpty(res, 200);
      }
      if (method === "DELETE") {
        const conn = connectionOf(ctx, d);
        if (conn) hub.leave(conn, group);
        return sendEmpty(res, 204);
      }
      methodNotAllowed(ctx);
    }
  }

  if (a === "permissions" && b !== undefined && c === "connections" && d !== undefined && n === 4) {
    if (!isPermission(b)) throw new RestError(400, "InvalidPermission", `Unknown permission '${b}': use sendToGroup or joinLeaveGroup.`);
    const target = url.searchParams.get("targetName") ?? undefined;
    if (target !== undefined) requireGroup(target);
    if (method === "HEAD" || method === "GET") {
      const conn = connectionOf(ctx, d);
      return sendEmpty(res, conn && conn.permissions.has(b, target) ? 200 : 404);
    }
    if (method === "PUT") {
      requireConnection(ctx, d).permissions.grant(b, target);
      return sendEmpty(res, 200);
    }
    if (method === "DELETE") {
      connectionOf(ctx, d)?.permissions.revoke(b, target);
      return sendEmpty(res, 204);
    }
    methodNotAllowed(ctx);
  }

  throw new RestError(404, "NotFound", `No operation at ${clip(url.pathname, 200)}.`);
}

/** Handles any HTTP request under `/api`. Never throws. */
export async function handleRestRequest(service: Service, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let hub: Hub | undefined;
  try {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      throw new RestError(400, "BadRequest", "Malformed request URL.");
    }
    const path = url.pathname.replace(/\/+$/, "");
    if (path === "/api/health") {
      if (req.method !== "HEAD" && req.method !== "GET") methodNotAllowedPlain();
      return sendEmpty(res, 200);
    }
    const raw = path.split("/").slice(1);
    if (raw[0] !== "api" || raw[1] !== "hubs" || raw.length < 4) throw new RestError(404, "NotFound", `No operation at ${clip(url.pathname, 200)}.`);
    let seg: string[];
    try {
      seg = raw.map((s) => decodeURIComponent(s));
    } catch {
      throw new RestError(400, "BadRequest", "The path is not correctly percent-encoded.");
    }
    authenticate(service, req, url);
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion) throw new RestError(400, "MissingApiVersion", "The api-version query parameter is required (e.g. 2024-01-01).");
    if (!API_VERSIONS.includes(apiVersion)) {
      throw new RestError(400, "InvalidApiVersion", `Unsupported api-version '${clip(apiVersion, MAX_QUOTED_CHARS)}': use one of ${API_VERSIONS.join(", ")}.`);
    }
    const hubName = seg[2]!;
    if (!isValidHubName(hubName)) throw new RestError(400, "InvalidHubName", `Invalid hub name '${clip(hubName, MAX_QUOTED_CHARS)}'.`);
    hub = service.hub(hubName);
    await route({ service, req, res, url, hub, hubName }, seg.slice(3));
  } catch (err) {
    if (err instanceof RestError) {
      sendError(req, res, err.status, err.code, err.message);
    } else {
      service.log(`REST ${req.method ?? ""} ${req.url ?? ""} failed: ${String(err)}`);
      sendError(req, res, 500, "InternalServerError", "The service failed to handle the request.");
    }
  } finally {
    if (hub) service.releaseHub(hub); // a hub that only a REST call named is not kept
  }
}

function methodNotAllowedPlain(): never {
  throw new RestError(405, "MethodNotAllowed", "Use HEAD or GET.");
}

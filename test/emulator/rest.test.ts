import { describe, expect, onTestFinished, test } from "vitest";
import { DEFAULT_ACCESS_KEY, signJwt, type Emulator } from "../../emulator/index";
import { connect, JSON_PROTOCOL, open, withEmulator } from "./helpers";

const now = (): number => Math.floor(Date.now() / 1000);

/** Calls the REST API the way the server SDK does: aud = the full request URL. */
async function rest(
  emu: Emulator,
  method: string,
  path: string,
  opts: { body?: string | Buffer; contentType?: string; query?: string; key?: string; token?: string | null; apiVersion?: string | null } = {},
): Promise<{ status: number; json: unknown; text: string; contentType: string | null }> {
  const apiVersion = opts.apiVersion === undefined ? "2024-01-01" : opts.apiVersion;
  const query = [apiVersion === null ? "" : `api-version=${apiVersion}`, opts.query ?? ""].filter(Boolean).join("&");
  const url = `${emu.endpoint}/api/hubs/${path}${query ? `?${query}` : ""}`;
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? signJwt({ aud: url, exp: now() + 60 }, opts.key ?? DEFAULT_ACCESS_KEY) : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (opts.contentType) headers["Content-Type"] = opts.contentType;
  const body = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : new Uint8Array(opts.body);
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, contentType: res.headers.get("content-type") };
}

describe("REST API", () => {
  test("auth: missing, wrong key, expired, wrong aud -> 401 {code,message}; api-version required; health needs no token", async () => {
    const emu = await withEmulator(onTestFinished);
    for (const opts of [{ token: null }, { key: "wrong" }, { token: signJwt({ aud: `${emu.endpoint}/api/hubs/h/:send`, exp: now() - 1 }, DEFAULT_ACCESS_KEY) }, { token: signJwt({ aud: `${emu.endpoint}/api/hubs/other/:send`, exp: now() + 60 }, DEFAULT_ACCESS_KEY) }]) {
      const r = await rest(emu, "POST", "h/:send", { ...opts, body: "x", contentType: "text/plain" });
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ code: "Unauthorized", message: expect.any(String) });
    }
    const aud = signJwt({ aud: `${emu.endpoint}/api/hubs/h/:send/`, exp: now() + 60 }, DEFAULT_ACCESS_KEY);
    expect((await rest(emu, "POST", "h/:send", { token: aud, body: "x", contentType: "text/plain" })).status).toBe(202);
    expect((await rest(emu, "POST", "h/:send", { apiVersion: null, body: "x", contentType: "text/plain" })).status).toBe(400);
    expect((await rest(emu, "POST", "h/:send", { apiVersion: "latest", body: "x", contentType: "text/plain" })).status).toBe(400);
    for (const v of ["2021-10-01", "2022-11-01", "2024-12-01"]) expect((await rest(emu, "POST", "h/:send", { apiVersion: v, body: "x", contentType: "text/plain" })).status).toBe(202);
    expect((await fetch(`${emu.endpoint}/api/health`, { method: "HEAD" })).status).toBe(200);
    expect((await rest(emu, "POST", "1bad/:send", { body: "x", contentType: "text/plain" })).status).toBe(400);
    expect((await rest(emu, "POST", "h/unknown/thing")).json).toMatchObject({ code: "NotFound" });
    expect((await rest(emu, "GET", "h/:send")).status).toBe(405);
  });

  test("send to all / user / connection / group with content types, excluded and filter", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client: a, connectionId: aId } = await connect(emu, "h", { userId: "ua", groups: ["g"] });
    const { client: b, connectionId: bId } = await connect(emu, "h", { userId: "ub", protocol: JSON_PROTOCOL });
    const { client: other } = await connect(emu, "other");
    expect((await rest(emu, "POST", "h/:send", { body: "hello", contentType: "text/plain" })).status).toBe(202);
    expect(await a.next()).toEqual({ sequenceId: 1, type: "message", from: "server", dataType: "text", data: "hello" });
    expect(await b.next()).toEqual({ type: "message", from: "server", dataType: "text", data: "hello" });
    expect((await rest(emu, "POST", "h/:send", { body: '{"k":[1,2]}', contentType: "application/json", query: `excluded=${bId}&excluded=zzz` })).status).toBe(202);
    expect(await a.next()).toMatchObject({ dataType: "json", data: { k: [1, 2] } });
    expect((await rest(emu, "POST", "h/users/ub/:send", { body: Buffer.from([9, 8]), contentType: "application/octet-stream" })).status).toBe(202);
    expect(await b.next()).toMatchObject({ from: "server", dataType: "binary", data: Buffer.from([9, 8]).toString("base64") });
    expect((await rest(emu, "POST", `h/connections/${aId}/:send`, { body: '"just a"', contentType: "application/json; charset=utf-8" })).status).toBe(202);
    expect(await a.next()).toMatchObject({ dataType: "json", data: "just a" });
    expect((await rest(emu, "POST", "h/groups/g/:send", { body: "to g", contentType: "text/plain" })).status).toBe(202);
    // a REST send to a group is a group message (PROTOCOL §4): from "group", the group's name, no fromUserId
    const toGroup = await a.next();
    expect(toGroup).toMatchObject({ type: "message", from: "group", group: "g", dataType: "text", data: "to g" });
    expect(toGroup).not.toHaveProperty("fromUserId");
    expect((await rest(emu, "POST", "h/:send", { body: "filtered", contentType: "text/plain", query: `filter=${encodeURIComponent("userId eq 'ub' or 'nope' in groups")}` })).status).toBe(202);
    expect(await b.next()).toMatchObject({ data: "filtered" });
    expect((await rest(emu, "POST", "h/:send", { body: "x", contentType: "text/plain", query: "filter=userId%20%3D%3D%20x" })).status).toBe(400);
    expect((await rest(emu, "POST", "h/:send", { body: "{bad", contentType: "application/json" })).status).toBe(400);
    expect((await rest(emu, "POST", "h/:send", { body: "<x/>", contentType: "application/xml" })).status).toBe(415);
    expect((await rest(emu, "POST", "h/:send", { body: Buffer.alloc(1024 * 1024 + 1), contentType: "application/octet-stream" })).json).toMatchObject({ code: "PayloadTooLarge" });
    expect((await rest(emu, "POST", "h/connections/none/:send", { body: "x", contentType: "text/plain" })).status).toBe(202);
    b.send({ type: "ping" });
    expect(await b.next()).toEqual({ type: "pong" });
    expect(a.messages).toHaveLength(0);
    expect(other.messages).toHaveLength(0);
  });

  test("membership: connection/user to group, exists, list, remove from all", async () => {
    const emu = await withEmulator(onTestFinished);
    const { connectionId: c1 } = await connect(emu, "h", { userId: "u" });
    const { connectionId: c2 } = await connect(emu, "h", { userId: "v" });
    expect((await rest(emu, "HEAD", "h/groups/g")).status).toBe(404);
    expect((await rest(emu, "PUT", `h/groups/g/connections/${c1}`)).status).toBe(200);
    expect((await rest(emu, "PUT", "h/groups/g/connections/missing")).status).toBe(404);
    expect((await rest(emu, "HEAD", "h/groups/g")).status).toBe(200);
    expect((await rest(emu, "GET", "h/groups/g/connections")).json).toEqual({ value: [{ connectionId: c1, userId: "u" }] });
    expect((await rest(emu, "PUT", "h/users/v/groups/g")).status).toBe(200);
    expect(((await rest(emu, "GET", "h/groups/g/connections")).json as { value: unknown[] }).value).toHaveLength(2);
    // the user relation applies to the user's later connections too
    const { connectionId: c3 } = await connect(emu, "h", { userId: "v" });
    expect(emu.connections("h").find((c) => c.connectionId === c3)!.groups).toEqual(["g"]);
    expect((await rest(emu, "DELETE", "h/users/v/groups/g")).status).toBe(204);
    expect(((await rest(emu, "GET", "h/groups/g/connections")).json as { value: unknown[] }).value).toEqual([{ connectionId: c1, userId: "u" }]);
    expect((await rest(emu, "DELETE", `h/groups/g/connections/${c1}`)).status).toBe(204);
    expect((await rest(emu, "HEAD", "h/groups/g")).status).toBe(404);
    await rest(emu, "PUT", `h/groups/a/connections/${c2}`);
    await rest(emu, "PUT", `h/groups/b/connections/${c2}`);
    expect((await rest(emu, "DELETE", `h/connections/${c2}/groups`)).status).toBe(204);
    expect(emu.connections("h").find((c) => c.connectionId === c2)!.groups).toEqual([]);
    await rest(emu, "PUT", "h/users/u/groups/a");
    await rest(emu, "PUT", "h/users/u/groups/b");
    expect((await rest(emu, "DELETE", "h/users/u/groups")).status).toBe(204);
    expect(emu.connections("h").find((c) => c.connectionId === c1)!.groups).toEqual([]);
    expect((await rest(emu, "HEAD", "h/users/u")).status).toBe(200);
    expect((await rest(emu, "HEAD", "h/users/nobody")).status).toBe(404);
    expect((await rest(emu, "HEAD", `h/connections/${c1}`)).status).toBe(200);
    expect((await rest(emu, "HEAD", "h/connections/nope")).status).toBe(404);
    expect((await rest(emu, "HEAD", `other/connections/${c1}`)).status).toBe(404);
    expect((await rest(emu, "POST", "h/:addToGroups", { body: JSON.stringify({ groups: ["x", "y"], filter: "userId eq 'u'" }), contentType: "application/json" })).status).toBe(200);
    expect(emu.connections("h").find((c) => c.connectionId === c1)!.groups.sort()).toEqual(["x", "y"]);
    expect((await rest(emu, "POST", "h/:removeFromGroups", { body: JSON.stringify({ groups: ["x"] }), contentType: "application/json" })).status).toBe(200);
    expect(emu.connections("h").find((c) => c.connectionId === c1)!.groups).toEqual(["y"]);
    expect((await rest(emu, "PUT", "h/groups/%20%20/connections/x")).status).toBe(400);
  });

  test("close connection / group / user / all: disconnected with the reason, then 1008", async () => {
    const emu = await withEmulator(onTestFinished);
    const one = await connect(emu, "h", { userId: "u1" });
    const two = await connect(emu, "h", { userId: "u2", groups: ["g"] });
    const three = await connect(emu, "h", { userId: "u3" });
    const four = await connect(emu, "h", { userId: "u4" });
    const keep = await connect(emu, "h", { userId: "u5" });
    expect((await rest(emu, "DELETE", `h/connections/${one.connectionId}`, { query: "reason=bye" })).status).toBe(204);
    expect(await one.client.next()).toEqual({ type: "system", event: "disconnected", message: "bye" });
    expect((await one.client.waitClose()).code).toBe(1008);
    expect((await rest(emu, "HEAD", `h/connections/${one.connectionId}`)).status).toBe(404);
    expect((await rest(emu, "DELETE", "h/connections/gone-already")).status).toBe(204);
    expect((await rest(emu, "POST", "h/groups/g/:closeConnections")).status).toBe(204);
    expect((await two.client.waitClose()).code).toBe(1008);
    expect((await rest(emu, "POST", "h/users/u3/:closeConnections")).status).toBe(204);
    expect((await three.client.waitClose()).code).toBe(1008);
    expect((await rest(emu, "POST", "h/:closeConnections", { query: `excluded=${keep.connectionId}` })).status).toBe(204);
    expect((await four.client.waitClose()).code).toBe(1008);
    expect(emu.connections("h").map((c) => c.connectionId)).toEqual([keep.connectionId]);
  });

  test("permissions: grant, check, revoke; they govern what the client may do", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, connectionId: id } = await connect(emu, "h");
    const p = (perm: string): string => `h/permissions/${perm}/connections/${id}`;
    const q = (target: string): { query: string } => ({ query: `targetName=${target}` });
    expect((await rest(emu, "HEAD", p("joinLeaveGroup"), q("g"))).status).toBe(404);
    expect(await client.request({ type: "joinGroup", group: "g", ackId: 1 })).toMatchObject({ error: { name: "Forbidden" } });
    expect((await rest(emu, "PUT", p("joinLeaveGroup"), q("g"))).status).toBe(200);
    expect((await rest(emu, "HEAD", p("joinLeaveGroup"), q("g"))).status).toBe(200);
    expect((await rest(emu, "HEAD", p("joinLeaveGroup"))).status).toBe(404);
    expect(await client.request({ type: "joinGroup", group: "g", ackId: 1 })).toMatchObject({ success: true });
    expect((await rest(emu, "PUT", p("sendToGroup"))).status).toBe(200);
    expect((await rest(emu, "HEAD", p("sendToGroup"), q("any"))).status).toBe(200);
    expect(await client.request({ type: "sendToGroup", group: "zz", ackId: 2, data: 1 })).toMatchObject({ success: true });
    expect((await rest(emu, "DELETE", p("sendToGroup"))).status).toBe(204);
    expect((await rest(emu, "HEAD", p("sendToGroup"))).status).toBe(404);
    expect(await client.request({ type: "sendToGroup", group: "zz", ackId: 3, data: 1 })).toMatchObject({ error: { name: "Forbidden" } });
    expect((await rest(emu, "PUT", `h/permissions/fly/connections/${id}`)).status).toBe(400);
    expect((await rest(emu, "PUT", "h/permissions/sendToGroup/connections/none")).status).toBe(404);
  });

  test(":generateToken gives a token clients can connect with", async () => {
    const emu = await withEmulator(onTestFinished);
    const r = await rest(emu, "POST", "h/:generateToken", { query: "userId=gen&role=webpubsub.joinLeaveGroup&role=webpubsub.sendToGroup&group=g1&group=g2&minutesToExpire=5" });
    expect(r.status).toBe(200);
    const token = (r.json as { token: string }).token;
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ sub: "gen", role: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"], "webpubsub.group": ["g1", "g2"] });
    expect((payload.exp as number) - now()).toBeLessThanOrEqual(300);
    const c = await open(`${emu.endpoint.replace("http", "ws")}/client/hubs/h?access_token=${token}`, JSON_PROTOCOL);
    expect(await c.next()).toMatchObject({ event: "connected", userId: "gen" });
    expect(emu.connections("h")[0]!.groups).toEqual(["g1", "g2"]);
  });
});

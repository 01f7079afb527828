/** Conformance: the official @azure/web-pubsub WebPubSubServiceClient, built from the emulator's connection string. */
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { describe, expect, onTestFinished, test } from "vitest";
import { open, RELIABLE_PROTOCOL, withEmulator, type TestClient } from "./helpers";

async function connectWith(service: WebPubSubServiceClient, opts: { userId?: string; roles?: string[]; groups?: string[] } = {}): Promise<{ client: TestClient; id: string }> {
  const { url } = await service.getClientAccessToken(opts);
  const client = await open(url, RELIABLE_PROTOCOL);
  const connected = await client.next();
  return { client, id: String(connected.connectionId) };
}

describe("@azure/web-pubsub WebPubSubServiceClient against the emulator", () => {
  test("getClientAccessToken, sends of every kind, groups, exists, permissions, close", async () => {
    const emu = await withEmulator(onTestFinished);
    const service = new WebPubSubServiceClient(emu.connectionString, "chat", { allowInsecureConnection: true });
    const token = await service.getClientAccessToken({ userId: "u1", roles: ["webpubsub.sendToGroup"], groups: ["g0"] });
    expect(token.baseUrl).toBe(`${emu.endpoint.replace("http", "ws")}/client/hubs/chat`);
    expect(token.url).toBe(`${token.baseUrl}?access_token=${token.token}`);
    const a = await connectWith(service, { userId: "u1", groups: ["g0"] });
    const b = await connectWith(service, { userId: "u2" });
    expect(emu.connections("chat").find((c) => c.connectionId === a.id)!.groups).toEqual(["g0"]);

    await service.sendToAll({ hello: "all" });
    expect(await a.client.next()).toMatchObject({ from: "server", dataType: "json", data: { hello: "all" } });
    expect(await b.client.next()).toMatchObject({ from: "server", dataType: "json", data: { hello: "all" } });
    await service.sendToAll("plain", { contentType: "text/plain" });
    expect(await a.client.next()).toMatchObject({ dataType: "text", data: "plain" });
    expect(await b.client.next()).toMatchObject({ dataType: "text", data: "plain" });
    await service.sendToAll(new Uint8Array([1, 2]));
    expect(await a.client.next()).toMatchObject({ dataType: "binary", data: "AQI=" });
    expect(await b.client.next()).toMatchObject({ dataType: "binary", data: "AQI=" });
    await service.sendToAll("not b", { contentType: "text/plain", excludedConnections: [b.id] });
    expect(await a.client.next()).toMatchObject({ data: "not b" });
    await service.sendToAll("only u2", { contentType: "text/plain", filter: "userId eq 'u2'" });
    expect(await b.client.next()).toMatchObject({ data: "only u2" });
    await service.sendToUser("u1", "to u1", { contentType: "text/plain" });
    expect(await a.client.next()).toMatchObject({ data: "to u1" });
    await service.sendToConnection(b.id, "to b", { contentType: "text/plain" });
    expect(await b.client.next()).toMatchObject({ data: "to b" });

    const group = service.group("g1");
    expect(await service.groupExists("g1")).toBe(false);
    await group.addConnection(b.id);
    await expect(group.addConnection("missing")).rejects.toMatchObject({ statusCode: 404 });
    expect(await service.groupExists("g1")).toBe(true);
    await group.addUser("u1");
    const members: Array<{ connectionId: string; userId?: string }> = [];
    for await (const m of await group.listConnections()) members.push(m);
    expect(members.map((m) => m.userId).sort()).toEqual(["u1", "u2"]);
    await group.sendToAll("to g1", { contentType: "text/plain" });
    expect(await a.client.next()).toMatchObject({ data: "to g1" });
    expect(await b.client.next()).toMatchObject({ data: "to g1" });
    await group.removeUser("u1");
    await group.removeConnection(b.id);
    expect(await service.groupExists("g1")).toBe(false);
    await service.addConnectionsToGroups(["g2", "g3"], "userId eq 'u2'");
    expect(emu.connections("chat").find((c) => c.connectionId === b.id)!.groups.sort()).toEqual(["g2", "g3"]);
    await service.removeConnectionsFromGroups(["g2"], "userId eq 'u2'");
    await service.removeConnectionFromAllGroups(b.id);
    await service.removeUserFromAllGroups("u1");
    expect(emu.connections("chat").every((c) => c.groups.length === 0)).toBe(true);

    expect(await service.connectionExists(a.id)).toBe(true);
    expect(await service.connectionExists("nope")).toBe(false);
    expect(await service.userExists("u1")).toBe(true);
    expect(await service.userExists("nobody")).toBe(false);

    expect(await service.hasPermission(b.id, "joinLeaveGroup", { targetName: "g9" })).toBe(false);
    await service.grantPermission(b.id, "joinLeaveGroup", { targetName: "g9" });
    expect(await service.hasPermission(b.id, "joinLeaveGroup", { targetName: "g9" })).toBe(true);
    expect(await b.client.request({ type: "joinGroup", group: "g9", ackId: 1 })).toMatchObject({ success: true });
    await service.revokePermission(b.id, "joinLeaveGroup", { targetName: "g9" });
    expect(await service.hasPermission(b.id, "joinLeaveGroup", { targetName: "g9" })).toBe(false);
    await service.grantPermission(b.id, "sendToGroup");
    expect(await service.hasPermission(b.id, "sendToGroup")).toBe(true);

    await service.closeConnection(a.id, { reason: "done" });
    expect(await a.client.next()).toEqual({ type: "system", event: "disconnected", message: "done" });
    expect((await a.client.waitClose()).code).toBe(1008);
    expect(await service.connectionExists(a.id)).toBe(false);
    const c = await connectWith(service, { userId: "u3", groups: ["gc"] });
    await service.group("gc").closeAllConnections({ reason: "group closed" });
    expect((await c.client.waitClose()).code).toBe(1008);
    const d = await connectWith(service, { userId: "u4" });
    await service.closeUserConnections("u4");
    expect((await d.client.waitClose()).code).toBe(1008);
    await service.closeAllConnections();
    expect((await b.client.waitClose()).code).toBe(1008);
    expect(emu.connections("chat")).toEqual([]);
  });

  test("listConnections pages with maxPageSize and continuation tokens, and honours top; messageTtlSeconds is checked, 0 to 300", async () => {
    const emu = await withEmulator(onTestFinished);
    const service = new WebPubSubServiceClient(emu.connectionString, "chat", { allowInsecureConnection: true });
    const ids: string[] = [];
    const clients: TestClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await connectWith(service, { userId: `u${i}`, groups: ["room"] });
      ids.push(c.id);
      clients.push(c.client);
    }
    const pages: string[][] = [];
    for await (const page of (await service.group("room").listConnections({ maxPageSize: 2 })).byPage()) pages.push(page.map((m) => m.connectionId));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual([...ids].sort());
    const top: string[] = [];
    for await (const m of await service.group("room").listConnections({ top: 3, maxPageSize: 2 })) top.push(m.connectionId);
    expect(top).toHaveLength(3);
    await service.group("room").sendToAll("ttl", { contentType: "text/plain", messageTtlSeconds: 60 });
    for (const c of clients) expect(await c.next()).toMatchObject({ type: "message", from: "group", group: "room", dataType: "text", data: "ttl" });
    await expect(service.group("room").sendToAll("late", { contentType: "text/plain", messageTtlSeconds: 301 })).rejects.toMatchObject({ statusCode: 400 });
  });

  test("a wrong access key is refused with 401", async () => {
    const emu = await withEmulator(onTestFinished);
    const service = new WebPubSubServiceClient(emu.connectionString.replace(/AccessKey=[^;]+/, "AccessKey=wrong"), "chat", { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    await expect(service.sendToAll("x", { contentType: "text/plain" })).rejects.toMatchObject({ statusCode: 401 });
    const { url } = await service.getClientAccessToken();
    await expect(open(url, RELIABLE_PROTOCOL)).rejects.toMatchObject({ status: 401 });
  });
});

import { describe, expect, onTestFinished, test } from "vitest";
import { connect, nextEvent, open, RELIABLE_PROTOCOL, withEmulator, type Frame, type TestClient } from "./helpers";
import type { Emulator } from "../../emulator/index";

const ALL = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

/** Opens the recovery URL the way published clients build it (original URL + two params). */
async function recover(emu: Emulator, originalUrl: string, connected: Frame): Promise<TestClient> {
  const url = new URL(originalUrl);
  url.searchParams.append("awps_connection_id", String(connected.connectionId));
  url.searchParams.append("awps_reconnection_token", String(connected.reconnectionToken));
  void emu;
  return open(url.toString(), RELIABLE_PROTOCOL);
}

async function setup(emu: Emulator): Promise<{ url: string; client: TestClient; connected: Frame; id: string; sender: TestClient }> {
  const url = await emu.getClientAccessUrl("h", { userId: "r", groups: ["g"] });
  const client = await open(url, RELIABLE_PROTOCOL);
  const connected = await client.next();
  const { client: sender } = await connect(emu, "h", { roles: ALL, protocol: "json.webpubsub.azure.v1" });
  return { url, client, connected, id: String(connected.connectionId), sender };
}

function sendTexts(sender: TestClient, texts: string[]): void {
  for (const t of texts) sender.send({ type: "sendToGroup", group: "g", dataType: "text", data: t });
}

describe("reliable sessions", () => {
  test("sequence ids start at 1 and continue across a recovery; unacked messages are resent in order", async () => {
    const emu = await withEmulator(onTestFinished);
    const { url, client, connected, id, sender } = await setup(emu);
    sendTexts(sender, ["a", "b", "c"]);
    for (const [i, t] of ["a", "b", "c"].entries()) expect(await client.next()).toMatchObject({ sequenceId: i + 1, data: t });
    client.send({ type: "sequenceAck", sequenceId: 1 });
    client.send({ type: "ping" });
    expect(await client.next()).toEqual({ type: "pong" }); // the ack has been processed
    const dropped = nextEvent(emu.events, "drop");
    emu.faults.drop(id);
    await client.waitClose();
    await dropped;
    expect(emu.connections("h").find((c) => c.connectionId === id)).toMatchObject({ connected: false, groups: ["g"] });
    sendTexts(sender, ["d"]); // sent while no socket: buffered
    const recovered = nextEvent(emu.events, "recover");
    const again = await recover(emu, url, connected);
    expect(await again.next()).toMatchObject({ type: "system", event: "connected", connectionId: id, reconnectionToken: connected.reconnectionToken });
    expect(await recovered).toMatchObject({ connectionId: id, userId: "r" });
    for (const [seq, t] of [[2, "b"], [3, "c"], [4, "d"]] as const) expect(await again.next()).toMatchObject({ sequenceId: seq, data: t });
    sendTexts(sender, ["e"]);
    expect(await again.next()).toMatchObject({ sequenceId: 5, data: "e" });
  });

  test("ackIds are remembered across a recovery (Duplicate), and lost acks can be retried", async () => {
    const emu = await withEmulator(onTestFinished);
    const url = await emu.getClientAccessUrl("h", { roles: ALL });
    const client = await open(url, RELIABLE_PROTOCOL);
    const connected = await client.next();
    const id = String(connected.connectionId);
    emu.faults.loseAcks(id, 1);
    client.send({ type: "joinGroup", group: "g", ackId: 1 });
    client.send({ type: "ping" });
    expect(await client.next()).toEqual({ type: "pong" }); // the ack was executed but not sent
    expect(emu.connections("h")[0]!.groups).toEqual(["g"]);
    emu.faults.drop(id);
    await client.waitClose();
    const again = await recover(emu, url, connected);
    await again.next();
    expect(await again.request({ type: "joinGroup", group: "g", ackId: 1 })).toMatchObject({ error: { name: "Duplicate" } });
    expect(await again.request({ type: "sendToGroup", group: "g", ackId: 2, dataType: "text", data: "x" })).toMatchObject({ success: true });
    expect(await again.next()).toMatchObject({ sequenceId: 1, data: "x" });
  });

  test("recovery works with an old expired access_token still in the URL", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, connected, id } = await setup(emu);
    emu.faults.drop(id);
    await client.waitClose();
    const expired = await emu.getClientAccessUrl("h", { expiresInMinutes: -5 });
    const again = await recover(emu, expired, connected);
    expect(await again.next()).toMatchObject({ event: "connected", connectionId: id });
  });

  test("a recovery replaces a socket still considered open", async () => {
    const emu = await withEmulator(onTestFinished);
    const { url, client, connected, id, sender } = await setup(emu);
    const again = await recover(emu, url, connected);
    expect(await again.next()).toMatchObject({ event: "connected", connectionId: id });
    expect((await client.waitClose()).code).toBe(1006);
    sendTexts(sender, ["x"]);
    expect(await again.next()).toMatchObject({ sequenceId: 1, data: "x" });
    expect(emu.connections("h")).toHaveLength(2);
  });

  test("recovery failures close with 1008: wrong token, token of another connection, unknown id, expired session", async () => {
    // The TTL must outlast the three bad attempts (so they fail for their own reason, not
    // expiry) even on a loaded machine; the expiry listener is armed before anything can expire.
    const emu = await withEmulator(onTestFinished, { sessionTtlMs: 1500 });
    const a = await setup(emu);
    const b = await open(await emu.getClientAccessUrl("h"), RELIABLE_PROTOCOL);
    const bConnected = await b.next();
    const ended = nextEvent<{ connectionId: string }>(emu.events, "disconnect");
    emu.faults.drop(a.id);
    await a.client.waitClose();
    for (const bad of [
      { ...a.connected, reconnectionToken: "wrong" },
      { ...a.connected, reconnectionToken: bConnected.reconnectionToken },
      { ...a.connected, connectionId: "no-such-connection" },
    ]) {
      const c = await recover(emu, a.url, bad);
      expect(await c.next()).toMatchObject({ type: "system", event: "disconnected" });
      expect((await c.waitClose()).code).toBe(1008);
    }
    expect((await ended).connectionId).toBe(a.id);
    const late = await recover(emu, a.url, a.connected);
    expect(await late.next()).toMatchObject({ event: "disconnected" });
    expect((await late.waitClose()).code).toBe(1008);
  });

  test("sequenceAck drops acknowledged messages; a paused client past 1000 unacked is closed 1008 SlowClient", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, id, sender } = await setup(emu);
    emu.faults.pause(id);
    sendTexts(sender, Array.from({ length: 1000 }, (_, i) => `m${i + 1}`));
    sender.send({ type: "ping" });
    expect(await sender.next()).toEqual({ type: "pong" }); // all 1000 processed
    expect(client.messages).toHaveLength(0);
    expect(emu.connections("h").find((c) => c.connectionId === id)).toBeDefined();
    emu.faults.resume(id);
    for (let i = 1; i <= 1000; i++) expect(await client.next()).toMatchObject({ sequenceId: i, data: `m${i}` });
    client.send({ type: "sequenceAck", sequenceId: 600 });
    emu.faults.pause(id);
    sendTexts(sender, Array.from({ length: 600 }, (_, i) => `n${i + 1}`)); // 400 + 600 = 1000 unacked: fine
    sender.send({ type: "ping" });
    expect(await sender.next()).toEqual({ type: "pong" });
    expect(emu.connections("h").find((c) => c.connectionId === id)).toBeDefined();
    const gone = nextEvent(emu.events, "disconnect");
    sendTexts(sender, ["overflow"]);
    await gone;
    expect(await client.next()).toMatchObject({ type: "system", event: "disconnected", message: "SlowClient" });
    expect(await client.waitClose()).toEqual({ code: 1008, reason: "SlowClient" });
    expect(emu.connections("h").find((c) => c.connectionId === id)).toBeUndefined();
  });

  test("the unacked bound is also 16 MB", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, id, sender } = await setup(emu);
    emu.faults.pause(id);
    const chunk = "y".repeat(900 * 1024);
    for (let i = 0; i < 20; i++) sender.send({ type: "sendToGroup", group: "g", dataType: "text", data: chunk });
    expect(await client.next()).toMatchObject({ event: "disconnected", message: "SlowClient" });
    expect((await client.waitClose()).code).toBe(1008);
  });

  test("faults.close with a non-1008 code keeps the session; 1008 ends it", async () => {
    const emu = await withEmulator(onTestFinished);
    const { url, client, connected, id } = await setup(emu);
    emu.faults.close(id, 4001, "try again");
    expect(await client.next()).toEqual({ type: "system", event: "disconnected", message: "try again" });
    expect(await client.waitClose()).toEqual({ code: 4001, reason: "try again" });
    const again = await recover(emu, url, connected);
    expect(await again.next()).toMatchObject({ event: "connected", connectionId: id });
    emu.faults.close(id, 1008);
    expect(await again.next()).toMatchObject({ event: "disconnected" });
    expect((await again.waitClose()).code).toBe(1008);
    const late = await recover(emu, url, connected);
    await late.next();
    expect((await late.waitClose()).code).toBe(1008);
    expect(() => emu.faults.close("missing", 1000)).toThrow(/no connection/);
    expect(() => emu.faults.close(id, 1006)).toThrow();
  });

  test("pause holds every frame and resume writes them in order; a client 1000 close ends the session", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, id, sender } = await setup(emu);
    emu.faults.pause(id);
    client.send({ type: "ping" });
    sendTexts(sender, ["p1", "p2"]);
    sender.send({ type: "ping" });
    await sender.next();
    expect(client.messages).toHaveLength(0);
    emu.faults.resume(id);
    expect(await client.next()).toEqual({ type: "pong" });
    expect(await client.next()).toMatchObject({ sequenceId: 1, data: "p1" });
    expect(await client.next()).toMatchObject({ sequenceId: 2, data: "p2" });
    const gone = nextEvent(emu.events, "disconnect");
    client.ws.close(1000);
    await gone;
    expect(emu.connections("h").map((c) => c.connectionId)).not.toContain(id);
  });

  test("a non-reliable connection that drops is gone at once", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client, connectionId } = await connect(emu, "h", { protocol: "json.webpubsub.azure.v1" });
    const gone = nextEvent(emu.events, "disconnect");
    emu.faults.drop(connectionId);
    await client.waitClose();
    await gone;
    expect(emu.connections()).toEqual([]);
  });
});

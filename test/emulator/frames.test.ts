import { describe, expect, onTestFinished, test } from "vitest";
import { connect, JSON_PROTOCOL, withEmulator, type TestClient } from "./helpers";

const ALL = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

/** Expects `disconnected` then a close with `code`; returns the disconnected message. */
async function expectClosed(client: TestClient, code: number): Promise<string> {
  const frame = await client.next();
  expect(frame).toMatchObject({ type: "system", event: "disconnected" });
  const closed = await client.waitClose();
  expect(closed.code).toBe(code);
  expect(closed.reason.length).toBeGreaterThan(0);
  return String(frame.message);
}

describe("client frames", () => {
  test("joinGroup / leaveGroup with and without roles, per-group roles, invalid names", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client: none } = await connect(emu, "h");
    expect(await none.request({ type: "joinGroup", group: "g", ackId: 1 })).toMatchObject({ success: false, error: { name: "Forbidden" } });
    expect(await none.request({ type: "leaveGroup", group: "g", ackId: 2 })).toMatchObject({ success: false, error: { name: "Forbidden" } });
    const { client: one, connectionId } = await connect(emu, "h", { roles: ["webpubsub.joinLeaveGroup.g1"] });
    expect(await one.request({ type: "joinGroup", group: "g1", ackId: 1 })).toEqual({ type: "ack", ackId: 1, success: true });
    expect(await one.request({ type: "joinGroup", group: "g2", ackId: 2 })).toMatchObject({ success: false, error: { name: "Forbidden" } });
    expect(emu.connections("h").find((c) => c.connectionId === connectionId)!.groups).toEqual(["g1"]);
    expect(await one.request({ type: "leaveGroup", group: "g1", ackId: 3 })).toMatchObject({ success: true });
    expect(emu.connections("h").find((c) => c.connectionId === connectionId)!.groups).toEqual([]);
    const { client: all } = await connect(emu, "h", { roles: ALL });
    expect(await all.request({ type: "joinGroup", group: "", ackId: 1 })).toMatchObject({ success: false, error: { name: "BadRequest" } });
    expect(await all.request({ type: "joinGroup", group: "   ", ackId: 2 })).toMatchObject({ success: false, error: { name: "BadRequest" } });
    expect(await all.request({ type: "joinGroup", group: "x".repeat(1025), ackId: 3 })).toMatchObject({ success: false, error: { name: "BadRequest" } });
    expect(await all.request({ type: "joinGroup", group: "x".repeat(1024), ackId: 4 })).toMatchObject({ success: true });
  });

  test("sendToGroup: every data type, fromUserId, no membership needed, noEcho, Forbidden", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client: a } = await connect(emu, "h", { userId: "ua", roles: ALL, groups: ["g"] });
    const { client: b } = await connect(emu, "h", { groups: ["g"] });
    const { client: outsider } = await connect(emu, "h", { userId: "out", roles: ["webpubsub.sendToGroup.g"] });
    const bin = Buffer.from([0, 255, 7]).toString("base64");
    const sends = [
      { dataType: "text", data: "hi" },
      { dataType: "json", data: { x: [1, null, "s"] } },
      { dataType: "binary", data: bin },
      { dataType: "protobuf", data: bin },
    ];
    for (const [i, s] of sends.entries()) expect(await a.request({ type: "sendToGroup", group: "g", ackId: i + 1, ...s })).toMatchObject({ success: true });
    for (const [i, s] of sends.entries()) {
      const expected = { type: "message", from: "group", group: "g", fromUserId: "ua", sequenceId: i + 1, ...s };
      expect(await b.next()).toEqual(expected);
      expect(await a.next()).toEqual(expected);
    }
    // default dataType is json
    a.send({ type: "sendToGroup", group: "g", data: 5 });
    expect(await b.next()).toMatchObject({ dataType: "json", data: 5 });
    expect(await a.next()).toMatchObject({ dataType: "json", data: 5 });
    // noEcho: the sender does not get it
    expect(await a.request({ type: "sendToGroup", group: "g", ackId: 9, noEcho: true, dataType: "text", data: "quiet" })).toMatchObject({ success: true });
    expect(await b.next()).toMatchObject({ data: "quiet" });
    // an outsider with a per-group role sends without joining
    expect(await outsider.request({ type: "sendToGroup", group: "g", ackId: 1, dataType: "text", data: "from outside" })).toMatchObject({ success: true });
    expect(await b.next()).toMatchObject({ fromUserId: "out", data: "from outside" });
    expect(await a.next()).toMatchObject({ fromUserId: "out", data: "from outside" });
    expect(await outsider.request({ type: "sendToGroup", group: "other", ackId: 2, dataType: "text", data: "no" })).toMatchObject({ success: false, error: { name: "Forbidden" } });
    expect(a.messages).toHaveLength(0);
    expect(outsider.messages).toHaveLength(0);
  });

  test("Duplicate: a reused ackId is answered and not executed again", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client: a } = await connect(emu, "h", { roles: ALL, groups: ["g"] });
    const first = await a.request({ type: "sendToGroup", group: "g", ackId: 7, dataType: "text", data: "once" });
    expect(first).toMatchObject({ success: true });
    expect(await a.next()).toMatchObject({ data: "once", sequenceId: 1 });
    const again = await a.request({ type: "sendToGroup", group: "g", ackId: 7, dataType: "text", data: "once" });
    expect(again).toMatchObject({ ackId: 7, success: false, error: { name: "Duplicate" } });
    expect(await a.request({ type: "joinGroup", group: "g2", ackId: 7 })).toMatchObject({ error: { name: "Duplicate" } });
    a.send({ type: "ping" });
    expect(await a.next()).toEqual({ type: "pong" });
    // a failed ackId may be retried
    const { client: b } = await connect(emu, "h");
    expect(await b.request({ type: "joinGroup", group: "g", ackId: 1 })).toMatchObject({ error: { name: "Forbidden" } });
    expect(await b.request({ type: "joinGroup", group: "g", ackId: 1 })).toMatchObject({ error: { name: "Forbidden" } });
  });

  test("event and invoke without an event handler: InvocationFailed; cancelInvocation accepted", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client } = await connect(emu, "h");
    expect(await client.request({ type: "event", event: "e", ackId: 1, dataType: "text", data: "x" })).toMatchObject({ success: false, error: { name: "InvocationFailed" } });
    client.send({ type: "event", event: "e", dataType: "json", data: {} }); // fire-and-forget: ignored, not closed
    client.send({ type: "invoke", invocationId: "i1", target: "event", event: "e", dataType: "json", data: { a: 1 } });
    expect(await client.next()).toMatchObject({ type: "invokeResponse", invocationId: "i1", success: false, error: { name: "InvocationFailed" } });
    client.send({ type: "cancelInvocation", invocationId: "nope" });
    client.send({ type: "ping" });
    expect(await client.next()).toEqual({ type: "pong" });
  });

  test("ping, sequenceAck on the non-reliable protocol, binary frames carrying JSON", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client } = await connect(emu, "h", { protocol: JSON_PROTOCOL, roles: ALL });
    client.send({ type: "sequenceAck", sequenceId: 3 });
    client.ws.send(Buffer.from(JSON.stringify({ type: "ping" })));
    expect(await client.next()).toEqual({ type: "pong" });
    client.ws.send(Buffer.from(JSON.stringify({ type: "joinGroup", group: "g", ackId: 1 })), { binary: true });
    expect(await client.next()).toEqual({ type: "ack", ackId: 1, success: true });
    client.send({ type: "sendToGroup", group: "g", dataType: "text", data: "t" });
    expect(await client.next()).toEqual({ type: "message", from: "group", group: "g", dataType: "text", data: "t" });
  });

  test.each([
    ["not JSON", "{nope"],
    ["not an object", "[1,2]"],
    ["no type", JSON.stringify({ group: "g" })],
    ["unknown type", JSON.stringify({ type: "teleport" })],
    ["missing group", JSON.stringify({ type: "joinGroup", ackId: 1 })],
    ["group not a string", JSON.stringify({ type: "joinGroup", group: 5, ackId: 1 })],
    ["ackId not a number", JSON.stringify({ type: "joinGroup", group: "g", ackId: "1" })],
    ["negative ackId", JSON.stringify({ type: "leaveGroup", group: "g", ackId: -1 })],
    ["bad dataType", JSON.stringify({ type: "sendToGroup", group: "g", dataType: "xml", data: "x" })],
    ["text data not a string", JSON.stringify({ type: "sendToGroup", group: "g", dataType: "text", data: 1 })],
    ["binary data not base64", JSON.stringify({ type: "sendToGroup", group: "g", dataType: "binary", data: "%%%" })],
    ["missing data", JSON.stringify({ type: "sendToGroup", group: "g", dataType: "json" })],
    ["noEcho not boolean", JSON.stringify({ type: "sendToGroup", group: "g", noEcho: "yes", data: 1 })],
    ["event without name", JSON.stringify({ type: "event", dataType: "text", data: "x" })],
    ["sequenceAck without id", JSON.stringify({ type: "sequenceAck" })],
    ["sequenceAck with fraction", JSON.stringify({ type: "sequenceAck", sequenceId: 1.5 })],
    ["invoke without id", JSON.stringify({ type: "invoke", event: "e" })],
    ["cancelInvocation without id", JSON.stringify({ type: "cancelInvocation" })],
    ["invalid UTF-8 in a binary frame", Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
  ])("malformed (%s): disconnected + 1008, other connections unaffected", async (_name, raw) => {
    const emu = await withEmulator(onTestFinished);
    const { client: bad, connectionId } = await connect(emu, "h", { roles: ALL });
    const { client: good } = await connect(emu, "h", { roles: ALL, groups: ["g"] });
    const gone = new Promise((resolve) => emu.events.once("disconnect", resolve));
    bad.ws.send(raw);
    expect(await expectClosed(bad, 1008)).toMatch(/Invalid message/);
    await gone;
    expect(emu.connections().map((c) => c.connectionId)).not.toContain(connectionId);
    expect(await good.request({ type: "sendToGroup", group: "g", ackId: 1, dataType: "text", data: "still here" })).toMatchObject({ success: true });
    expect(await good.next()).toMatchObject({ data: "still here" });
  });

  test("fire-and-forget Forbidden closes the connection with 1008", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client } = await connect(emu, "h");
    client.send({ type: "joinGroup", group: "g" });
    expect(await expectClosed(client, 1008)).toMatch(/Forbidden/);
  });

  test("a message over 1 MB closes with 1009; others keep working", async () => {
    const emu = await withEmulator(onTestFinished);
    const { client: big } = await connect(emu, "h", { roles: ALL });
    const { client: good } = await connect(emu, "h", { roles: ALL, groups: ["g"] });
    const justUnder = JSON.stringify({ type: "sendToGroup", group: "g", ackId: 1, dataType: "text", data: "" });
    big.send(JSON.stringify({ type: "sendToGroup", group: "g", ackId: 1, dataType: "text", data: "x".repeat(1024 * 1024 - justUnder.length) }));
    expect(await big.next()).toMatchObject({ type: "ack", success: true });
    big.send({ type: "sendToGroup", group: "g", ackId: 2, dataType: "text", data: "x".repeat(1024 * 1024 + 10) });
    expect(await expectClosed(big, 1009)).toMatch(/limit/);
    expect((await good.next()).data).toHaveLength(1024 * 1024 - justUnder.length);
    good.send({ type: "ping" });
    expect(await good.next()).toEqual({ type: "pong" });
  });
});

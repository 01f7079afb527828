// The emulator's group streams (PROTOCOL.md §10), driven frame by frame with raw sockets.
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { describe, expect, onTestFinished, test, vi } from "vitest";
import { Hub } from "../../emulator/sessions/hub";
import type { Emulator } from "../../emulator/index";
import { MAX_OPEN_STREAMS } from "../../emulator/sessions/streams";
import { connect, withEmulator, type Frame, type TestClient } from "../emulator/helpers";

const ALL = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

async function pubSub(emu: Emulator, pubRoles = ALL): Promise<{ pub: TestClient; sub: TestClient; pubId: string; subId: string }> {
  const p = await connect(emu, "h", { userId: "p", roles: pubRoles });
  const s = await connect(emu, "h", { userId: "s", groups: ["g"] });
  return { pub: p.client, sub: s.client, pubId: p.connectionId, subId: s.connectionId };
}

const start = (id: string, extra: Record<string, unknown> = {}): Frame => ({ type: "sendToGroup", group: "g", stream: { streamId: id, ...extra } });
const data = (id: string, seq: number, text: string): Frame => ({ type: "streamData", streamId: id, streamSequenceId: seq, dataType: "text", data: text });
const isType = (t: string) => (f: Frame) => f.type === t;

describe("group streams in the service", () => {
  test("start, data, cumulative acks, end: subscribers get sequenced fragments and the end", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    pub.send(start("s1"));
    expect(await pub.next()).toEqual({ type: "streamAck", streamId: "s1", expectedSequenceId: 1 });
    pub.send(data("s1", 1, "a"));
    pub.send(data("s1", 2, "b"));
    pub.send({ type: "streamData", streamId: "s1" }); // keep-alive: published nothing
    pub.send(data("s1", 3, "c"));
    const ack = await pub.nextWhere((f) => f.type === "streamAck" && f.expectedSequenceId === 4);
    expect(ack.streamId).toBe("s1");
    pub.send({ type: "streamEnd", streamId: "s1" });
    expect(await pub.nextWhere(isType("streamClosed"))).toEqual({ type: "streamClosed", streamId: "s1" });
    const got = [await sub.next(), await sub.next(), await sub.next(), await sub.next()];
    expect(got.map((f) => [f.sequenceId, f.data, f.stream])).toEqual([
      [1, "a", { streamId: "s1", streamSequenceId: 1 }],
      [2, "b", { streamId: "s1", streamSequenceId: 2 }],
      [3, "c", { streamId: "s1", streamSequenceId: 3 }],
      [4, undefined, { streamId: "s1", streamSequenceId: 4, endOfStream: true }],
    ]);
    expect(got.every((f) => f.from === "group" && f.group === "g" && f.fromUserId === "p")).toBe(true);
  });

  test("duplicates are dropped (and acknowledged), gaps are nacked with the expected id", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    pub.send(start("s"));
    await pub.next();
    pub.send(data("s", 1, "a"));
    pub.send(data("s", 1, "a again"));
    pub.send(data("s", 3, "too far"));
    expect(await pub.nextWhere(isType("streamNack"))).toMatchObject({ streamId: "s", expectedSequenceId: 2, name: "InvalidSequenceId" });
    pub.send(data("s", 2, "b"));
    pub.send({ type: "streamEnd", streamId: "s" });
    await pub.nextWhere(isType("streamClosed"));
    expect([(await sub.next()).data, (await sub.next()).data, (await sub.next()).stream]).toEqual(["a", "b", { streamId: "s", streamSequenceId: 3, endOfStream: true }]);
  });

  test("an abort reaches subscribers as UserError with the publisher's message and code", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    pub.send(start("s"));
    await pub.next();
    pub.send({ type: "streamEnd", streamId: "s", error: { message: "gave up", userErrorCode: "E1" } });
    expect(await pub.nextWhere(isType("streamClosed"))).toEqual({ type: "streamClosed", streamId: "s" });
    expect((await sub.next()).stream).toEqual({
      streamId: "s",
      streamSequenceId: 1,
      endOfStream: true,
      error: { name: "UserError", message: "gave up", userErrorCode: "E1" },
    });
  });

  test("idle timeout ends the stream for both sides; a keep-alive resets it", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    pub.send(start("s", { idleTimeoutMs: 300 }));
    await pub.next();
    pub.send({ type: "streamData", streamId: "s" });
    const closed = await pub.nextWhere(isType("streamClosed"));
    expect(closed.error).toMatchObject({ name: "IdleTimeout" });
    expect((await sub.next()).stream).toMatchObject({ endOfStream: true, error: { name: "IdleTimeout" } });
    pub.send(data("s", 1, "late")); // after its end: answered with the same close, published nothing
    expect((await pub.next()).error).toMatchObject({ name: "IdleTimeout" });
  });

  test("the sendToGroup role is checked at start and on every fragment (revoked: Forbidden)", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub } = await pubSub(emu, ["webpubsub.joinLeaveGroup"]);
    pub.send(start("s"));
    expect(await pub.next()).toMatchObject({ type: "streamClosed", streamId: "s", error: { name: "Forbidden" } });
    pub.send({ type: "sendToGroup", group: "   ", stream: { streamId: "t" } });
    expect(await pub.next()).toMatchObject({ type: "streamClosed", streamId: "t", error: { name: "BadRequest" } });
    pub.send({ type: "sendToGroup", group: "g", stream: { streamId: "x".repeat(129) } });
    expect(await pub.next()).toMatchObject({ type: "streamClosed", error: { name: "BadRequest", message: expect.stringMatching(/128/) } });
    // Granted for one group, then revoked mid-stream: the next fragment ends the stream.
    const { pub: p2, sub, pubId } = await pubSub(emu, ["webpubsub.sendToGroup.g"]);
    p2.send(start("r"));
    await p2.next();
    p2.send(data("r", 1, "allowed"));
    expect((await sub.next()).data).toBe("allowed");
    const server = new WebPubSubServiceClient(emu.connectionString, "h", { allowInsecureConnection: true });
    await server.revokePermission(pubId, "sendToGroup", { targetName: "g" });
    p2.send(data("r", 2, "refused"));
    expect(await p2.nextWhere(isType("streamClosed"))).toMatchObject({ streamId: "r", error: { name: "Forbidden" } });
    expect((await sub.next()).stream).toMatchObject({ streamSequenceId: 2, endOfStream: true, error: { name: "Forbidden" } });
  });

  test("hostile frames: unknown ids, data before start, end twice, huge ids, malformed starts", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    pub.send(data("nope", 1, "x"));
    expect(await pub.next()).toMatchObject({ type: "streamClosed", streamId: "nope", error: { name: "StreamNotFound" } });
    pub.send({ type: "streamEnd", streamId: "nope" });
    expect(await pub.next()).toMatchObject({ type: "streamClosed", streamId: "nope", error: { name: "StreamNotFound" } });
    pub.send(start("s"));
    await pub.next();
    pub.send(data("s", Number.MAX_SAFE_INTEGER, "huge"));
    expect(await pub.next()).toMatchObject({ type: "streamNack", expectedSequenceId: 1, name: "InvalidSequenceId" });
    pub.send({ type: "streamEnd", streamId: "s" });
    await pub.nextWhere(isType("streamClosed"));
    pub.send({ type: "streamEnd", streamId: "s" }); // twice: the same close again, nothing published
    expect(await pub.next()).toEqual({ type: "streamClosed", streamId: "s" });
    pub.send(data("s", 1, "after the end"));
    expect(await pub.next()).toMatchObject({ type: "streamClosed", streamId: "s", error: { name: "BadRequest" } });
    expect((await sub.next()).stream).toMatchObject({ endOfStream: true });
    pub.send({ type: "ping" });
    expect(await pub.next()).toEqual({ type: "pong" }); // nothing else reached the subscriber or crashed
    expect(sub.messages).toHaveLength(0);
    // Malformed frames are protocol violations, like any other: a clear reason, then 1008.
    pub.send({ type: "streamData", streamId: "s", streamSequenceId: 1e300, dataType: "text", data: "x" });
    expect((await pub.next()).message).toMatch(/streamSequenceId/);
    expect((await pub.waitClose()).code).toBe(1008);
  });

  test("a failure inside the service ends the stream with InternalServerError for both sides", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    pub.send(start("s"));
    await pub.next();
    const spy = vi.spyOn(Hub.prototype, "deliver").mockImplementationOnce(() => {
      throw new Error("boom");
    });
    onTestFinished(() => spy.mockRestore());
    pub.send(data("s", 1, "a"));
    expect(await pub.nextWhere(isType("streamClosed"))).toMatchObject({ streamId: "s", error: { name: "InternalServerError" } });
    expect((await sub.next()).stream).toMatchObject({ streamSequenceId: 1, endOfStream: true, error: { name: "InternalServerError" } });
  });

  test("a start with data, or a bad idle timeout, is a protocol violation", async () => {
    const emu = await withEmulator(onTestFinished);
    for (const bad of [
      { ...start("s"), data: "x", dataType: "text" },
      start("s", { idleTimeoutMs: -1 }),
      start("", {}),
      { type: "streamEnd", streamId: "s", error: "oops" },
    ]) {
      const { client } = await connect(emu, "h", { roles: ALL });
      client.send(bad);
      expect((await client.next()).event).toBe("disconnected");
      expect((await client.waitClose()).code).toBe(1008);
    }
  });

  test("a subscriber that joins mid-stream sees only later fragments; noEcho keeps them from the publisher", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    await pub.request({ type: "joinGroup", group: "g", ackId: 1 });
    pub.send(start("s", {}));
    pub.send({ ...start("e"), noEcho: true });
    await pub.nextWhere((f) => f.type === "streamAck" && f.streamId === "e");
    pub.send(data("s", 1, "one"));
    pub.send(data("e", 1, "not echoed"));
    await sub.next();
    await sub.next();
    const late = await connect(emu, "h", { userId: "late", roles: ALL });
    expect(await late.client.request({ type: "joinGroup", group: "g", ackId: 1 })).toMatchObject({ success: true });
    pub.send(data("s", 2, "two"));
    pub.send({ type: "streamEnd", streamId: "s" });
    expect([(await late.client.next()).data, (await late.client.next()).stream]).toEqual(["two", { streamId: "s", streamSequenceId: 3, endOfStream: true }]);
    const own = [await pub.nextWhere((f) => f.type === "message"), await pub.nextWhere((f) => f.type === "message")];
    expect(own.map((f) => f.data)).toEqual(["one", "two"]);
  });

  test("the publisher's session gone ends its streams with Cancelled; streams per connection are bounded", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub, sub } = await pubSub(emu);
    for (let i = 0; i < MAX_OPEN_STREAMS; i++) pub.send(start(`s${i}`));
    pub.send(start("one-too-many"));
    const refused = await pub.nextWhere((f) => f.streamId === "one-too-many");
    expect(refused).toMatchObject({ type: "streamClosed", error: { name: "BadRequest" } });
    pub.close();
    const ends: Frame[] = [];
    for (let i = 0; i < MAX_OPEN_STREAMS; i++) ends.push(await sub.next());
    expect(ends.every((f) => (f.stream as Frame).endOfStream === true && ((f.stream as Frame).error as Frame).name === "Cancelled")).toBe(true);
  });

  test("fragments are reliable messages: a subscriber's recovery resends the ones it did not acknowledge", async () => {
    const emu = await withEmulator(onTestFinished);
    const { pub } = await pubSub(emu);
    const url = await emu.getClientAccessUrl("h", { userId: "r", groups: ["g"] });
    const { open, RELIABLE_PROTOCOL } = await import("../emulator/helpers");
    const reader = await open(url, RELIABLE_PROTOCOL);
    const connected = await reader.next();
    pub.send(start("s"));
    await pub.next();
    pub.send(data("s", 1, "a"));
    pub.send(data("s", 2, "b"));
    await reader.next();
    await reader.next();
    emu.faults.drop(String(connected.connectionId));
    await reader.waitClose();
    const again = new URL(url);
    again.searchParams.set("awps_connection_id", String(connected.connectionId));
    again.searchParams.set("awps_reconnection_token", String(connected.reconnectionToken));
    const recovered = await open(again.toString(), RELIABLE_PROTOCOL);
    const frames = [await recovered.nextWhere((f) => f.type === "message"), await recovered.nextWhere((f) => f.type === "message")];
    expect(frames.map((f) => [f.sequenceId, f.data, (f.stream as Frame).streamSequenceId])).toEqual([
      [1, "a", 1],
      [2, "b", 2],
    ]);
  });
});

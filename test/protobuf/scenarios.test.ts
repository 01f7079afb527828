// The client scenarios that matter, on protobuf-reliable as well as on JSON-reliable, end to
// end against the local service with its fault injection: acks, exactly-once across lost
// acks and drops, recovery without loss or duplicates, sequence acks, a lost session.
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { testHooks } from "../../emulator/index";
import { SendMessageError, type OnGroupDataMessageArgs, type OnServerDataMessageArgs } from "../../src/index";
import { emulator, recorder, RELIABLE_PROTOCOLS, startClient } from "./helpers";

describe.each(RELIABLE_PROTOCOLS)("on %s", (_name, protocol) => {
  it("acks: operations resolve with their ackIds; a missing role fails with Forbidden and the ackId; a reused ackId is a duplicate", async () => {
    const emu = await emulator();
    const c = await startClient(emu, protocol(), { roles: ["webpubsub.joinLeaveGroup"] });
    expect(emu.connections("chat").map((x) => x.subprotocol)).toEqual([protocol().name]);
    await expect(c.joinGroup("g")).resolves.toEqual({ ackId: 1, isDuplicated: false });
    await expect(c.sendEvent("e", "x", "text", { ackId: 50 })).rejects.toThrow(); // no event handler: InvocationFailed
    const err = (await c.sendToGroup("g", "x", "text").catch((e: unknown) => e)) as SendMessageError;
    expect(err).toBeInstanceOf(SendMessageError);
    expect(err.errorDetail?.name).toBe("Forbidden");
    expect(err.ackId).toEqual(expect.any(Number)); // the automatic ackId it was sent with, for a retry
    await expect(c.leaveGroup("g", { ackId: 7 })).resolves.toEqual({ ackId: 7, isDuplicated: false });
    await expect(c.leaveGroup("g", { ackId: 7 })).resolves.toEqual({ ackId: 7, isDuplicated: true });
  });

  it("exactly-once: a lost ack, then a drop: the send is retried with its ackId and delivered once", async () => {
    const emu = await emulator();
    const receiver = await startClient(emu, protocol());
    await receiver.joinGroup("g");
    const got = recorder<OnGroupDataMessageArgs>((l) => receiver.on("group-message", l));
    const sender = await startClient(emu, protocol(), { ackTimeoutInMs: 200 });

    emu.faults.loseAcks(sender.connectionId, 1);
    await expect(sender.sendToGroup("g", "lost ack", "text")).resolves.toEqual({ ackId: 1, isDuplicated: false });

    emu.faults.loseAcks(sender.connectionId, 1);
    const send = sender.sendToGroup("g", "lost ack and link", "text");
    await got.until(2); // executed by the service, its ack lost
    const recovered = new Promise((r) => sender.once("recovered", r));
    emu.faults.drop(sender.connectionId);
    await recovered;
    await expect(send).resolves.toEqual({ ackId: 2, isDuplicated: false });

    await sender.sendToGroup("g", "marker", "text");
    const all = await got.until(3);
    expect(all.map((e) => e.message.data)).toEqual(["lost ack", "lost ack and link", "marker"]);
    expect(all.map((e) => e.message.sequenceId)).toEqual([1, 2, 3]);
  });

  it("recovery: what is sent while the link is down arrives once and in order, on the same connection", async () => {
    const emu = await emulator();
    const hooks = testHooks(emu);
    const c = await startClient(emu, protocol());
    const id = c.connectionId;
    const got = recorder<OnServerDataMessageArgs>((l) => c.on("server-message", l));
    for (let i = 1; i <= 3; i++) hooks.sendToConnection(id, JSON.stringify({ i }));
    await got.until(3);
    const dropped = once(emu.events, "drop");
    const recovered = new Promise((r) => c.once("recovered", r));
    emu.faults.drop(id);
    await dropped;
    for (let i = 4; i <= 8; i++) expect(hooks.sendToConnection(id, JSON.stringify({ i }))).toBe(true);
    await recovered;
    const all = await got.until(8);
    expect(all.map((e) => (e.message.data as { i: number }).i)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(all.map((e) => e.message.sequenceId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.connectionId).toBe(id);
  });

  it("sequence acks: a fast stream is acknowledged before the service's bound (at once past 300 ids)", async () => {
    const emu = await emulator();
    const hooks = testHooks(emu);
    const c = await startClient(emu, protocol());
    const acked = new Promise<number>((resolve) => {
      const off = hooks.onSequenceAck(c.connectionId, (seq) => {
        if (seq >= 300) (off(), resolve(seq));
      });
    });
    const got = recorder<OnServerDataMessageArgs>((l) => c.on("server-message", l));
    for (let i = 1; i <= 320; i++) hooks.sendToConnection(c.connectionId, `m${i}`, "text");
    await got.until(320);
    expect(await acked).toBeGreaterThanOrEqual(300);
    expect(hooks.unacked(c.connectionId)).toBeLessThan(320);
  });

  it("a session the service ended (1008) is not recovered: a new connection, groups rejoined", async () => {
    const emu = await emulator();
    const c = await startClient(emu, protocol());
    await c.joinGroup("g");
    const first = c.connectionId;
    const connected = recorder<{ connectionId: string }>((l) => c.on("connected", l));
    emu.faults.close(first, 1008, "gone");
    const [again] = await connected.until(1);
    expect(again!.connectionId).not.toBe(first);
    const got = recorder<OnGroupDataMessageArgs>((l) => c.on("group-message", l));
    await c.sendToGroup("g", "after", "text");
    const [m] = await got.until(1);
    expect(m!.message).toMatchObject({ group: "g", data: "after", sequenceId: 1 });
  });
});

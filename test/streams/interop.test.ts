// Group streams end to end through the emulator: ours → ours, official → ours, ours →
// official, and ours across abrupt drops of both the writer and the reader.
import { WebPubSubClient as OfficialClient } from "@azure/web-pubsub-client";
import { describe, expect, onTestFinished, test } from "vitest";
import type { Emulator } from "../../emulator/index";
import { GroupStreamError, WebPubSubClient } from "../../src/index";
import { withEmulator } from "../emulator/helpers";
import { firstStream, type Subscribable } from "./first-stream";

const ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

async function ours(emu: Emulator, userId: string): Promise<WebPubSubClient> {
  const url = await emu.getClientAccessUrl("hub", { userId, roles: ROLES });
  const client = new WebPubSubClient(url);
  onTestFinished(() => client.stop());
  await client.start();
  return client;
}

async function official(emu: Emulator, userId: string): Promise<OfficialClient> {
  const url = await emu.getClientAccessUrl("hub", { userId, roles: ROLES });
  const client = new OfficialClient({ getClientAccessUrl: async () => url });
  onTestFinished(() => client.stop());
  await client.start();
  return client;
}

describe("group streams through the emulator", () => {
  test("ours writes, ours reads: every data type, in order, ended; fragments are not group-messages", async () => {
    const emu = await withEmulator(onTestFinished);
    const writer = await ours(emu, "w");
    const reader = await ours(emu, "r");
    await reader.joinGroup("g");
    const plain: unknown[] = [];
    reader.on("group-message", (e) => plain.push(e.message.data));
    const got = firstStream(reader);
    const w = await writer.openGroupStream("g");
    await w.write("a", "text");
    await w.write({ n: 1 }, "json");
    await w.write(new Uint8Array([1, 2, 3]), "binary");
    await w.end();
    await writer.sendToGroup("g", "after", "text");
    const r = await got;
    expect(r.error).toBeUndefined();
    expect(r.data).toEqual(["a", { n: 1 }, [1, 2, 3]]);
    expect(r.seqs).toEqual([1, 2, 3]);
    expect(r.stream.abortSignal.aborted).toBe(true);
    await new Promise<void>((res) => (plain.length ? res() : reader.on("group-message", () => res())));
    expect(plain).toEqual(["after"]);
  });

  test("the official client writes, ours reads", async () => {
    const emu = await withEmulator(onTestFinished);
    const writer = await official(emu, "w");
    const reader = await ours(emu, "r");
    await reader.joinGroup("g");
    const got = firstStream(reader);
    const w = await writer.openGroupStream("g");
    for (let i = 1; i <= 20; i++) await w.write(`f${i}`, "text");
    await w.end();
    const r = await got;
    expect(r.error).toBeUndefined();
    expect(r.data).toEqual(Array.from({ length: 20 }, (_, i) => `f${i + 1}`));
    expect(r.stream.streamId).toBe(w.streamId);
  });

  test("ours writes, the official client reads; an abort reaches it as UserError", async () => {
    const emu = await withEmulator(onTestFinished);
    const writer = await ours(emu, "w");
    const reader = await official(emu, "r");
    await reader.joinGroup("g");
    const got = firstStream(reader as unknown as Subscribable);
    const w = await writer.openGroupStream("g", { streamId: "s-1" });
    for (let i = 1; i <= 20; i++) await w.write({ i }, "json");
    await w.abort({ message: "gave up", userErrorCode: "E1" });
    const r = await got;
    expect(r.data).toEqual(Array.from({ length: 20 }, (_, i) => ({ i: i + 1 })));
    expect(r.stream.streamId).toBe("s-1");
    expect(r.error).toMatchObject({ name: "UserError", message: "gave up", userErrorCode: "E1" });
  });

  test("ours writes across abrupt drops of writer and reader: every fragment once, in order, ended cleanly", async () => {
    const emu = await withEmulator(onTestFinished);
    const writer = await ours(emu, "w");
    const reader = await ours(emu, "r");
    await reader.joinGroup("g");
    const got = firstStream(reader);
    const recovered = (c: WebPubSubClient): Promise<void> => new Promise((res) => c.on("recovered", () => res()));
    const w = await writer.openGroupStream("g");
    const N = 400;
    for (let i = 1; i <= N; i++) {
      await w.write(i, "json");
      if (i === 100 || i === 250) {
        const back = Promise.all([recovered(writer), recovered(reader)]);
        emu.faults.drop(writer.connectionId!);
        emu.faults.drop(reader.connectionId!);
        if (i === 250) await back; // the second time, wait: the end itself must not be lost
      }
    }
    await w.end();
    const r = await got;
    expect(r.error).toBeUndefined();
    expect(r.data).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  }, 30_000);

  test("a start without the sendToGroup role is refused Forbidden", async () => {
    const emu = await withEmulator(onTestFinished);
    const url = await emu.getClientAccessUrl("hub", { userId: "x", roles: [] });
    const client = new WebPubSubClient(url);
    onTestFinished(() => client.stop());
    await client.start();
    const error = await client.openGroupStream("g").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GroupStreamError);
    expect(error).toMatchObject({ name: "Forbidden", acknowledged: 0 });
  });
});

// A protobuf client of ours and Microsoft's official JSON client (@azure/web-pubsub-client)
// in one group, through the local service: text, json and binary both ways.
import { WebPubSubClient as OfficialClient, type OnGroupDataMessageArgs as OfficialGroupArgs } from "@azure/web-pubsub-client";
import { describe, expect, it, onTestFinished } from "vitest";
import type { OnGroupDataMessageArgs } from "../../src/index";
import { WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index";
import { ALL_ROLES, bytes, emulator, recorder, startClient } from "./helpers";

const shape = (m: { dataType: string; data: unknown }) => [m.dataType, m.data instanceof ArrayBuffer ? bytes(m.data) : m.data];

describe("protobuf client ↔ official JSON client", () => {
  it("exchange text, json and binary through the service", async () => {
    const emu = await emulator();
    const url = await emu.getClientAccessUrl("chat", { roles: ALL_ROLES, userId: "official" });
    const official = new OfficialClient(url);
    onTestFinished(() => official.stop());
    const officialGot = recorder<OfficialGroupArgs>((l) => official.on("group-message", l));
    await official.start();
    await official.joinGroup("room");

    const pb = await startClient(emu, WebPubSubProtobufReliableProtocol(), { userId: "pb" });
    const pbGot = recorder<OnGroupDataMessageArgs>((l) => pb.on("group-message", l));
    await pb.joinGroup("room");

    await pb.sendToGroup("room", "hello from protobuf", "text", { noEcho: true });
    await pb.sendToGroup("room", { from: "protobuf", n: [1, 2] }, "json", { noEcho: true });
    await pb.sendToGroup("room", new Uint8Array([1, 2, 3, 250]), "binary", { noEcho: true });
    const o = (await officialGot.until(3)).map((e) => e.message);
    expect(o.map(shape)).toEqual([
      ["text", "hello from protobuf"],
      ["json", { from: "protobuf", n: [1, 2] }],
      ["binary", [1, 2, 3, 250]],
    ]);
    expect(o.every((m) => m.group === "room" && m.fromUserId === "pb")).toBe(true);

    await official.sendToGroup("room", "hello from json", "text", { noEcho: true });
    await official.sendToGroup("room", { from: "json" }, "json", { noEcho: true });
    await official.sendToGroup("room", new Uint8Array([9, 8, 7]).buffer, "binary", { noEcho: true });
    const p = (await pbGot.until(3)).map((e) => e.message);
    expect(p.map(shape)).toEqual([
      ["text", "hello from json"],
      ["json", { from: "json" }],
      ["binary", [9, 8, 7]],
    ]);
    expect(p.map((m) => m.sequenceId)).toEqual([1, 2, 3]);
  });
});

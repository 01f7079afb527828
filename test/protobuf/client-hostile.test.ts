// The whole client on protobuf against a hand-driven socket: malformed frames are dropped with
// a warning on the client's logger, unknown cases are ignored silently, and good frames after
// them are delivered; nothing wrong ever reaches the application.
import { describe, expect, it } from "vitest";
import { reliableProtobufCodec } from "../../emulator/protocol/protobuf-codec";
import type { DownstreamFrame } from "../../emulator/protocol/codec";
import { WebPubSubClient } from "../../src/index";
import { WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index";
import { fakeRuntime, recordEvents, settle, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime";

useFakeTimersAndRejectionGuard();

const wire = (f: DownstreamFrame): ArrayBuffer => {
  const b = reliableProtobufCodec.encode(f) as Buffer;
  return new Uint8Array(b).buffer;
};

describe("the client on protobuf, hostile frames", () => {
  it("drops malformed frames with a warning, ignores unknown cases, delivers what follows", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient("wss://h/client/hubs/hub?access_token=t", { protocol: WebPubSubProtobufReliableProtocol() }, rt);
    const events = recordEvents(client);
    const started = client.start();
    await settle();
    const socket = rt.last();
    expect(socket.subprotocol).toBe("protobuf.reliable.webpubsub.azure.v1");
    socket.open();
    socket.receive(wire({ type: "connected", connectionId: "c1", userId: "u", reconnectionToken: "t1" }));
    await started;
    expect(client.connectionId).toBe("c1");

    const message = (i: number): DownstreamFrame => ({ type: "message", sequenceId: i, source: { from: "server" }, payload: { dataType: "text", body: Buffer.from(`m${i}`) } });
    socket.receive(wire(message(1)));
    socket.receive(new Uint8Array([0x12, 0x40, 0x0a]).buffer); // truncated
    socket.receive(new Uint8Array([0x12, 0x0c, 0x0a, 0x06, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x20, 0xff, 0xff, 0xff, 0xff, 0x7f]).buffer.slice(0, 14)); // truncated varint
    socket.receive("not protobuf"); // a text frame
    socket.receive(new Uint8Array([0xfa, 0x01, 0x00]).buffer); // an unknown case: ignored without a warning
    socket.receive(wire(message(2)));
    await settle();
    const got = events.filter(([name]) => name === "server-message").map(([, e]) => [e.message.data, e.message.sequenceId]);
    expect(got).toEqual([
      ["m1", 1],
      ["m2", 2],
    ]);
    // The core logs each frame its protocol could not parse as one warning (core/inbound.ts):
    // three here, none for the unknown case, and each names the codec's error.
    const warnings = rt.logs.filter((l) => l.startsWith("warn:") && /frame/.test(l));
    expect(warnings).toHaveLength(3);
    expect(warnings.every((w) => /ProtobufFrameError: malformed protobuf frame/.test(w))).toBe(true);
    expect(client.state).toBe("connected");
    await client.stop();
  });
});

// Group streams on the protobuf subprotocols: the stream frames in both codecs, and streams
// end to end through the service between protobuf and JSON clients, across a drop.
import { describe, expect, it } from "vitest";
import { protobufCodec, reliableProtobufCodec } from "../../emulator/protocol/protobuf-codec";
import type { DownstreamFrame } from "../../emulator/protocol/codec";
import { WebPubSubJsonReliableProtocol } from "../../src/index";
import { WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index";
import type { WebPubSubMessage } from "../../src/types/messages";
import { emulator, startClient } from "./helpers";
import { firstStream } from "../streams/first-stream";

const client = WebPubSubProtobufReliableProtocol();
const request = (m: WebPubSubMessage) => protobufCodec.decode(Buffer.from(client.writeMessage(m) as ArrayBuffer), true);
const parse = (f: DownstreamFrame) => client.parseMessages(new Uint8Array(reliableProtobufCodec.encode(f) as Buffer));

describe("stream frames, client codec ⇄ service codec", () => {
  it("publisher → service: start, data, keep-alive, end (with and without error)", () => {
    expect(request({ kind: "sendToGroup", group: "g", noEcho: true, stream: { streamId: "s1", idleTimeoutInMs: 9000 } })).toEqual({
      ok: true,
      request: { type: "streamStart", group: "g", noEcho: true, streamId: "s1", idleTimeoutMs: 9000 },
    });
    expect(request({ kind: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "s1" } })).toEqual({ ok: true, request: { type: "streamStart", group: "g", noEcho: false, streamId: "s1" } });
    expect(request({ kind: "streamData", streamId: "s1", streamSequenceId: 1, dataType: "json", data: [1] })).toEqual({
      ok: true,
      request: { type: "streamData", streamId: "s1", streamSequenceId: 1, payload: { dataType: "json", body: Buffer.from("[1]") } },
    });
    expect(request({ kind: "streamData", streamId: "s1" })).toEqual({ ok: true, request: { type: "streamData", streamId: "s1" } });
    expect(request({ kind: "streamEnd", streamId: "s1" })).toEqual({ ok: true, request: { type: "streamEnd", streamId: "s1" } });
    expect(request({ kind: "streamEnd", streamId: "s1", error: { message: "m", userErrorCode: "E" } })).toEqual({
      ok: true,
      request: { type: "streamEnd", streamId: "s1", error: { message: "m", userErrorCode: "E" } },
    });
  });

  it("malformed stream requests are refused with a reason (the connection is closed 1008)", () => {
    const bad: Array<[WebPubSubMessage, RegExp]> = [
      [{ kind: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "" } }, /stream_id/],
      [{ kind: "sendToGroup", group: "g", noEcho: false, ackId: 1, stream: { streamId: "s" } }, /no 'data' or 'ack_id'/],
      [{ kind: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "s", idleTimeoutInMs: 0 } }, /idle_timeout_ms/],
      [{ kind: "streamData", streamId: "s", dataType: "text", data: "x" }, /stream_sequence_id/],
      [{ kind: "streamData", streamId: "s", streamSequenceId: 0, dataType: "text", data: "x" }, /stream_sequence_id/],
      [{ kind: "streamData", streamId: "s", streamSequenceId: 2 }, /'data' is required/],
      [{ kind: "streamEnd", streamId: "" }, /stream_id/],
    ];
    for (const [m, reason] of bad) expect(request(m)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
    // As on JSON, a too-long stream id is not a protocol violation: the session refuses it
    // (a start gets streamClosed BadRequest, an end StreamNotFound), the connection stays.
    expect(request({ kind: "streamEnd", streamId: "x".repeat(129) })).toMatchObject({ ok: true });
  });

  it("service → publisher and subscribers: ack, nack, closed, fragments, the last fragment without data", () => {
    expect(parse({ type: "streamAck", streamId: "s", expectedSequenceId: 3 })).toEqual({ kind: "streamAck", streamId: "s", expectedSequenceId: 3 });
    expect(parse({ type: "streamNack", streamId: "s", expectedSequenceId: 4, name: "TransientError", message: "again" })).toEqual({
      kind: "streamNack",
      streamId: "s",
      name: "TransientError",
      message: "again",
      expectedSequenceId: 4,
    });
    expect(parse({ type: "streamClosed", streamId: "s" })).toEqual({ kind: "streamClosed", streamId: "s" });
    expect(parse({ type: "streamClosed", streamId: "s", error: { name: "IdleTimeout", message: "idle" } })).toEqual({ kind: "streamClosed", streamId: "s", error: { name: "IdleTimeout", message: "idle" } });
    const source = (stream: object) => ({ from: "group" as const, group: "g", fromUserId: "u", stream: stream as never });
    expect(parse({ type: "message", sequenceId: 5, source: source({ streamId: "s", streamSequenceId: 1 }), payload: { dataType: "text", body: Buffer.from("a") } })).toEqual({
      kind: "groupData",
      group: "g",
      fromUserId: undefined,
      dataType: "text",
      data: "a",
      sequenceId: 5,
      stream: { streamId: "s", streamSequenceId: 1 },
    });
    const end = parse({ type: "message", sequenceId: 6, source: source({ streamId: "s", streamSequenceId: 2, endOfStream: true, error: { name: "UserError", message: "m", userErrorCode: "E" } }), payload: { dataType: "text", body: Buffer.alloc(0) } });
    expect(end).toMatchObject({ kind: "groupData", data: undefined, stream: { streamId: "s", streamSequenceId: 2, endOfStream: true, error: { name: "UserError", message: "m", userErrorCode: "E" } } });
  });
});

describe("group streams through the service on protobuf", () => {
  it("a protobuf writer; a protobuf and a JSON reader each get every fragment, in order, and the end", async () => {
    const emu = await emulator();
    const writer = await startClient(emu, WebPubSubProtobufReliableProtocol(), { userId: "w" });
    const pbReader = await startClient(emu, WebPubSubProtobufReliableProtocol(), { userId: "rp" });
    const jsReader = await startClient(emu, WebPubSubJsonReliableProtocol(), { userId: "rj" });
    await pbReader.joinGroup("g");
    await jsReader.joinGroup("g");
    const [pbGot, jsGot] = [firstStream(pbReader), firstStream(jsReader)];
    const w = await writer.openGroupStream("g");
    await w.write("a", "text");
    await w.write({ n: 1 }, "json");
    await w.write(new Uint8Array([1, 2, 3]), "binary");
    await w.abort({ message: "gave up", userErrorCode: "E1" });
    for (const r of [await pbGot, await jsGot]) {
      expect(r.data).toEqual(["a", { n: 1 }, [1, 2, 3]]);
      expect(r.seqs).toEqual([1, 2, 3]);
      expect(r.error).toMatchObject({ name: "UserError", message: "gave up", userErrorCode: "E1" });
    }
  });

  it("a JSON writer and a protobuf reader, the reader dropped mid-stream: every fragment once, ended cleanly", async () => {
    const emu = await emulator();
    const writer = await startClient(emu, WebPubSubJsonReliableProtocol(), { userId: "w" });
    const reader = await startClient(emu, WebPubSubProtobufReliableProtocol(), { userId: "r" });
    await reader.joinGroup("g");
    const got = firstStream(reader);
    const w = await writer.openGroupStream("g");
    for (let i = 1; i <= 10; i++) await w.write(`f${i}`, "text");
    const recovered = new Promise((r) => reader.once("recovered", r));
    emu.faults.drop(reader.connectionId);
    for (let i = 11; i <= 20; i++) await w.write(`f${i}`, "text");
    await w.end();
    await recovered;
    const r = await got;
    expect(r.error).toBeUndefined();
    expect(r.data).toEqual(Array.from({ length: 20 }, (_, i) => `f${i + 1}`));
  });
});

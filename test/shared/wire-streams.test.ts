// The group-stream messages of the shared connection's channel, as tables: what is accepted
// (and passed on as a fresh copy holding only the checked fields), and what is dropped.
import { describe, expect, it } from "vitest";
import { parseWire } from "../../src/shared/wire.js";
import { WIRE_MAX_STREAMS } from "../../src/shared/wire-streams.js";

const raw = (m: unknown) => ({ t: "raw", from: "tab", m });
const sframe = (m: unknown) => ({ t: "sframe", holder: "h", to: "tab", m });
const data = (m: object) => ({ t: "data", holder: "h", m: { kind: "groupData", group: "g", sequenceId: 4, ...m } });

describe("stream frames a tab passes to the holder", () => {
  const good: Array<[string, unknown, unknown]> = [
    ["start", { kind: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "s" } }, undefined],
    ["start with idle timeout", { kind: "sendToGroup", group: "g", noEcho: true, stream: { streamId: "s", idleTimeoutInMs: 9000 } }, undefined],
    ["data", { kind: "streamData", streamId: "s", streamSequenceId: 1, dataType: "text", data: "x" }, undefined],
    ["binary data", { kind: "streamData", streamId: "s", streamSequenceId: 2, dataType: "binary", data: new Uint8Array([1]) }, undefined],
    ["keep-alive", { kind: "streamData", streamId: "s" }, undefined],
    ["end", { kind: "streamEnd", streamId: "s" }, undefined],
    ["abort", { kind: "streamEnd", streamId: "s", error: { message: "m", userErrorCode: "E" } }, undefined],
    ["extra fields dropped", { kind: "streamEnd", streamId: "s", ackId: 5, evil: true }, { kind: "streamEnd", streamId: "s" }],
  ];
  it.each(good)("accepts a %s", (_name, m, copy) => {
    const parsed = parseWire(raw(m)) as { m: unknown } | undefined;
    expect(parsed?.m).toEqual(copy ?? m);
    expect(parsed?.m).not.toBe(m);
  });

  const bad: Array<[string, unknown]> = [
    ["not a stream kind", { kind: "joinGroup", group: "g", ackId: 1 }],
    ["a plain sendToGroup", { kind: "sendToGroup", group: "g", noEcho: false, dataType: "text", data: "x" }],
    ["a start with data", { kind: "sendToGroup", group: "g", noEcho: false, dataType: "text", data: "x", stream: { streamId: "s" } }],
    ["a start with an ackId", { kind: "sendToGroup", group: "g", noEcho: false, ackId: 1, stream: { streamId: "s" } }],
    ["a start with a bad idle timeout", { kind: "sendToGroup", group: "g", noEcho: false, stream: { streamId: "s", idleTimeoutInMs: -1 } }],
    ["a start without a stream id", { kind: "sendToGroup", group: "g", noEcho: false, stream: {} }],
    ["sequence id 0", { kind: "streamData", streamId: "s", streamSequenceId: 0, dataType: "text", data: "x" }],
    ["a fractional sequence id", { kind: "streamData", streamId: "s", streamSequenceId: 1.5, dataType: "text", data: "x" }],
    ["data without a sequence id", { kind: "streamData", streamId: "s", dataType: "text", data: "x" }],
    ["content of the wrong type", { kind: "streamData", streamId: "s", streamSequenceId: 1, dataType: "binary", data: "x" }],
    ["a huge stream id", { kind: "streamData", streamId: "s".repeat(5000) }],
    ["an empty stream id", { kind: "streamEnd", streamId: "" }],
    ["a malformed abort", { kind: "streamEnd", streamId: "s", error: { message: 5 } }],
    ["null", null],
  ];
  it.each(bad)("drops %s", (_name, m) => expect(parseWire(raw(m))).toBeUndefined());
  it("drops a frame without a sender", () => expect(parseWire({ t: "raw", m: { kind: "streamEnd", streamId: "s" } })).toBeUndefined());
});

describe("the holder's answers about a stream", () => {
  const good: unknown[] = [
    { kind: "streamAck", streamId: "s", expectedSequenceId: 3 },
    { kind: "streamNack", streamId: "s", expectedSequenceId: 3, name: "TransientError", message: "again" },
    { kind: "streamClosed", streamId: "s" },
    { kind: "streamClosed", streamId: "s", error: { name: "IdleTimeout", message: "" } },
  ];
  it.each(good.map((m) => [(m as { kind: string }).kind, m]))("accepts a %s", (_k, m) => expect((parseWire(sframe(m)) as { m: unknown }).m).toEqual(m));

  const bad: unknown[] = [
    { kind: "streamAck", streamId: "s", expectedSequenceId: "3" },
    { kind: "streamAck", streamId: "s" },
    { kind: "streamNack", streamId: "s", expectedSequenceId: 3 },
    { kind: "streamClosed", streamId: "s", error: { name: 5 } },
    { kind: "streamClosed", streamId: 5 },
    { kind: "ack", ackId: 1, success: true },
  ];
  it.each(bad.map((m, i) => [i, m]))("drops malformed answer %i", (_i, m) => expect(parseWire(sframe(m))).toBeUndefined());
  it("drops an answer without an addressee", () => expect(parseWire({ t: "sframe", holder: "h", m: good[0] })).toBeUndefined());
});

describe("stream fragments, link and session relays, hello", () => {
  it.each([
    ["a fragment", data({ dataType: "text", data: "x", stream: { streamId: "s", streamSequenceId: 1 } })],
    ["a last fragment without content", data({ dataType: "json", stream: { streamId: "s", streamSequenceId: 2, endOfStream: true } })],
    ["an aborted end", data({ stream: { streamId: "s", streamSequenceId: 2, endOfStream: true, error: { name: "UserError", message: "m", userErrorCode: "E" } } })],
    ["link up", { t: "link", holder: "h", up: true, recovered: true, connectionId: "c" }],
    ["link down", { t: "link", holder: "h", up: false }],
    ["a lost session", { t: "lost", holder: "h", message: "Session lost." }],
    ["a hello with streams", { t: "hello", from: "a", groups: [], streams: ["s1", "s2"] }],
    ["the holder tab's streams", { t: "owned", holder: "h", ids: ["s1"] }],
  ])("accepts %s", (_name, m) => expect(parseWire(m)).toBe(m));

  it.each([
    ["a fragment without content", data({ dataType: "text", stream: { streamId: "s", streamSequenceId: 1 } })],
    ["sequence id 0", data({ dataType: "text", data: "x", stream: { streamId: "s", streamSequenceId: 0 } })],
    ["a bad endOfStream", data({ dataType: "text", data: "x", stream: { streamId: "s", streamSequenceId: 1, endOfStream: "yes" } })],
    ["a bad stream error", data({ stream: { streamId: "s", streamSequenceId: 1, endOfStream: true, error: { name: "" } } })],
    ["a server message with a stream", { t: "data", holder: "h", m: { kind: "serverData", dataType: "text", data: "x", stream: { streamId: "s", streamSequenceId: 1 } } }],
    ["link without up", { t: "link", holder: "h" }],
    ["link with a bad recovered", { t: "link", holder: "h", up: true, recovered: 1 }],
    ["lost without a message", { t: "lost", holder: "h" }],
    ["lost with a huge message", { t: "lost", holder: "h", message: "x".repeat(5000) }],
    ["a hello with too many streams", { t: "hello", from: "a", groups: [], streams: Array.from({ length: WIRE_MAX_STREAMS + 1 }, (_, i) => `s${i}`) }],
    ["a hello with a bad stream id", { t: "hello", from: "a", groups: [], streams: [5] }],
    ["owned without ids", { t: "owned", holder: "h" }],
    ["owned with a bad id", { t: "owned", holder: "h", ids: [""] }],
  ])("drops %s", (_name, m) => expect(parseWire(m)).toBeUndefined());
});

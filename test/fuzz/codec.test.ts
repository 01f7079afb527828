// Property tests of the wire codecs, both directions, against the service's own codec:
// what the service writes the client parses to the same values; what the client writes the
// service parses to the same values; base64 round-trips any bytes; no input makes a parser throw.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../emulator/protocol/json-requests";
import type { Payload } from "../../emulator/protocol/payload";
import { ackFrame, connectedFrame, disconnectedFrame, invokeResponseFrame, messageFrame } from "../../emulator/protocol/json-frames";
import { decodeBase64, encodeBase64 } from "../../src/protocol/base64.js";
import { WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol } from "../../src/index.js";
import type { WebPubSubMessage } from "../../src/types/messages.js";

const SEED = 0x5eed;
const params = (numRuns = 300) => ({ seed: SEED, numRuns });

const reliable = WebPubSubJsonReliableProtocol();
const plain = WebPubSubJsonProtocol();

/** Well-formed strings (no lone surrogates: the service carries text as UTF-8 bytes). */
const text = fc.string({ unit: "binary", maxLength: 40 });
const anyString = fc.string({ unit: "binary-ascii", maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 300 });
const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const sequenceId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

type DataCase = { dataType: "text"; value: string } | { dataType: "json"; value: unknown } | { dataType: "binary" | "protobuf"; value: Uint8Array };
const data: fc.Arbitrary<DataCase> = fc.oneof(
  text.map((value) => ({ dataType: "text" as const, value })),
  jsonValue.map((value) => ({ dataType: "json" as const, value })),
  fc.tuple(fc.constantFrom("binary" as const, "protobuf" as const), bytes).map(([dataType, value]) => ({ dataType, value })),
);

function payloadOf(d: DataCase): Payload {
  switch (d.dataType) {
    case "text":
      return { dataType: "text", body: Buffer.from(d.value, "utf8") };
    case "json":
      return { dataType: "json", body: Buffer.from(JSON.stringify(d.value), "utf8") };
    default:
      return { dataType: d.dataType, body: Buffer.from(d.value) };
  }
}

/** The client's value for a data case: binary kinds arrive as ArrayBuffer. */
function expected(d: DataCase): unknown {
  return d.dataType === "binary" || d.dataType === "protobuf" ? new Uint8Array(d.value).buffer : d.value;
}

function normalize(v: unknown): unknown {
  return v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v;
}

function parseOne(input: string | ArrayBuffer, protocol = reliable): WebPubSubMessage | null {
  const m = protocol.parseMessages(input);
  expect(Array.isArray(m)).toBe(false);
  return m as WebPubSubMessage | null;
}

describe("downstream: frames the service writes parse to the same values", () => {
  it("group and server messages, every data type, with and without sequenceId", () => {
    fc.assert(
      fc.property(
        fc.option(sequenceId, { nil: undefined }),
        fc.oneof(fc.constant({ from: "server" as const }), fc.record({ from: fc.constant("group" as const), group: text, fromUserId: fc.option(text, { nil: undefined }) })),
        data,
        fc.boolean(),
        (seq, source, d, asBinaryFrame) => {
          const frame = messageFrame(seq, source, payloadOf(d));
          const input = asBinaryFrame ? new TextEncoder().encode(frame).buffer : frame;
          const m = parseOne(input)!;
          expect(m).not.toBeNull();
          expect(m.kind).toBe(source.from === "server" ? "serverData" : "groupData");
          const dm = m as Extract<WebPubSubMessage, { kind: "groupData" | "serverData" }>;
          expect(dm.dataType).toBe(d.dataType);
          expect(normalize(dm.data)).toEqual(normalize(expected(d)));
          expect(dm.sequenceId).toBe(seq);
          if (source.from === "group") {
            expect((dm as Extract<WebPubSubMessage, { kind: "groupData" }>).group).toBe(source.group);
            expect((dm as Extract<WebPubSubMessage, { kind: "groupData" }>).fromUserId).toBe(source.fromUserId);
          }
          // the non-reliable protocol parses the same frame, without a sequenceId
          const p = parseOne(frame, plain) as typeof dm;
          expect(p.sequenceId).toBeUndefined();
          expect(normalize(p.data)).toEqual(normalize(expected(d)));
        },
      ),
      params(),
    );
  });

  it("acks (success and error), connected, disconnected", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.option(fc.record({ name: text, message: text }), { nil: undefined }),
        text,
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        text,
        (ackId, error, connectionId, userId, token, reason) => {
          expect(parseOne(ackFrame(ackId, error))).toEqual({ kind: "ack", ackId, success: error === undefined, error });
          expect(parseOne(connectedFrame(connectionId, userId, token))).toEqual({ kind: "connected", connectionId, userId, reconnectionToken: token });
          expect(parseOne(disconnectedFrame(reason))).toEqual({ kind: "disconnected", message: reason });
        },
      ),
      params(),
    );
  });

  it("invoke responses", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.option(data, { nil: undefined }), fc.option(fc.record({ name: text, message: text }), { nil: undefined }), (id, d, error) => {
        const frame = error ? invokeResponseFrame(id, { error }) : invokeResponseFrame(id, d ? { payload: payloadOf(d) } : {});
        const m = parseOne(frame) as Extract<WebPubSubMessage, { kind: "invokeResponse" }>;
        expect(m.kind).toBe("invokeResponse");
        expect(m.invocationId).toBe(id);
        expect(m.success).toBe(!error);
        if (error) expect(m.error).toEqual(error);
        else if (d) {
          expect(m.dataType).toBe(d.dataType);
          expect(normalize(m.data)).toEqual(normalize(expected(d)));
        } else expect(m.data).toBeUndefined();
      }),
      params(),
    );
  });
});

describe("upstream: frames the client writes parse in the service to the same values", () => {
  const ackId = fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined });

  function contentOf(d: DataCase): unknown {
    return d.dataType === "binary" || d.dataType === "protobuf" ? d.value : d.value; // a Uint8Array view is accepted as binary content
  }

  it("sendToGroup, event, invoke: the service gets the same bytes", () => {
    fc.assert(
      fc.property(text, ackId, fc.boolean(), data, fc.string({ minLength: 1, maxLength: 20 }), (group, id, noEcho, d, name) => {
        const body = payloadOf(d).body;
        const send = parseClientFrame(reliable.writeMessage({ kind: "sendToGroup", group, ackId: id, noEcho, dataType: d.dataType, data: contentOf(d) as never }) as string);
        expect(send.ok).toBe(true);
        if (!send.ok || send.frame.type !== "sendToGroup") throw new Error("not a sendToGroup");
        expect(send.frame.group).toBe(group);
        expect(send.frame.ackId).toBe(id);
        expect(send.frame.noEcho).toBe(noEcho);
        expect(send.frame.payload.dataType).toBe(d.dataType);
        expect(send.frame.payload.body.equals(body)).toBe(true);

        const event = parseClientFrame(reliable.writeMessage({ kind: "sendEvent", event: name, ackId: id, dataType: d.dataType, data: contentOf(d) as never }) as string);
        expect(event.ok && event.frame.type === "event" && event.frame.event === name && event.frame.ackId === id && event.frame.payload.body.equals(body)).toBe(true);

        const invoke = parseClientFrame(reliable.writeMessage({ kind: "invoke", invocationId: name, event: name, dataType: d.dataType, data: contentOf(d) as never }) as string);
        expect(invoke.ok && invoke.frame.type === "invoke" && invoke.frame.invocationId === name && invoke.frame.payload.body.equals(body)).toBe(true);
      }),
      params(),
    );
  });

  it("join, leave, sequenceAck, ping, cancelInvocation", () => {
    fc.assert(
      fc.property(text, ackId, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.string({ minLength: 1, maxLength: 20 }), (group, id, seq, inv) => {
        for (const kind of ["joinGroup", "leaveGroup"] as const) {
          const r = parseClientFrame(reliable.writeMessage({ kind, group, ackId: id }) as string);
          expect(r).toEqual({ ok: true, frame: id === undefined ? { type: kind, group } : { type: kind, group, ackId: id } });
        }
        expect(parseClientFrame(reliable.writeMessage({ kind: "sequenceAck", sequenceId: seq }) as string)).toEqual({ ok: true, frame: { type: "sequenceAck", sequenceId: seq } });
        expect(parseClientFrame(reliable.writeMessage({ kind: "ping" }) as string)).toEqual({ ok: true, frame: { type: "ping" } });
        expect(parseClientFrame(reliable.writeMessage({ kind: "cancelInvocation", invocationId: inv }) as string)).toEqual({
          ok: true,
          frame: { type: "cancelInvocation", invocationId: inv },
        });
      }),
      params(),
    );
  });
});

describe("base64", () => {
  it("round-trips any bytes, matches Node's encoder, and decodes Node's output (any view)", () => {
    fc.assert(
      fc.property(bytes, fc.nat(8), (b, offset) => {
        const encoded = encodeBase64(b);
        expect(encoded).toBe(Buffer.from(b).toString("base64"));
        expect([...new Uint8Array(decodeBase64(encoded)!)]).toEqual([...b]);
        // unpadded and url-safe input decodes too
        expect([...new Uint8Array(decodeBase64(Buffer.from(b).toString("base64url"))!)]).toEqual([...b]);
        // a view into a larger buffer encodes only its own bytes
        const big = new Uint8Array(b.length + offset + 3);
        big.set(b, offset);
        expect(encodeBase64(new DataView(big.buffer, offset, b.length))).toBe(encoded);
      }),
      params(500),
    );
  });

  it("never throws on arbitrary text; what it accepts re-encodes consistently", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 64 }), (s) => {
        const out = decodeBase64(s);
        if (out !== null) expect(out).toBeInstanceOf(ArrayBuffer);
      }),
      params(500),
    );
  });
});

describe("hostile input never throws", () => {
  const frameish = fc.record(
    {
      type: fc.oneof(fc.constantFrom("message", "ack", "system", "pong", "invokeResponse", "unknown"), anyString, fc.jsonValue()),
      event: fc.oneof(fc.constantFrom("connected", "disconnected"), fc.jsonValue()),
      from: fc.oneof(fc.constantFrom("group", "server"), fc.jsonValue()),
      group: fc.jsonValue(),
      dataType: fc.oneof(fc.constantFrom("text", "json", "binary", "protobuf"), fc.jsonValue()),
      data: fc.jsonValue(),
      sequenceId: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
      ackId: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
      success: fc.jsonValue(),
      error: fc.jsonValue(),
      connectionId: fc.jsonValue(),
      invocationId: fc.jsonValue(),
      __proto__: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );

  it("arbitrary strings, bytes, JSON values and frame-shaped objects", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.uint8Array({ maxLength: 200 }).map((b) => b.buffer as ArrayBuffer),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          frameish.map((v) => JSON.stringify(v)),
        ),
        (input) => {
          for (const p of [reliable, plain]) {
            const m = p.parseMessages(input);
            if (m !== null) {
              // what it accepts is well-formed
              for (const x of Array.isArray(m) ? m : [m]) {
                expect(typeof x.kind).toBe("string");
                if (x.kind === "groupData" || x.kind === "serverData") {
                  expect(["text", "json", "binary", "protobuf"]).toContain(x.dataType);
                  if (x.sequenceId !== undefined) expect(Number.isSafeInteger(x.sequenceId) && x.sequenceId > 0).toBe(true);
                }
                if (x.kind === "ack") expect(Number.isSafeInteger(x.ackId)).toBe(true);
              }
            }
          }
        },
      ),
      params(1000),
    );
  });

  it("the service's parser never throws on arbitrary strings, bytes and frame-shaped objects", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .record(
              {
                type: fc.oneof(fc.constantFrom("joinGroup", "leaveGroup", "sendToGroup", "event", "sequenceAck", "ping", "invoke", "cancelInvocation"), fc.jsonValue()),
                group: fc.jsonValue(),
                event: fc.jsonValue(),
                ackId: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
                noEcho: fc.jsonValue(),
                dataType: fc.oneof(fc.constantFrom("text", "json", "binary", "protobuf"), fc.jsonValue()),
                data: fc.jsonValue(),
                sequenceId: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
                invocationId: fc.jsonValue(),
                target: fc.jsonValue(),
              },
              { requiredKeys: [] },
            )
            .map((v) => JSON.stringify(v)),
        ),
        (input) => {
          const r = parseClientFrame(input);
          expect(typeof r.ok).toBe("boolean");
          if (!r.ok) expect(typeof r.reason).toBe("string");
        },
      ),
      params(1000),
    );
  });

  it("deeply nested JSON does not throw in either parser", () => {
    const deep = `{"type":"message","from":"server","dataType":"json","data":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    expect(() => reliable.parseMessages(deep)).not.toThrow();
    expect(() => parseClientFrame(`{"type":"sendToGroup","group":"g","data":${"[".repeat(200_000)}${"]".repeat(200_000)}}`)).not.toThrow();
  });
});

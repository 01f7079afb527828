import { afterEach, describe, expect, it, vi } from "vitest";

const sample = "héllo, wörld — 你好 🎉";
const bytes = new TextEncoder().encode(sample);

describe("decodeUtf8", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it("uses TextDecoder where the runtime has one", async () => {
    const { decodeUtf8 } = await import("../../src/protocol/utf8.js");
    expect(decodeUtf8(bytes)).toBe(sample);
    expect(decodeUtf8(bytes.buffer.slice(0))).toBe(sample);
  });

  it("decodes without TextDecoder (older React Native), and rejects malformed UTF-8", async () => {
    vi.stubGlobal("TextDecoder", undefined);
    vi.resetModules();
    const { decodeUtf8 } = await import("../../src/protocol/utf8.js");
    expect(decodeUtf8(bytes)).toBe(sample);
    const big = new TextEncoder().encode("ä".repeat(50_000));
    expect(decodeUtf8(big)).toBe("ä".repeat(50_000));
    expect(() => decodeUtf8(new Uint8Array([0xc3]))).toThrow(URIError);
  });

  it("a JSON frame in a binary message parses without TextDecoder", async () => {
    vi.stubGlobal("TextDecoder", undefined);
    vi.resetModules();
    const { WebPubSubJsonReliableProtocol } = await import("../../src/protocol/json-protocol.js");
    const frame = new TextEncoder().encode(JSON.stringify({ type: "message", from: "server", dataType: "text", data: sample, sequenceId: 3 }));
    expect(WebPubSubJsonReliableProtocol().parseMessages(frame.buffer)).toEqual({ kind: "serverData", dataType: "text", data: sample, sequenceId: 3 });
    expect(WebPubSubJsonReliableProtocol().parseMessages(new Uint8Array([0x7b, 0xc3]).buffer)).toBeNull();
  });
});

// The strict UTF-8 decoder of string fields, on a runtime without TextDecoder (older React
// Native): the escape/decodeURIComponent fallback must give the same strings and refuse the
// same bytes as TextDecoder with `fatal: true`.
import { afterEach, describe, expect, it, vi } from "vitest";

describe("protobuf string fields without TextDecoder", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  async function fallback() {
    vi.resetModules();
    vi.stubGlobal("TextDecoder", undefined);
    return import("../../src/protobuf/utf8");
  }

  it("decodes multi-byte text, also past one chunk of the binary string", async () => {
    const { fromUtf8 } = await fallback();
    const text = "héllo ✓ 😀 ".repeat(2000); // > 0x2000 bytes
    expect(fromUtf8(new TextEncoder().encode(text))).toBe(text);
    expect(fromUtf8(new Uint8Array(0))).toBe("");
  });

  it("refuses invalid UTF-8 with a ProtobufFrameError", async () => {
    const { fromUtf8 } = await fallback();
    const { ProtobufFrameError } = await import("../../src/protobuf/wire");
    expect(() => fromUtf8(new Uint8Array([0x61, 0xff, 0x62]))).toThrow(ProtobufFrameError);
    expect(() => fromUtf8(new Uint8Array([0xe2, 0x9c]))).toThrow(/not UTF-8/);
  });
});

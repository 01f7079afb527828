// UTF-8 for string fields. TextEncoder/TextDecoder where the runtime has them (looked up on
// first use); elsewhere the classic escape pair. Decoding is strict, as proto3 requires of
// string fields: invalid UTF-8 makes the frame malformed instead of delivering U+FFFD.
import { latin1 } from "../protocol/base64.js";
import { ProtobufFrameError } from "./wire.js";

type G = {
  TextEncoder?: new () => { encode(s: string): Uint8Array };
  TextDecoder?: new (label: string, o: { fatal: boolean }) => { decode(b: Uint8Array): string };
  escape(s: string): string;
  unescape(s: string): string;
};
const g = globalThis as unknown as G;
let encoder: { encode(s: string): Uint8Array } | null | undefined;
let decoder: { decode(b: Uint8Array): string } | null | undefined;

/** UTF-8 bytes of `s` (lone surrogates become U+FFFD where TextEncoder exists). */
export function utf8(s: string): Uint8Array {
  if (encoder === undefined) encoder = g.TextEncoder ? new g.TextEncoder() : null;
  if (encoder) return encoder.encode(s);
  const bin = g.unescape(encodeURIComponent(s));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The string in `b`; invalid UTF-8 throws ProtobufFrameError. */
export function fromUtf8(b: Uint8Array): string {
  if (decoder === undefined) decoder = g.TextDecoder ? new g.TextDecoder("utf-8", { fatal: true }) : null;
  try {
    if (decoder) return decoder.decode(b);
    return decodeURIComponent(g.escape(latin1(b)));
  } catch {
    throw new ProtobufFrameError("malformed protobuf frame: a string that is not UTF-8");
  }
}

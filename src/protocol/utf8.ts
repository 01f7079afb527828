// UTF-8 decoding for JSON that arrives in binary frames. TextDecoder where the runtime has
// one (looked up on first use, not at load: older React Native lacks it); elsewhere the
// classic escape/decodeURIComponent pair, which every engine has.
import { bytesOf, latin1 } from "./base64.js";

let decoder: { decode(input: Uint8Array): string } | null | undefined;

export function decodeUtf8(input: ArrayBuffer | Uint8Array): string {
  const bytes = bytesOf(input);
  if (decoder === undefined) {
    const TD = (globalThis as { TextDecoder?: new () => { decode(input: Uint8Array): string } }).TextDecoder;
    decoder = TD ? new TD() : null;
  }
  if (decoder) return decoder.decode(bytes);
  return decodeURIComponent((globalThis as unknown as { escape(s: string): string }).escape(latin1(bytes))); // throws on malformed UTF-8
}

// UTF-8 decoding for JSON that arrives in binary frames. TextDecoder where the runtime has
// one (looked up on first use, not at load: older React Native lacks it); elsewhere the
// classic escape/decodeURIComponent pair, which every engine has.
let decoder: { decode(input: Uint8Array): string } | null | undefined;

export function decodeUtf8(input: ArrayBuffer | Uint8Array): string {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (decoder === undefined) {
    const TD = (globalThis as { TextDecoder?: new () => { decode(input: Uint8Array): string } }).TextDecoder;
    decoder = TD ? new TD() : null;
  }
  if (decoder) return decoder.decode(bytes);
  let latin1 = "";
  for (let i = 0; i < bytes.length; i += 0x2000) {
    latin1 += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000) as unknown as number[]);
  }
  return decodeURIComponent((globalThis as unknown as { escape(s: string): string }).escape(latin1)); // throws on malformed UTF-8
}

// UTF-8 encoding for string fields.
let encoder: { encode(s: string): Uint8Array } | null | undefined;

/** UTF-8 bytes of `s`: TextEncoder where the runtime has one, else the classic escape pair. */
export function utf8(s: string): Uint8Array {
  if (encoder === undefined) {
    const TE = (globalThis as { TextEncoder?: new () => { encode(s: string): Uint8Array } }).TextEncoder;
    encoder = TE ? new TE() : null;
  }
  if (encoder) return encoder.encode(s);
  const bin = (globalThis as unknown as { unescape(s: string): string }).unescape(encodeURIComponent(s));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

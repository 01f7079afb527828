// UTF-8 decoding for JSON that arrives in binary frames. TextDecoder where the runtime
// has one (looked up on first use, not at load: older React Native lacks it).
let decoder: { decode(input: Uint8Array): string } | null | undefined;

export function decodeUtf8(input: ArrayBuffer | Uint8Array): string {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (decoder === undefined) {
    const TD = (globalThis as { TextDecoder?: new () => { decode(input: Uint8Array): string } }).TextDecoder;
    decoder = TD ? new TD() : null;
  }
  return decoder ? decoder.decode(bytes) : decodeUtf8Slow(bytes);
}

function decodeUtf8Slow(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i++];
    let cp = 0xfffd;
    if (b < 0x80) cp = b;
    else if (b >= 0xc0 && b < 0xe0 && i < bytes.length) cp = ((b & 0x1f) << 6) | (bytes[i++] & 0x3f);
    else if (b >= 0xe0 && b < 0xf0 && i + 1 < bytes.length) cp = ((b & 0x0f) << 12) | ((bytes[i++] & 0x3f) << 6) | (bytes[i++] & 0x3f);
    else if (b >= 0xf0 && i + 2 < bytes.length) {
      cp = ((b & 0x07) << 18) | ((bytes[i++] & 0x3f) << 12) | ((bytes[i++] & 0x3f) << 6) | (bytes[i++] & 0x3f);
    }
    out += String.fromCodePoint(cp > 0x10ffff ? 0xfffd : cp);
  }
  return out;
}

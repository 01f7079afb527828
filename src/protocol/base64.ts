// Base64 over the platform's btoa/atob (browsers, Node ≥ 18, Deno, Bun, workers, React
// Native ≥ 0.74), looked up when used. Binary strings are built in chunks, so large payloads
// never overflow the call stack.
const CHUNK = 0x2000;

export function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
}

/** One char per byte (a "binary string"). */
export function latin1(data: ArrayBuffer | ArrayBufferView): string {
  const bytes = bytesOf(data);
  let s = "";
  for (let c = 0; c < bytes.length; c += CHUNK) s += String.fromCharCode.apply(null, bytes.subarray(c, c + CHUNK) as unknown as number[]);
  return s;
}

export const encodeBase64 = (data: ArrayBuffer | ArrayBufferView): string => btoa(latin1(data));

/** Decodes base64 (or base64url; padding optional, whitespace ignored); null when it is not base64. */
export function decodeBase64(text: string): ArrayBuffer | null {
  let s: string;
  try {
    s = atob(text.replace(/[-_]/g, (c) => (c === "-" ? "+" : "/")).replace(/=+$/, ""));
  } catch {
    return null;
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

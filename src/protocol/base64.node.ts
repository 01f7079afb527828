// The Node build's base64 (rollup.config.mjs swaps it in for ./base64.ts in dist/index.*;
// the browser and native builds keep btoa/atob and carry no Buffer). Node's own codec is far
// faster than btoa/atob over a binary string (16 KB: about 20x to encode, 2.5x to decode;
// `npm run bench`, stream row), and decodes to the same bytes: the same input is refused.
export { bytesOf, latin1 } from "./base64.js";

export function encodeBase64(data: ArrayBuffer | ArrayBufferView): string {
  const view = ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
  return view.toString("base64");
}

/** Decodes base64 (or base64url; padding optional, whitespace ignored); null when it is not base64, as atob decides. */
export function decodeBase64(text: string): ArrayBuffer | null {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* "=" */) end--;
  const s = end === text.length ? text : text.slice(0, end);
  // Buffer skips what is not base64, so a text of nothing else gives all its bytes: no
  // regular expression over the whole payload on that path
  const fast = Buffer.from(s, "base64");
  if (end % 4 !== 1 && fast.length === Math.floor((end * 3) / 4)) return arrayBufferOf(fast);
  // otherwise the checks atob makes (forgiving base64): whitespace, inner padding, junk
  let t = s.replace(/[\t\n\f\r ]+/g, "");
  if (t.length % 4 === 0) t = t.replace(/={1,2}$/, "");
  if (t.length % 4 === 1 || /[^A-Za-z0-9+/_-]/.test(t)) return null;
  return arrayBufferOf(Buffer.from(t, "base64"));
}

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

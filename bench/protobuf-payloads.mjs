// The payloads of the protobuf bench rows: text, json and binary of about 100 B and 16 KB.
// `body` is what the service holds (UTF-8 text, JSON text, or bytes); `content` is what a
// client passes to sendToGroup.
const SIZES = { "100B": 100, "16KB": 16 * 1024 };

function make(dataType, size) {
  if (dataType === "text") {
    const s = "x".repeat(size);
    return { dataType, body: Buffer.from(s), content: s };
  }
  if (dataType === "json") {
    const pad = "y".repeat(Math.max(0, size - 30));
    const value = { kind: "tick", n: 12345, text: pad };
    const s = JSON.stringify(value);
    return { dataType, body: Buffer.from(s), content: value };
  }
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + 7) & 255;
  return { dataType, body: b, content: new Uint8Array(b) };
}

/** name ("json-100B") -> payload */
export const PAYLOADS = Object.fromEntries(
  ["text", "json", "binary"].flatMap((t) => Object.entries(SIZES).map(([label, n]) => [`${t}-${label}`, make(t, n)])),
);

// The Node build swaps ./base64 for its Buffer twin (rollup.config.mjs): both must give the
// same text for the same bytes, and the same bytes (or the same refusal) for the same text.
import { describe, expect, it } from "vitest";
import * as web from "../../src/protocol/base64.js";
import * as node from "../../src/protocol/base64.node.js";

const bytes = (n: number, seed = 7): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) & 255);
const asArray = (b: ArrayBuffer | null): number[] | null => (b ? [...new Uint8Array(b)] : null);

describe("base64: the Node build's Buffer codec agrees with btoa/atob", () => {
  it("encodes every length and view the same", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 63, 64, 65, 8191, 8192, 8193, 16384, 70000]) {
      const b = bytes(n);
      expect(node.encodeBase64(b), `length ${n}`).toBe(web.encodeBase64(b));
      expect(node.encodeBase64(b.buffer as ArrayBuffer)).toBe(web.encodeBase64(b.buffer as ArrayBuffer));
      const view = new DataView(b.buffer, Math.min(1, n), Math.max(0, n - 2));
      expect(node.encodeBase64(view)).toBe(web.encodeBase64(view));
    }
  });

  it("decodes what btoa wrote, base64url, missing or extra padding and whitespace the same", () => {
    const texts = ["", "QQ", "QQ=", "QQ==", "QQ===", "QUI", "QUI=", "QUJD", " QU JD\n", "QU\tJD==", "-_-_", "+/+/", "QQ== ", "QQ= =", web.encodeBase64(bytes(16384))];
    for (const t of texts) expect(asArray(node.decodeBase64(t)), JSON.stringify(t)).toEqual(asArray(web.decodeBase64(t)));
  });

  it("refuses what atob refuses", () => {
    for (const t of ["Q", "QQQQQ", "QUJD*", "QUJD**", "QUJDQUJD*", "QUJDQU JD*", "QQ=Q", "Q*Q=", "QQ\u00e9=", "====Q", "QUJD\u0000", "Q Q Q Q Q", "=QQ"]) {
      expect(web.decodeBase64(t), JSON.stringify(t)).toBeNull();
      expect(node.decodeBase64(t), JSON.stringify(t)).toBeNull();
    }
  });

  it("agrees on 5,000 random strings over the base64 alphabet, padding, whitespace and junk", () => {
    const alphabet = "ABCxyz019+/-_= \n=*";
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let k = 0; k < 5000; k++) {
      const t = Array.from({ length: rand(k % 10 === 0 ? 40 : 12) }, () => alphabet[rand(alphabet.length)]).join("");
      expect(asArray(node.decodeBase64(t)), JSON.stringify(t)).toEqual(asArray(web.decodeBase64(t)));
    }
  });
});

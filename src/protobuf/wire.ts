// Protobuf wire format, only what a fixed proto3 schema needs: varints, length-delimited
// fields and skipping what the schema does not know. A message to encode is a list of
// fields; its size is computed first, then it is written into one buffer.

/** A frame that is not valid protobuf for this schema. */
export class ProtobufFrameError extends Error {
  override name = "ProtobufFrameError";
}

const malformed = (what: string): never => {
  throw new ProtobufFrameError(`malformed protobuf frame: ${what}`);
};

/** One field to write: varint (number, boolean) or length-delimited (bytes, a sub-message). */
export type Field = [no: number, value: number | boolean | Uint8Array | Field[]];

const varintSize = (v: number): number => {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
};

const fieldSize = ([no, v]: Field): number =>
  varintSize(no * 8) +
  (typeof v === "number" ? varintSize(v) : typeof v === "boolean" ? 1 : ((v = lengthOf(v)), varintSize(v) + v));

const lengthOf = (v: Uint8Array | Field[]): number => (v instanceof Uint8Array ? v.length : messageSize(v));

const messageSize = (fields: Field[]): number => {
  let n = 0;
  for (const f of fields) n += fieldSize(f);
  return n;
};

/** Encodes a message; every number must be a safe integer ≥ 0 (checked). */
export function encodeMessage(fields: Field[]): Uint8Array {
  const out = new Uint8Array(messageSize(fields));
  let p = 0;
  const varint = (v: number): void => {
    while (v >= 128) {
      out[p++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    out[p++] = v;
  };
  const write = (list: Field[]): void => {
    for (const [no, v] of list) {
      if (typeof v === "number" || typeof v === "boolean") {
        varint(no * 8);
        varint(+v);
      } else {
        varint(no * 8 + 2);
        varint(lengthOf(v));
        if (v instanceof Uint8Array) {
          out.set(v, p);
          p += v.length;
        } else write(v);
      }
    }
  };
  write(fields);
  return out;
}

/** A uint64 value for the wire: a safe integer ≥ 0, else a RangeError. */
export function uint(v: number, name: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be an integer in [0, 2^53), got ${v}`);
  return v;
}

/**
 * Reads one message field by field: `next()` gives each field's tag (number × 8 + wire
 * type) or -1 at the end; the caller reads a value it knows with `int`/`bytes`, or
 * `skip(tag)`s it. A truncated message, an invalid wire type or field number 0 throws
 * `ProtobufFrameError`.
 */
export class Reader {
  constructor(
    private readonly buf: Uint8Array,
    private pos = 0,
    private readonly end = buf.length,
  ) {}

  /** A varint as a number; one above 2^53 - 1 is refused rather than rounded. */
  int(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) malformed("truncated varint");
      const b = this.buf[this.pos++];
      v += (b & 127) * scale;
      if (b < 128) return v > Number.MAX_SAFE_INTEGER ? malformed("integer above 2^53") : v;
      scale *= 128;
    }
    return malformed("varint longer than 10 bytes");
  }

  /** A length-delimited value as a view (no copy). */
  bytes(): Uint8Array {
    const n = this.int();
    if (n > this.end - this.pos) malformed("length beyond the frame");
    return this.buf.subarray(this.pos, (this.pos += n));
  }

  next(): number {
    if (this.pos >= this.end) return -1;
    const tag = this.int();
    return tag < 8 ? malformed("field number 0") : tag;
  }

  skip(tag: number, depth = 0): void {
    const wt = tag % 8;
    if (wt === 0) {
      // any 64-bit varint, even one this schema would refuse
      for (let i = 0; ; i++) {
        if (i === 10 || this.pos >= this.end) malformed("truncated varint");
        if (this.buf[this.pos++] < 128) return;
      }
    }
    if (wt === 2) return void this.bytes();
    if (wt === 1 || wt === 5) {
      this.pos += wt === 1 ? 8 : 4;
      if (this.pos > this.end) malformed("truncated fixed-width field");
      return;
    }
    if (wt === 3 && depth < 32) {
      // a (deprecated) group: skip up to its end tag
      for (;;) {
        const t = this.next();
        if (t < 0) malformed("unterminated group");
        if (t % 8 === 4) return t === tag + 1 ? undefined : malformed("mismatched end group");
        this.skip(t, depth + 1);
      }
    }
    malformed(`wire type ${wt}`);
  }
}

/** The wire type a known field (of `tag`) must have; another one is a malformed frame. */
export function expect(tag: number, wanted: 0 | 2): void {
  if (tag % 8 !== wanted) malformed(`wire type ${tag % 8} where ${wanted} was expected`);
}

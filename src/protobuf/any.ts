// `google.protobuf.Any` (`type_url` = 1, `value` = 2). Content of dataType "protobuf" is
// the serialized Any: the same bytes travel as `protobuf_data` on the protobuf
// subprotocols and as base64 on the JSON ones, so every subscriber gets the same bytes.
import { bytesOf } from "../protocol/base64.js";
import { fromUtf8, utf8 } from "./utf8.js";
import { encodeMessage, expect, Reader, type Field } from "./wire.js";

/** An unpacked `google.protobuf.Any`. */
export interface ProtobufAny {
  /** E.g. `type.googleapis.com/my.package.MyMessage`. */
  typeUrl: string;
  /** The serialized message. */
  value: Uint8Array;
}

/** Reads the fields of a serialized Any; throws ProtobufFrameError for bytes that are not one. */
export function readAny(bytes: Uint8Array, out: ProtobufAny = { typeUrl: "", value: bytes }): void {
  const r = new Reader(bytes);
  for (let tag; (tag = r.next()) >= 0; ) {
    const no = Math.floor(tag / 8);
    if (no !== 1 && no !== 2) r.skip(tag);
    else {
      expect(tag, 2);
      const b = r.bytes();
      if (no === 1) out.typeUrl = fromUtf8(b);
      else out.value = new Uint8Array(b);
    }
  }
}

/** `bytes` if they are a well-formed Any, else a TypeError (nothing is sent). */
export function checkAny(bytes: Uint8Array): Uint8Array {
  try {
    readAny(bytes);
  } catch {
    throw new TypeError(`"protobuf" content must be a serialized google.protobuf.Any (see encodeAny)`);
  }
  return bytes;
}

/**
 * Serializes an Any, for `sendToGroup(group, encodeAny({ typeUrl, value }), "protobuf")`.
 * `type_url` (the field name Microsoft's preview client uses) is accepted too.
 */
export function encodeAny(any: { typeUrl?: string; type_url?: string; value?: ArrayBuffer | ArrayBufferView }): Uint8Array {
  const typeUrl = any.typeUrl ?? any.type_url ?? "";
  const fields: Field[] = [];
  if (typeUrl) fields.push([1, utf8(typeUrl)]);
  const value = any.value ? bytesOf(any.value) : undefined;
  if (value?.length) fields.push([2, value]);
  return encodeMessage(fields);
}

/** Unpacks the data of a "protobuf" message; throws a TypeError when it is not an Any. */
export function decodeAny(data: ArrayBuffer | ArrayBufferView): ProtobufAny {
  const out: ProtobufAny = { typeUrl: "", value: new Uint8Array(0) };
  try {
    readAny(bytesOf(data), out);
  } catch {
    throw new TypeError("the data is not a serialized google.protobuf.Any");
  }
  return out;
}

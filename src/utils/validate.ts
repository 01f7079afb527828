// Argument checks for the public API: a clear TypeError or RangeError, never a bad frame.
import type { MessageContent } from "../types/messages.js";

export const DATA_TYPES: unknown[] = ["text", "json", "binary", "protobuf"];

export function checkGroup(group: unknown): asserts group is string {
  if (typeof group !== "string") throw new TypeError("group name must be a string");
  if (!group.trim() || group.length > 1024) throw new RangeError("group name must be 1-1024 characters, not all blank");
}

export function checkEventName(event: unknown): asserts event is string {
  if (typeof event !== "string" || !event) throw new TypeError("event name must be a non-empty string");
}

export function checkContent(content: unknown, dataType: unknown): asserts content is MessageContent {
  if (!DATA_TYPES.includes(dataType)) throw new TypeError(`dataType must be text, json, binary or protobuf, got ${String(dataType)}`);
  const t = typeof content;
  if (dataType === "text" ? t !== "string" : dataType === "json" ? content === undefined || t === "function" || t === "symbol" || t === "bigint" : !(content instanceof ArrayBuffer || ArrayBuffer.isView(content))) {
    throw new TypeError(`${dataType} content must be ${dataType === "text" ? "a string" : dataType === "json" ? "a JSON value" : "an ArrayBuffer or a view of one"}`);
  }
}

export function checkAckId(ackId: unknown): asserts ackId is number | undefined {
  if (ackId !== undefined && (typeof ackId !== "number" || !Number.isSafeInteger(ackId) || ackId < 0)) {
    throw new RangeError(`bad ackId ${String(ackId)}`);
  }
}

/** A number option that must be ≥ 0 (milliseconds, retry counts); `fallback` when absent. */
export function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0)) throw new RangeError(`${name} must be a number ≥ 0, got ${String(value)}`);
  return value;
}

export function checkOptions<T extends object>(options: unknown, name: string): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== "object") throw new TypeError(`${name} must be an object`);
  return options as T;
}

/** A frame's size in bytes (UTF-8 for text), counted exactly only when it could be large. */
export function frameBytes(frame: string | ArrayBuffer): number {
  if (typeof frame !== "string") return frame.byteLength;
  let n = frame.length;
  if (n * 3 > 1 << 20) for (let i = 0, c; i < frame.length; i++) n += (c = frame.charCodeAt(i)) < 0x80 ? 0 : c < 0x800 || (c & 0xf800) === 0xd800 ? 1 : 2;
  return n;
}

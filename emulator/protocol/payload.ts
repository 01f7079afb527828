/** Message payloads: a data type plus the raw bytes, converted to and from each wire form. */

export type DataType = "text" | "json" | "binary" | "protobuf";

export const DATA_TYPES: readonly DataType[] = ["text", "json", "binary", "protobuf"];

/**
 * `body` holds: UTF-8 text for `text`, serialized JSON text for `json`, raw bytes for
 * `binary`/`protobuf`. Keeping JSON as text lets it be spliced into frames unchanged.
 */
export interface Payload {
  dataType: DataType;
  body: Buffer;
}

export function isDataType(value: unknown): value is DataType {
  return typeof value === "string" && (DATA_TYPES as readonly string[]).includes(value);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Builds a payload from the `dataType`/`data` fields of a client JSON frame; a string is the error. */
export function payloadFromFrameData(dataType: DataType, data: unknown): Payload | string {
  switch (dataType) {
    case "text":
      if (typeof data !== "string") return "data must be a string when dataType is text";
      return { dataType, body: Buffer.from(data, "utf8") };
    case "json":
      if (data === undefined) return "data is required";
      return { dataType, body: Buffer.from(JSON.stringify(data), "utf8") };
    case "binary":
    case "protobuf":
      if (typeof data !== "string") return `data must be a base64 string when dataType is ${dataType}`;
      if (!BASE64.test(data)) return "data is not valid base64";
      return { dataType, body: Buffer.from(data, "base64") };
  }
}

/** The JSON text that goes in a frame's `data` field. */
export function payloadJsonFragment(payload: Payload): string {
  switch (payload.dataType) {
    case "text":
      return JSON.stringify(payload.body.toString("utf8"));
    case "json":
      return payload.body.length === 0 ? "null" : payload.body.toString("utf8");
    case "binary":
    case "protobuf":
      return JSON.stringify(payload.body.toString("base64"));
  }
}

/** Maps an HTTP `Content-Type` to a data type (undefined: not supported). A missing type means binary. */
export function dataTypeFromContentType(contentType: string | undefined): DataType | undefined {
  const mediaType = (contentType ?? "application/octet-stream").split(";")[0]!.trim().toLowerCase();
  if (mediaType === "" || mediaType === "application/octet-stream") return "binary";
  if (mediaType === "text/plain") return "text";
  if (mediaType === "application/json" || mediaType === "text/json" || /^application\/[^;]+\+json$/.test(mediaType)) return "json";
  if (mediaType === "application/x-protobuf" || mediaType === "application/protobuf") return "protobuf";
  return undefined;
}

export function contentTypeOf(dataType: DataType): string {
  switch (dataType) {
    case "text":
      return "text/plain; charset=utf-8";
    case "json":
      return "application/json; charset=utf-8";
    case "binary":
      return "application/octet-stream";
    case "protobuf":
      return "application/x-protobuf";
  }
}

/** Whether `text` parses as JSON (the check every `json` payload from outside passes). */
export function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Builds a payload from an HTTP body; JSON bodies must parse. A string is the error. */
export function payloadFromHttpBody(contentType: string | undefined, body: Buffer): Payload | string {
  const dataType = dataTypeFromContentType(contentType);
  if (!dataType) return `Unsupported Content-Type ${contentType ?? ""}; use text/plain, application/json or application/octet-stream.`;
  if (dataType === "json" && !isJsonText(body.toString("utf8"))) return "The body is not valid JSON.";
  return { dataType, body };
}

/** Parsing and building Web PubSub connection strings (`Endpoint=...;AccessKey=...;Version=1.0;`). */

export interface ParsedConnectionString {
  /** Endpoint without a trailing slash, port included when one was given, e.g. `http://127.0.0.1:8080`. */
  endpoint: string;
  accessKey: string;
  version?: string;
}

/**
 * Parses a connection string. Keys are case-insensitive; `https://` is assumed when the
 * endpoint has no scheme; a `Port=` entry overrides the endpoint's port.
 */
export function parseConnectionString(connectionString: string): ParsedConnectionString {
  const entries = new Map<string, string>();
  for (const part of connectionString.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    entries.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  let endpoint = entries.get("endpoint");
  if (!endpoint) throw new TypeError("connection string is missing Endpoint");
  const accessKey = entries.get("accesskey");
  if (!accessKey) throw new TypeError("connection string is missing AccessKey");
  if (!/^https?:\/\//i.test(endpoint)) endpoint = `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`connection string has an invalid Endpoint: ${endpoint}`);
  }
  const port = entries.get("port");
  if (port !== undefined && port !== "") {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new TypeError(`connection string has an invalid Port: ${port}`);
    url.port = port;
  }
  const result: ParsedConnectionString = { endpoint: url.origin, accessKey };
  const version = entries.get("version");
  if (version) result.version = version;
  return result;
}

export function buildConnectionString(endpoint: string, accessKey: string): string {
  return `Endpoint=${endpoint};AccessKey=${accessKey};Version=1.0;`;
}

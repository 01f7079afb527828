/** Connection states (`ce-connectionState`): a JSON object the event handler sets, carried base64-encoded. */

export function encodeStates(states: Record<string, unknown>): string | undefined {
  return Object.keys(states).length === 0 ? undefined : Buffer.from(JSON.stringify(states)).toString("base64");
}

/** Reads a `ce-connectionState` response header (base64 JSON object); undefined when absent or invalid. */
export function decodeStates(header: string | string[] | undefined): Record<string, unknown> | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

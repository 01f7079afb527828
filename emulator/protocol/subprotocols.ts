/** Choosing the subprotocol a client gets (PROTOCOL §1). */

/** What a connection speaks: the JSON or protobuf subprotocols, reliable or not, or raw frames (a simple client). */
export type ProtocolKind = "json" | "json.reliable" | "protobuf" | "protobuf.reliable" | "simple";

export const JSON_PROTOCOL = "json.webpubsub.azure.v1";
export const JSON_RELIABLE_PROTOCOL = "json.reliable.webpubsub.azure.v1";
export const PROTOBUF_PROTOCOL = "protobuf.webpubsub.azure.v1";
export const PROTOBUF_RELIABLE_PROTOCOL = "protobuf.reliable.webpubsub.azure.v1";

export type ProtocolChoice = { kind: ProtocolKind; subprotocol?: string };

export function parseOfferedProtocols(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

export function kindOf(subprotocol: string | undefined): ProtocolKind {
  const p = subprotocol?.toLowerCase();
  if (p === JSON_PROTOCOL) return "json";
  if (p === JSON_RELIABLE_PROTOCOL) return "json.reliable";
  if (p === PROTOBUF_PROTOCOL) return "protobuf";
  if (p === PROTOBUF_RELIABLE_PROTOCOL) return "protobuf.reliable";
  return "simple";
}

/**
 * The first PubSub subprotocol offered (JSON or protobuf, reliable or not) wins.
 * Anything else, or nothing, makes a simple WebSocket client. **(choice)** An unknown
 * subprotocol is echoed (the first one offered), because browsers and `ws` fail a handshake
 * whose response names no subprotocol when they offered one.
 */
export function chooseProtocol(offered: string[]): ProtocolChoice {
  for (const p of offered) {
    const kind = kindOf(p);
    if (kind !== "simple") return { kind, subprotocol: p };
  }
  const first = offered[0];
  return first === undefined ? { kind: "simple" } : { kind: "simple", subprotocol: first };
}

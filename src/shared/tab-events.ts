// The holder's event relays, read defensively (any same-origin script can post one): each
// field is taken only when it has the right type.
import type { OnDisconnectedArgs } from "../types/events.js";

type Fields = Record<string, unknown>;

const str = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === "number" ? x : undefined);
const messageOf = (x: unknown): string | undefined => str((x as { message?: unknown } | null)?.message);

export function disconnectedArgs(e: Fields): OnDisconnectedArgs {
  const text = messageOf(e.message);
  return {
    connectionId: str(e.connectionId),
    message: text === undefined ? undefined : { kind: "disconnected", message: text },
    code: num(e.code),
    reason: str(e.reason),
  };
}

export function connectionIdOf(e: Fields): string | undefined {
  return str(e.connectionId);
}

export function attemptOf(e: Fields): number {
  return num(e.attempt) ?? 1;
}

export function userIdOf(e: Fields): string | undefined {
  return str(e.userId);
}

/** The group and error text of a `rejoin-group-failed` relay. */
export function rejoinFailure(e: Fields): { group?: string; text: string } {
  return { group: str(e.group), text: messageOf(e.error) ?? "rejoin failed" };
}

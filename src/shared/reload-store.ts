// What a page keeps in sessionStorage on `pagehide`, so the same tab after a reload can carry
// on with the same session: the session (never an access token: the URL is stored without
// it), the last sequence id the page delivered, and the groups it was in. Read once, and
// removed as soon as it is read, so a tab duplicated later does not find it.
import type { SessionStore } from "./platform.js";
import { validSession, WIRE_LIMITS, type SessionInfo } from "./wire.js";
import { uint, wireText } from "./wire-streams.js";

export interface ReloadSnapshot {
  session?: SessionInfo;
  lastSeq: number;
  groups: string[];
  /** Wall-clock ms at pagehide; the service keeps a dropped session for 30 s. */
  takenAt: number;
}

/** A snapshot older than this is not worth a recovery attempt (the service's 30 s, less a margin). */
export const RELOAD_MAX_AGE_MS = 25_000;

export const storeKey = (key: string): string => `webpubsub-client:reload:${key}`;


/** Parses a stored snapshot; undefined for anything malformed, stale or from the future. */
export function parseSnapshot(raw: string | null, now: number): ReloadSnapshot | undefined {
  if (!raw || raw.length > 1_000_000) return undefined;
  let x: Record<string, unknown>;
  try {
    x = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof x !== "object" || x === null) return undefined;
  const { session, lastSeq, groups, takenAt } = x;
  if (session !== undefined && !validSession(session)) return undefined;
  if (!uint(lastSeq)) return undefined;
  if (!Array.isArray(groups) || groups.length > WIRE_LIMITS.maxGroups || !groups.every(wireText)) return undefined;
  if (typeof takenAt !== "number" || !(now - takenAt >= 0 && now - takenAt <= RELOAD_MAX_AGE_MS)) return undefined;
  return { session: session as SessionInfo | undefined, lastSeq, groups: groups as string[], takenAt };
}

/** Reads and removes the snapshot for `key`. */
export function takeSnapshot(store: SessionStore | undefined, key: string, now: number): ReloadSnapshot | undefined {
  if (!store) return undefined;
  try {
    const raw = store.getItem(storeKey(key));
    if (raw !== null) store.removeItem(storeKey(key));
    return parseSnapshot(raw, now);
  } catch {
    return undefined; // storage blocked
  }
}

export function saveSnapshot(store: SessionStore | undefined, key: string, snapshot: ReloadSnapshot): void {
  try {
    store?.setItem(storeKey(key), JSON.stringify(snapshot));
  } catch {
    // quota or blocked storage: the reload starts afresh
  }
}

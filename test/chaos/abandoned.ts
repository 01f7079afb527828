/**
 * The oracle for "the client threw away a session the service still held".
 *
 * The emulator runs in the test's process, so at the instant it accepts a brand-new
 * connection for a user (its "connect" event fires synchronously inside the upgrade) we can
 * ask it, through the in-process test hook `testHooks(emu).has(id)`, whether the user's
 * previous connection id is still a live session there (attached, or dropped and waiting for
 * recovery inside the service's 30 s). If it is, the client chose to start over although it
 * could have recovered: an abandoned session. Each chaos client has its own userId, so the
 * user's connections are exactly that client's connections.
 *
 * A session the service ended itself (an injected 1008, SlowClient, expiry) is gone from the
 * service before the client can open anything new, so it is never counted here; the scenarios
 * report those separately as unexpected session ends.
 */
import type { EventEmitter } from "node:events";
import { testHooks, type Emulator } from "../../emulator/index";

export interface AbandonedSession {
  /** ms since the watch started */
  atMs: number;
  userId: string;
  /** The connection id the service still held when the client opened a new one. */
  heldConnectionId: string;
  newConnectionId: string;
  /** Whether that held session had a socket attached at that moment. */
  heldAttached: boolean;
}

export interface AbandonedWatch {
  readonly list: AbandonedSession[];
  /** One line per abandoned session, for reports. */
  describe(max?: number): string[];
  stop(): void;
}

export function watchAbandoned(emu: Emulator, hub: string): AbandonedWatch {
  const hooks = testHooks(emu);
  const started = Date.now();
  /** userId → connection ids of that user not yet ended at the service. */
  const live = new Map<string, Set<string>>();
  const list: AbandonedSession[] = [];
  const sameHub = (e: { hub: string }): boolean => e.hub.toLowerCase() === hub.toLowerCase();
  const onConnect = (e: { hub: string; connectionId: string; userId?: string }): void => {
    if (!sameHub(e) || e.userId === undefined) return;
    const ids = live.get(e.userId) ?? new Set<string>();
    for (const id of ids) {
      if (id !== e.connectionId && hooks.has(id)) {
        list.push({ atMs: Date.now() - started, userId: e.userId, heldConnectionId: id, newConnectionId: e.connectionId, heldAttached: hooks.attached(id) });
      }
    }
    live.set(e.userId, new Set([e.connectionId])); // each abandoned session is counted once
  };
  const onDisconnect = (e: { hub: string; connectionId: string; userId?: string }): void => {
    if (sameHub(e) && e.userId !== undefined) live.get(e.userId)?.delete(e.connectionId);
  };
  const events = emu.events as EventEmitter;
  events.on("connect", onConnect);
  events.on("disconnect", onDisconnect);
  return {
    list,
    describe: (max = 20) =>
      list.slice(0, max).map((a) => `${(a.atMs / 1000).toFixed(1)}s ${a.userId}: new ${a.newConnectionId} while ${a.heldConnectionId} was still held (${a.heldAttached ? "attached" : "waiting for recovery"})`),
    stop() {
      events.off("connect", onConnect);
      events.off("disconnect", onDisconnect);
    },
  };
}

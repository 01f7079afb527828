// Every state the client can be in and every way between them, in one table.
//
//   stopped ──start──▶ connecting ──connected──▶ connected ◀──recovered── recovering
//      ▲                   │                      │   │                       │
//      │                 failed            drop (reliable,              lost (1008,
//      │                   ▼               not 1008) └──────▶ recovering   30 s passed)
//      ├──────────────── stopped                  │                          ▼
//      │                                   lost (no recovery) ──▶ reconnecting ──connected──▶ connected
//      │                                                              │
//      ├──────────────────────────── giveUp (autoReconnect off, retries spent)
//      └── closed ── stopping ◀── stop (from any live state)
import type { WebPubSubClientState } from "../types/events.js";

export type State = WebPubSubClientState;
export type Trigger = "start" | "connected" | "failed" | "drop" | "recovered" | "lost" | "giveUp" | "stop" | "closed";

const TABLE: Readonly<Record<State, Partial<Record<Trigger, State>>>> = {
  stopped: { start: "connecting" },
  connecting: { connected: "connected", failed: "stopped", stop: "stopping" },
  connected: { drop: "recovering", lost: "reconnecting", giveUp: "stopped", stop: "stopping" },
  recovering: { recovered: "connected", lost: "reconnecting", giveUp: "stopped", stop: "stopping" },
  reconnecting: { connected: "connected", giveUp: "stopped", stop: "stopping" },
  stopping: { closed: "stopped" },
};

export class StateMachine {
  #current: State = "stopped";

  readonly #log?: { debug(message: string): void };

  constructor(log?: { debug(message: string): void }) {
    this.#log = log;
  }

  get state(): State {
    return this.#current;
  }


  /** Applies `trigger`; returns false (and changes nothing) when the table has no such edge. */
  fire(trigger: Trigger): boolean {
    const next = TABLE[this.#current][trigger];
    if (next === undefined) return false;
    const from = this.#current;
    this.#current = next;
    this.#log?.debug(`state ${from} -> ${next} (${trigger})`);
    return true;
  }
}

export const STATE_TABLE = TABLE;

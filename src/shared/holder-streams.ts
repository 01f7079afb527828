// Group streams on a shared connection, the holder's side. The tabs run the streams code
// themselves (writers and readers, each on its tab's `EngineHost`); the holder only carries
// frames: a tab's stream frames go onto the socket, the service's answers about a stream go
// to the one tab that opened it (stream ids are owned per tab: a start whose id another tab
// of the connection owns is refused), fragments go to the tabs like any group message, and
// link up / down and a lost session are told to every tab. When a tab goes away, each of its
// open streams is aborted on the service (`streamEnd` with an error, so readers see
// `UserError` with code `PUBLISHER_GONE`, never a stream that looks complete but is not).
// The holder's own tab's streams are aborted by the holder itself when that tab hides or
// stops; in case it vanishes without a word (a crash), the holder keeps the tabs told which
// ids its tab owns (`owned`), and the tab that takes over aborts those.
import type { EngineExtension, EngineHost } from "../core/extension.js";
import type { WebPubSubMessage } from "../types/messages.js";
import type { WireMessage } from "./wire.js";
import { WIRE_MAX_STREAMS, WIRE_MAX_TEXT, type StreamFrame } from "./wire-streams.js";

/** Most open streams the holder routes, across its tabs; a start beyond it is refused. */
export const MAX_HOLDER_STREAMS = 1024;
/** The `userErrorCode` readers see on a stream whose writer's tab went away. */
export const PUBLISHER_GONE = "PUBLISHER_GONE";

export interface HolderStreamsConfig {
  id: string;
  engine: EngineHost;
  post(m: WireMessage): void;
  /** Passes a fragment to the tabs as the holder passes any group message (with its de-dup). */
  relay(m: WebPubSubMessage): void;
  /** True while the holder takes over a session: its first link up is a recovery for the tabs. */
  resuming(): boolean;
}

export class HolderStreams {
  readonly #cfg: HolderStreamsConfig;
  /** Open stream id → the tab that opened it ("" once that tab went away: its abort is on its way). */
  readonly #owners = new Map<string, string>();

  constructor(cfg: HolderStreamsConfig) {
    this.#cfg = cfg;
    cfg.engine.addExtension(this.#extension);
  }

  /** Streams of the previous holder's tab, which went away without a word: aborted once the link is up. */
  orphans(ids: readonly string[]): void {
    this.adopt("", ids); // owned by nobody: the tab is gone, its aborts are due
  }

  /** A tab announced the streams it has open (to a new holder, after a takeover). */
  adopt(tab: string, ids: readonly string[] | undefined): void {
    for (const id of ids ?? []) if (!this.#owners.has(id) && this.#owners.size < MAX_HOLDER_STREAMS) this.#owners.set(id, tab);
  }

  /** A checked stream frame from `tab`. */
  frame(tab: string, m: StreamFrame): void {
    const id = m.kind === "sendToGroup" ? m.stream!.streamId : m.streamId;
    const owner = this.#owners.get(id);
    if (m.kind === "sendToGroup" && owner === undefined) {
      if (this.#owners.size >= MAX_HOLDER_STREAMS) return this.#refuse(tab, id, `The shared connection already has ${MAX_HOLDER_STREAMS} open streams.`);
      this.#owners.set(id, tab);
      if (tab === this.#cfg.id) this.#owned();
    } else if (owner !== tab) {
      // Another tab's stream: refuse a start, drop anything else (a stream frame of a stream
      // this tab does not own comes only from a confused or hostile sender).
      return m.kind === "sendToGroup" ? this.#refuse(tab, id, `Another tab of this shared connection has a stream '${id}' open.`) : undefined;
    }
    // Written only while the link is up; else the tab writes it again once told the link is back.
    this.#cfg.engine.sendRaw(m);
  }

  /** The tab went away: its open streams are aborted on the service. */
  tabGone(tab: string): void {
    for (const [id, owner] of this.#owners) if (owner === tab) this.#owners.set(id, ""), this.#abort(id);
    if (tab === this.#cfg.id) this.#owned();
  }

  /** Tells the tabs which streams the holder's own tab has open. */
  #owned(): void {
    const ids: string[] = [];
    for (const [id, owner] of this.#owners) if (owner === this.#cfg.id) ids.push(id);
    this.#cfg.post({ t: "owned", holder: this.#cfg.id, ids: ids.slice(0, WIRE_MAX_STREAMS) }); // as many as a tab accepts
  }

  #abort(id: string): void {
    this.#cfg.engine.sendRaw({ kind: "streamEnd", streamId: id, error: { message: "The tab writing this stream went away.", userErrorCode: PUBLISHER_GONE } });
  }

  #refuse(tab: string, streamId: string, message: string): void {
    this.#to(tab, { kind: "streamClosed", streamId, error: { name: "BadRequest", message } });
  }

  #to(tab: string, m: Extract<WireMessage, { t: "sframe" }>["m"]): void {
    this.#cfg.post({ t: "sframe", holder: this.#cfg.id, to: tab, m });
  }

  readonly #extension: EngineExtension = {
    onMessage: (m) => {
      if (m.kind === "groupData") {
        if (!m.stream) return false;
        this.#cfg.relay(m);
        return true;
      }
      if (m.kind !== "streamAck" && m.kind !== "streamNack" && m.kind !== "streamClosed") return false;
      const owner = this.#owners.get(m.streamId);
      if (m.kind === "streamClosed") {
        this.#owners.delete(m.streamId);
        if (owner === this.#cfg.id) this.#owned();
      }
      if (owner) this.#to(owner, m);
      return true;
    },
    onLinkUp: ({ connectionId, recovered }) => {
      for (const [id, owner] of this.#owners) if (!owner) this.#abort(id); // aborts the drop may have lost
      this.#cfg.post({ t: "link", holder: this.#cfg.id, up: true, recovered: recovered || this.#cfg.resuming(), connectionId });
    },
    onLinkDown: () => this.#cfg.post({ t: "link", holder: this.#cfg.id, up: false }),
    onSessionLost: (error) => {
      this.#owners.clear(); // the service ended them with the session
      this.#cfg.post({ t: "lost", holder: this.#cfg.id, message: String(error?.message ?? error).slice(0, WIRE_MAX_TEXT) });
    },
  };

  /** The session is gone without the engine knowing (a takeover that could not recover it). */
  lost(message: string): void {
    this.#extension.onSessionLost!(new Error(message));
  }
}

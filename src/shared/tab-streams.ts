// Group streams on a shared connection, the tab's side: the `EngineHost` the tab's streams
// code (src/streams) runs on, as it runs on an engine of its own. `sendRaw` hands a stream
// frame to the holder, which writes it on the socket; the holder's relays become the
// extension hooks: fragments of the groups this tab joined (`onMessage`, after the tab's own
// sequence de-dup), the answers about the streams this tab opened, link up / down (a new
// holder taking over counts as a drop, and its recovery of the session as a recovery, so
// writers resend from `expectedSequenceId`), and a lost session. The holder side is
// holder-streams.ts.
import type { EngineExtension, EngineHost } from "../core/extension.js";
import type { Logger } from "../core/runtime.js";
import { ConnectionError } from "./deps.js";
import type { WebPubSubClientProtocol, WebPubSubMessage } from "../types/messages.js";
import type { WireMessage } from "./wire.js";
import { WIRE_MAX_STREAMS, type StreamFrame } from "./wire-streams.js";

export interface TabStreamsConfig {
  protocol: WebPubSubClientProtocol;
  logger: Logger;
  /** Posts to the holder; throws when the message cannot be passed (not cloneable). */
  post(m: StreamFrame): void;
  /** The tab's client is started (not stopped or stopping). */
  running(): boolean;
}

export class TabStreams implements EngineHost {
  readonly #cfg: TabStreamsConfig;
  /** The registered extensions (the streams code registers one). */
  #x: EngineExtension[] = [];
  /** The holder said the link is up, and has not said otherwise since. */
  #up = false;
  /** Streams this tab started and that have not closed: announced to a new holder. */
  readonly #mine = new Set<string>();
  /** The streams the holder's own tab has open, as it last said: a new holder aborts them. */
  holderOwned: string[] = [];

  constructor(cfg: TabStreamsConfig) {
    this.#cfg = cfg;
  }

  get linkUp(): boolean {
    return this.#up && this.#cfg.running();
  }

  addExtension(extension: EngineExtension): () => void {
    this.#x = [...this.#x, extension];
    return () => void (this.#x = this.#x.filter((x) => x !== extension));
  }

  /** Calls `hook` on each extension until one returns true (as the engine does); one that throws is logged. */
  #tell(hook: keyof EngineExtension, arg?: unknown): boolean {
    for (const x of this.#x) {
      try {
        if ((x[hook] as ((a: unknown) => unknown) | undefined)?.call(x, arg) === true) return true;
      } catch (error) {
        this.#cfg.logger.error(`${hook} threw: ${error}`);
      }
    }
    return false;
  }

  sendRaw(message: WebPubSubMessage): boolean {
    if (!this.linkUp) return false;
    const m = message as StreamFrame;
    // Content the codec cannot encode fails here, in the writer's call, as on an engine of its own.
    if (m.kind === "streamData" && m.data !== undefined) this.#cfg.protocol.writeMessage(m);
    if (m.kind === "sendToGroup" && m.stream && this.#mine.size < WIRE_MAX_STREAMS) this.#mine.add(m.stream.streamId);
    this.#cfg.post(m);
    return true;
  }

  /** The stream ids to announce in a `hello`. */
  get open(): string[] {
    return [...this.#mine];
  }

  /** A data message for this tab (already de-duplicated): true when the streams took it. */
  data(m: WebPubSubMessage): boolean {
    return this.#tell("onMessage", m);
  }

  /** The holder's stream relays. */
  onWire(m: Extract<WireMessage, { t: "sframe" | "link" | "lost" | "owned" }>, connectionId: string | undefined): void {
    if (m.t === "owned") this.holderOwned = m.ids;
    else if (m.t === "sframe") {
      if (m.m.kind === "streamClosed") this.#mine.delete(m.m.streamId);
      this.#tell("onMessage", m.m);
    } else if (m.t === "lost") this.lost(m.message);
    else if (m.up) this.#linkUp(m.recovered === true, m.connectionId ?? connectionId);
    else this.down();
  }

  /** The holder's `state`: connected means the link is up (a tab that came later hears no `link`). */
  state(connected: boolean, connectionId: string | undefined): void {
    if (connected && !this.#up) this.#linkUp(true, connectionId); // resending is safe: the service drops duplicates
    else if (!connected) this.down();
  }

  /** The link is down (a drop, a new holder, this tab going away). */
  down(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#tell("onLinkDown");
  }

  /** The session is gone for this tab (it was lost, or the tab's client stopped). */
  lost(message: string): void {
    this.down();
    this.#mine.clear();
    this.#tell("onSessionLost", new ConnectionError(message));
  }

  #linkUp(recovered: boolean, connectionId: string | undefined): void {
    this.#up = true;
    if (connectionId) this.#tell("onLinkUp", { connectionId, recovered });
  }
}

// The engine a tab's `WebPubSubClient` talks to when `shareConnection` is set. It has the
// facade's engine surface (state, events, submit, ids) but no socket of its own: operations
// go over the channel to the holder, and the holder's relays come back as this client's
// events. When this tab is granted the holder lock it runs the `Holder` itself.
import type { Emitter } from "mitt";
import type { EngineExtension, EngineHost } from "../core/extension.js";
import type { Runtime } from "../core/runtime.js";
import { AbortError, ConnectionError, emitSafely, mitt, onAbort, SendMessageError } from "./deps.js";
import type { WebPubSubClientEvents, WebPubSubClientState, WebPubSubResult } from "../types/events.js";
import type { WebPubSubClientProtocol, WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import { channelName, holdLock, holderLockName, tabLockName, watchLock, type HeldLock } from "./election.js";
import { Holder, type MakeEngine, type ResumeFrom } from "./holder.js";
import type { Channel, SharePlatform } from "./platform.js";
import { saveSnapshot, takeSnapshot, type ReloadSnapshot } from "./reload-store.js";
import { attemptOf, connectionIdOf, disconnectedArgs, rejoinFailure, userIdOf } from "./tab-events.js";
import type { TabIds } from "./tab-ops.js";
import { TabPending } from "./tab-pending.js";
import { TabStreams } from "./tab-streams.js";
import { parseWire, type SessionInfo, type WireMessage } from "./wire.js";

type Events = WebPubSubClientEvents;

export interface TabClientConfig {
  key: string;
  platform: SharePlatform;
  makeEngine: MakeEngine;
  runtime: Runtime;
  protocol: WebPubSubClientProtocol;
  getClientAccessUrl(signal?: AbortSignalLike): Promise<string>;
  /** The SharedWorker's channel, when one holds the connection (else the Web Locks path). */
  worker?(resume: ResumeFrom | undefined): Promise<Channel | undefined>;
}

function randomId(random: () => number): string {
  return Math.floor(random() * 2 ** 52).toString(36) + Date.now().toString(36);
}

export class SharedTabEngine implements EngineHost {
  readonly emitter: Emitter<Events>;
  /**
   * The facade records its joins and leaves here, as on the engine. The tab's one record is
   * `#joined` (TabPending keeps it as the holder answers), which this writes through to.
   */
  readonly groups = { joined: (group: string): void => void this.#joined.add(group), left: (group: string): void => void this.#joined.delete(group) };
  /** The facade reads the connection's ids here, as on the engine. */
  readonly session: { connectionId?: string; userId?: string } = {};
  state: WebPubSubClientState = "stopped";

  readonly #cfg: TabClientConfig;
  readonly #id: string;
  readonly #joined = new Set<string>();
  /** This tab's operations waiting for the holder's answer (tab-pending.ts). */
  readonly #ops: TabPending;
  /** The facade takes ids here, as from the engine's outbox. */
  readonly outbox: TabIds;
  #maxSeq = 0;
  #announced?: string;
  #session?: SessionInfo;
  #reload?: ReloadSnapshot;
  #bc?: Channel;
  #viaWorker = false;
  /** This tab holds its own lock: only then may the holder watch it (else it would see it gone). */
  #lockHeld = false;
  #holder?: Holder;
  #holderInbox?: (m: unknown) => void;
  #tabLock?: HeldLock;
  #holderLock?: HeldLock;
  #starting?: { resolve(): void; reject(e: Error): void };
  #unsubscribe: (() => void)[] = [];
  /** The group streams' seam: this tab's streams run on it (tab-streams.ts). */
  readonly #streams: TabStreams;

  constructor(cfg: TabClientConfig, emitter = mitt<Events>()) {
    this.#cfg = cfg;
    this.emitter = emitter;
    this.#id = randomId(cfg.runtime.random);
    this.#ops = new TabPending(this.#id, cfg.runtime.random, (m, rethrow) => this.#post(m, rethrow), this.#joined);
    this.outbox = this.#ops.ids;
    this.#streams = new TabStreams({ ...cfg.runtime, protocol: cfg.protocol, post: (m) => this.#post({ t: "raw", from: this.#id, m }, true), running: () => !this.#halted() });
  }

  /** Stopped or stopping: this client does nothing more until start(). */
  #halted(): boolean {
    return this.state === "stopped" || this.state === "stopping";
  }

  get linkUp(): boolean {
    return this.#streams.linkUp;
  }
  sendRaw(message: WebPubSubMessage): boolean {
    return this.#streams.sendRaw(message);
  }
  addExtension(extension: EngineExtension): () => void {
    return this.#streams.addExtension(extension);
  }

  // ---- lifecycle ---------------------------------------------------------------------

  async start(signal?: AbortSignalLike): Promise<void> {
    if (this.state !== "stopped") throw new Error(`start() needs a stopped client, but this one is ${this.state}; call stop() first.`);
    if (signal?.aborted) throw new AbortError("start() was aborted before it began.");
    const { platform, key, runtime } = this.#cfg;
    this.state = "connecting";
    const done = new Promise<void>((resolve, reject) => (this.#starting = { resolve, reject }));
    done.catch(() => {}); // awaited below; handled now so an early rejection is not reported
    const off = onAbort(signal, () => this.#failStart(new AbortError("start() was aborted.")));
    const snap = (this.#reload = takeSnapshot(platform.storage, key, runtime.clock.wall()));
    if (snap) {
      this.#maxSeq = snap.lastSeq;
      for (const g of snap.groups) this.#joined.add(g);
    }
    try {
      const link = this.#cfg.worker && (await this.#cfg.worker(snap?.session && { session: snap.session, lastSeq: snap.lastSeq }));
      if (this.state !== "connecting") link?.close(); // stopped or aborted meanwhile
      else this.#open(link);
      await done;
    } finally {
      off();
    }
  }

  /** Opens the channel: to the SharedWorker (`link`), or a BroadcastChannel with an election. */
  #open(link: Channel | undefined): void {
    const { platform, key } = this.#cfg;
    const bc = (this.#bc = link ?? platform.channel(channelName(key)));
    this.#viaWorker = link !== undefined;
    bc.listen((raw) => {
      this.#holderInbox?.(raw);
      this.#onWire(parseWire(raw));
    });
    this.#unsubscribe.push(
      platform.onPageHide(() => this.#onPageHide()),
      platform.onPageShow((e?: { persisted?: unknown }) => e?.persisted === false || this.#onPageShow()),
    );
    const locks = platform.locks;
    if (!locks) return (this.#lockHeld = true), link ? this.#hello() : this.#becomeHolder();
    const tabLock = (this.#tabLock = holdLock(locks, tabLockName(key, this.#id)));
    void tabLock.granted.then(() => {
      if (this.#tabLock !== tabLock) return;
      this.#lockHeld = true;
      this.#hello();
      if (!link) this.#holderLock = holdLock(locks, holderLockName(key), () => this.#becomeHolder());
    });
  }

  stop(): Promise<void> {
    if (this.state === "stopped") return Promise.resolve();
    this.state = "stopping";
    this.#failStart(new ConnectionError("The client was stopped before the connection was established."));
    this.#ops.failAll("The client stopped before the operation completed.");
    this.#post({ t: "bye", from: this.#id });
    const holder = this.#holder;
    const ending = holder && !holder.hasOtherTabs(this.#id) ? holder.end() : (holder?.handover(), Promise.resolve());
    return ending.then(() => this.#finish());
  }

  #finish(): void {
    if (this.state === "stopped") return;
    this.#teardown();
    const connectionId = this.session.connectionId;
    this.#streams.lost("The client stopped.");
    this.session.connectionId = this.session.userId = undefined;
    this.state = "stopped";
    if (connectionId) this.#emit("disconnected", { connectionId });
    this.#emit("stopped", {});
  }

  #teardown(): void {
    this.#holder = this.#holderInbox = undefined;
    this.#holderLock?.release();
    this.#tabLock?.release();
    this.#holderLock = this.#tabLock = undefined;
    this.#bc?.close();
    this.#bc = undefined;
    this.#viaWorker = this.#lockHeld = false;
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#announced = undefined;
    this.#session = this.#reload = undefined;
    this.#maxSeq = 0;
  }

  #failStart(error: Error): void {
    const s = this.#starting;
    this.#starting = undefined;
    if (!s) return;
    s.reject(error);
    if (this.state === "connecting") void this.stop();
  }

  #becomeHolder(): void {
    if (this.#halted()) return;
    const { platform, key } = this.#cfg;
    const locks = platform.locks;
    const bc = this.#bc!;
    // One channel endpoint for this tab: the holder's posts reach the other tabs through
    // it and this tab's client directly (in order, at once); this client's posts reach it.
    const channel: Channel = {
      post: (m) => {
        bc.post(m);
        this.#onWire(m as WireMessage); // built by this tab's own holder: no need to validate it again
      },
      listen: (l) => (this.#holderInbox = l),
      close: () => (this.#holderInbox = undefined),
    };
    const snap = this.#reload;
    this.#reload = undefined;
    const session = this.#session ?? snap?.session;
    const from: ResumeFrom | undefined = session ? { session, lastSeq: this.#maxSeq } : undefined;
    const mine = new Set(this.#streams.open); // `open` builds a new array on each read
    const holder = (this.#holder = new Holder({
      id: this.#id,
      channel,
      makeEngine: this.#cfg.makeEngine,
      runtime: this.#cfg.runtime,
      protocol: this.#cfg.protocol,
      getClientAccessUrl: this.#cfg.getClientAccessUrl,
      orphans: this.#streams.holderOwned.filter((id) => !mine.has(id)),
      watchTab: locks ? (tab, gone) => watchLock(locks, tabLockName(key, tab), gone) : undefined,
      onEnded: (error) => {
        if (this.#holder === holder) this.#ended(error);
      },
    }));
    void holder.start(from);
  }

  #ended(error?: Error): void {
    if (this.#halted()) return;
    this.#failStart(new ConnectionError(`The shared connection could not be made: ${error?.message ?? "it ended"}.`));
    this.#ops.failAll("The shared connection ended before the operation completed.");
    this.#finish();
  }

  #onPageHide(): void {
    if (this.#halted()) return;
    this.#holder?.freeze(); // nothing more is acknowledged than this page delivered
    if (this.#viaWorker) this.#post({ t: "away", from: this.#id } as unknown as WireMessage); // the worker: "this tab left"
    const session = this.#holder?.session ?? this.#session;
    saveSnapshot(this.#cfg.platform.storage, this.#cfg.key, {
      session,
      lastSeq: this.#maxSeq,
      groups: [...this.#joined],
      takenAt: this.#cfg.runtime.clock.wall(),
    });
  }

  /**
   * Back from the back/forward cache: the tab re-registers with the holder (which may have
   * been told it left). If it held the connection, the holder it froze at pagehide makes way:
   * the next holder (another tab, or this one again) recovers the session.
   */
  #onPageShow(): void {
    if (this.#halted()) return;
    const { platform, key, runtime } = this.#cfg;
    takeSnapshot(platform.storage, key, runtime.clock.wall()); // the page did not reload: its pagehide snapshot is stale
    const holder = this.#holder;
    if (holder && platform.locks) {
      this.#holder = this.#holderInbox = undefined;
      holder.handover();
      this.#holderLock?.release();
      this.#holderLock = holdLock(platform.locks, holderLockName(key), () => this.#becomeHolder());
    }
    this.#reRegister();
  }

  // ---- operations --------------------------------------------------------------------

  submit<T extends WebPubSubResult>(message: WebPubSubMessage, signal?: AbortSignalLike): Promise<T> {
    return this.#ops.submit<T>(message, signal, this.#halted() ? `The client is ${this.state}; call start() first.` : undefined);
  }

  // ---- the channel -------------------------------------------------------------------

  /** Posts to the holder: the other tabs' through the channel, this tab's directly. */
  #post(m: WireMessage, rethrow = false): void {
    const bc = this.#bc;
    if (!bc) return;
    try {
      bc.post(m);
    } catch (error) {
      if (rethrow) throw error;
    }
    const inbox = this.#holderInbox;
    if (inbox) queueMicrotask(() => inbox(m));
  }

  #hello(): void {
    this.#post({ t: "hello", from: this.#id, groups: [...this.#joined], streams: this.#streams.open });
  }

  /** Tells the holder who we are and hands it what is still unanswered (same ackIds). */
  #reRegister(): void {
    if (!this.#lockHeld || this.#halted()) return; // the hello follows once this tab holds its lock
    this.#hello();
    this.#ops.resend();
  }

  #onWire(m: WireMessage | undefined): void {
    if (!m || this.#halted()) return;
    switch (m.t) {
      case "who":
        this.#streams.down(); // a new holder: the link is down until it has taken over
        return this.#reRegister();
      case "state":
        if (m.session) this.#session = m.session;
        this.state = m.state;
        this.session.connectionId = m.connectionId;
        this.session.userId = m.userId;
        this.#streams.state(m.state === "connected", m.connectionId);
        if (m.state === "connected" && m.connectionId) {
          const s = this.#starting;
          this.#starting = undefined;
          this.#announce(m.connectionId, m.userId);
          s?.resolve();
        }
        return;
      case "data":
        return this.#onData(m.m);
      case "event":
        return this.#onEvent(m.name, m.e);
      case "result":
        if (m.to === this.#id) this.#ops.settle(m.id, m);
        return;
      case "sframe":
        if (m.to === this.#id) this.#streams.onWire(m, undefined);
        return;
      case "link":
      case "lost":
      case "owned":
        return this.#streams.onWire(m, this.session.connectionId);
      case "ended": {
        // The connection this tab was on ended for good (the holder gave up, or was told not
        // to reconnect): this tab stops too, even if it was granted the lock meanwhile. A tab
        // whose start() has not resolved yet will be granted the lock and connect itself.
        // On the SharedWorker path nobody else will connect: a starting tab fails its start().
        if (!this.#viaWorker && (this.#starting || m.holder === this.#id)) return; // still starting: not on that connection yet
        const holder = this.#holder;
        this.#holder = undefined;
        void holder?.end();
        this.#ended();
        return;
      }
      default:
        return; // tab → holder messages
    }
  }

  #announce(connectionId: string, userId: string | undefined): void {
    if (this.#announced === connectionId) return;
    this.#announced = connectionId;
    this.#emit("connected", { connectionId, userId });
  }

  #onData(message: Extract<WireMessage, { t: "data" }>["m"]): void {
    const seq = message.sequenceId;
    if (seq !== undefined) {
      if (seq <= this.#maxSeq) return; // had it already (from the previous holder, or before a reload)
      this.#maxSeq = seq;
    }
    if (message.kind === "groupData") {
      // a stream's fragments are never group messages, as on a client of its own (inbound.ts)
      if (this.#joined.has(message.group) && !this.#streams.data(message as never) && !message.stream) this.#emit("group-message", { message: message as never });
    } else if (!this.#streams.data(message as never)) this.#emit("server-message", { message: message as never });
  }

  #onEvent(name: string, e: Record<string, unknown>): void {
    const connectionId = connectionIdOf(e);
    switch (name) {
      case "connected":
        if (connectionId && this.state !== "connecting") this.#announce(connectionId, userIdOf(e));
        return;
      case "disconnected":
        this.#maxSeq = 0;
        this.#announced = undefined;
        if (connectionId === this.session.connectionId) this.session.connectionId = undefined; // told once, not again at stop
        return this.#emit("disconnected", disconnectedArgs(e));
      case "recovering":
        if (connectionId) this.#emit("recovering", { connectionId, attempt: attemptOf(e) });
        return;
      case "recovered":
        if (connectionId) this.#emit("recovered", { connectionId });
        return;
      case "rejoin-group-failed": {
        const { group, text } = rejoinFailure(e);
        if (group === undefined || !this.#joined.delete(group)) return;
        return this.#emit("rejoin-group-failed", { group, error: new SendMessageError(text) });
      }
    }
  }

  #emit<K extends keyof Events>(type: K, event: Events[K]): void {
    emitSafely(this.emitter, this.#cfg.runtime.logger, type, event);
  }
}

// The holder of a shared connection: it runs the one engine (the one WebSocket) for every
// tab that uses the same `shareConnection` key, executes the tabs' operations on it, and
// relays what the service sends. It lives in the tab elected by the Web Lock.
import type { Engine } from "../core/engine.js";
import type { Runtime } from "../core/runtime.js";
import { AbortError, InvocationError, SendMessageError } from "./deps.js";
import type { WebPubSubClientEvents } from "../types/events.js";
import type { WebPubSubClientProtocol, WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import { GroupCounts } from "./group-counts.js";
import { HolderStreams } from "./holder-streams.js";
import type { Channel } from "./platform.js";
import { SessionTransport } from "./session-transport.js";
import { randomWireAckId } from "./tab-ops.js";
import { WIRE_MAX_TEXT } from "./wire-streams.js";
import { parseWire, type ClientEventName, type ErrorInfo, type LinkState, type SessionInfo, type TabOp, type WireMessage } from "./wire.js";

/** Most tab operations the holder runs at once; more are refused (documented bound). */
export const MAX_HOLDER_OPS = 10_000;
/** Most tabs one holder serves; a `hello` beyond it is ignored (documented bound). */
export const MAX_HOLDER_TABS = 256;

export type MakeEngine = (rt: Runtime, getClientAccessUrl: (signal?: AbortSignalLike) => Promise<string>) => Engine;

export interface HolderConfig {
  id: string;
  channel: Channel;
  makeEngine: MakeEngine;
  runtime: Runtime;
  protocol: WebPubSubClientProtocol;
  getClientAccessUrl(signal?: AbortSignalLike): Promise<string>;
  /** Called once the tab `id` is known to be gone (its per-tab lock was released). */
  watchTab?(id: string, gone: () => void): () => void;
  /** The engine stopped on its own (gave up reconnecting, or autoReconnect is off). */
  onEnded(error?: Error): void;
  /** Streams the previous holder's tab had open (it vanished): aborted on the session taken over. */
  orphans?: readonly string[];
  /** A tab left (said `bye`, or its lock was released); `remaining` tabs still use it. */
  onTabLeft?(tab: string, remaining: number): void;
}

export interface ResumeFrom {
  session: SessionInfo;
  /** The largest sequence id the tabs have seen: nothing at or below it is relayed again. */
  lastSeq: number;
}

/** A minimal AbortSignal the holder can fire for a tab's `abort`. */
class OpSignal implements AbortSignalLike {
  aborted = false;
  reason?: unknown;
  #listeners: (() => void)[] = [];
  addEventListener(_type: "abort", listener: () => void): void {
    this.#listeners.push(listener);
  }
  removeEventListener(_type: "abort", listener: () => void): void {
    this.#listeners = this.#listeners.filter((l) => l !== listener);
  }
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const l of this.#listeners.splice(0)) l();
  }
}

function errorInfo(error: unknown): ErrorInfo {
  const e = error as { message?: unknown; errorDetail?: { name: string; message: string } };
  const message = String(e?.message ?? error).slice(0, WIRE_MAX_TEXT);
  const detail = e?.errorDetail && typeof e.errorDetail.name === "string" ? { name: e.errorDetail.name, message: String(e.errorDetail.message) } : undefined;
  if (error instanceof InvocationError) return { type: "invoke", message, detail };
  if (error instanceof SendMessageError) return { type: "send", message, detail };
  if (error instanceof AbortError) return { type: "abort", message };
  return { type: "other", message };
}

const STATES = new Set<string>(["connecting", "connected", "recovering", "reconnecting"]);

export class Holder {
  readonly #cfg: HolderConfig;
  readonly #engine: Engine;
  readonly #transport: SessionTransport;
  readonly #counts = new GroupCounts();
  /** The tabs using this connection, each with the function that stops watching it. */
  readonly #tabs = new Map<string, (() => void) | undefined>();
  readonly #ops = new Map<string, OpSignal>();
  readonly #streams: HolderStreams;
  #lastSeq = 0;
  #done = false;
  #resumeUrl?: string;
  /** While taking over a session: its `connected` is reported as `recovered` instead. */
  #resuming = false;

  constructor(cfg: HolderConfig) {
    this.#cfg = cfg;
    this.#transport = new SessionTransport(cfg.runtime.transport, cfg.protocol);
    const rt: Runtime = { ...cfg.runtime, transport: this.#transport.factory };
    this.#engine = cfg.makeEngine(rt, (signal) => {
      const url = this.#resumeUrl;
      this.#resumeUrl = undefined;
      return url !== undefined ? Promise.resolve(url) : cfg.getClientAccessUrl(signal);
    });
    this.#streams = new HolderStreams({
      id: cfg.id,
      engine: this.#engine,
      post: (m) => this.#post(m),
      relay: (m) => this.#relay(m),
      resuming: () => this.#resuming,
    });
    this.#listen();
    cfg.channel.listen((raw) => this.#onWire(parseWire(raw)));
  }

  /** The session as the service last confirmed it (for a reload or the next holder). */
  get session(): SessionInfo | undefined {
    return this.#done ? undefined : this.#transport.session;
  }

  /** True when a tab other than `self` uses this connection. */
  hasOtherTabs(self: string): boolean {
    return this.#tabs.size > (this.#tabs.has(self) ? 1 : 0);
  }

  /** Connects: recovers `from` when given (falling back to a new connection), else a new one. */
  async start(from?: ResumeFrom): Promise<void> {
    this.#post({ t: "who", holder: this.#cfg.id });
    if (from && !this.#transport.canResume) {
      // This subprotocol cannot be taken over: the tabs see the old connection end.
      this.#streams.lost("The shared connection changed hands.");
      this.#event("disconnected", { connectionId: from.session.connectionId, message: { message: "The shared connection changed hands." } });
    } else if (from) {
      const id = from.session.connectionId;
      this.#lastSeq = from.lastSeq;
      this.#transport.armResume(from.session);
      this.#resumeUrl = from.session.url;
      this.#streams.orphans(this.#cfg.orphans ?? []);
      this.#event("recovering", { connectionId: id, attempt: 1 });
      this.#resuming = true;
      try {
        await this.#engine.start();
        this.#resuming = false;
        this.#event("recovered", { connectionId: id });
        this.#postState();
        return;
      } catch {
        this.#resuming = false;
        if (this.#done) return;
        this.#resumeUrl = undefined;
        this.#lastSeq = 0;
        this.#streams.lost("The shared session could not be recovered.");
        this.#event("disconnected", { connectionId: id, message: { message: "The shared session could not be recovered." } });
      }
    }
    try {
      await this.#engine.start();
      this.#postState();
    } catch (error) {
      if (!this.#done) this.#end(error as Error);
    }
  }

  /** Leaves the connection to the next holder: the session stays on the service. */
  handover(): void {
    this.freeze();
    this.#quit();
  }

  /** Freezes the link where it is (page hide); `thaw` is not offered: the page is going. */
  freeze(): void {
    if (!this.#done) this.#streams.tabGone(this.#cfg.id); // this tab's streams end with it
    this.#transport.freeze();
  }

  /** Ends the shared connection for everyone. */
  end(): Promise<void> {
    return this.#end();
  }

  #end(error?: Error): Promise<void> {
    if (this.#done) return Promise.resolve();
    this.#post({ t: "ended", holder: this.#cfg.id });
    this.#quit();
    this.#cfg.onEnded(error);
    return this.#engine.stop();
  }

  #quit(): void {
    if (this.#done) return;
    this.#done = true;
    for (const unwatch of this.#tabs.values()) unwatch?.();
    this.#cfg.channel.close();
    if (this.#engine.state !== "stopped") void this.#engine.stop();
  }

  #post(m: WireMessage): void {
    if (this.#done) return;
    try {
      this.#cfg.channel.post(m);
    } catch {
      // a message that cannot be cloned: the sender's result reports it (see #op)
      if (m.t === "data") this.#cfg.runtime.logger.warn("a message could not be relayed to the tabs");
    }
  }

  #postState(): void {
    const state = this.#engine.state;
    if (!STATES.has(state)) return;
    this.#post({
      t: "state",
      holder: this.#cfg.id,
      state: state as LinkState,
      connectionId: this.#engine.session.connectionId,
      userId: this.#engine.session.userId,
      session: this.#transport.session,
    });
  }

  #event(name: ClientEventName, e: Record<string, unknown>): void {
    this.#post({ t: "event", holder: this.#cfg.id, name, e });
  }

  #listen(): void {
    const on = <K extends keyof WebPubSubClientEvents>(type: K, fn: (e: WebPubSubClientEvents[K]) => void): void =>
      this.#engine.emitter.on(type, fn);
    on("group-message", (e) => this.#relay(e.message));
    on("server-message", (e) => this.#relay(e.message));
    on("connected", (e) => {
      if (this.#resuming) return;
      this.#event("connected", { connectionId: e.connectionId, userId: e.userId });
      this.#postState();
    });
    on("disconnected", (e) => {
      this.#lastSeq = 0; // a new connection numbers from 1 again
      if (this.#done) return;
      const message = e.message ? { message: e.message.message } : undefined;
      this.#event("disconnected", { connectionId: e.connectionId, message, code: e.code, reason: e.reason });
      this.#postState();
    });
    on("recovering", (e) => {
      this.#event("recovering", { connectionId: e.connectionId, attempt: e.attempt });
      this.#postState();
    });
    on("recovered", (e) => {
      this.#event("recovered", { connectionId: e.connectionId });
      this.#postState();
    });
    on("rejoin-group-failed", (e) => this.#groupRefused(e.group, e.error));
    on("stopped", () => {
      if (!this.#done) void this.#end();
    });
  }

  #relay(message: WebPubSubMessage & { sequenceId?: number }): void {
    const seq = message.sequenceId;
    if (typeof seq === "number") {
      if (seq <= this.#lastSeq) return; // the tabs had it before this holder took over
      this.#lastSeq = seq;
    }
    this.#post({ t: "data", holder: this.#cfg.id, m: message as never });
  }

  #onWire(m: WireMessage | undefined): void {
    if (!m || this.#done) return;
    switch (m.t) {
      case "hello":
        this.#hello(m.from, m.groups);
        return this.#streams.adopt(m.from, this.#tabs.has(m.from) ? m.streams : undefined);
      case "raw":
        if (!this.#tabs.has(m.from)) this.#hello(m.from, []);
        if (this.#tabs.has(m.from)) this.#streams.frame(m.from, m.m);
        return;
      case "op":
        return this.#op(m.from, m.id, m.op);
      case "abort":
        return this.#ops.get(`${m.from}:${m.id}`)?.abort();
      case "bye":
        return this.#bye(m.from);
      default:
        return; // holder → tab messages (another holder's, or a hostile one's): not for us
    }
  }

  #hello(tab: string, groups: string[]): void {
    if (!this.#tabs.has(tab)) {
      if (this.#tabs.size >= MAX_HOLDER_TABS) return;
      this.#tabs.set(tab, undefined);
      this.#tabs.set(tab, this.#cfg.watchTab?.(tab, () => this.#bye(tab)));
    }
    for (const group of groups) {
      if (!this.#counts.join(tab, group)) continue;
      // The first tab to want it: make sure the service has it (a takeover after a lost
      // session, or a tab that reloaded); rejoined on every new connection from now on.
      this.#engine.groups.joined(group);
      if (this.#engine.state !== "stopped" && this.#engine.state !== "stopping") {
        this.#engine.submit({ kind: "joinGroup", group, ackId: randomWireAckId(this.#cfg.runtime.random) }).catch((error: Error) => {
          this.#engine.groups.left(group);
          this.#groupRefused(group, error);
        });
      }
    }
    this.#postState();
  }

  /** The service would not (re)join `group`: no tab is in it any more, and every tab hears why. */
  #groupRefused(group: string, error: Error | undefined): void {
    this.#counts.drop(group);
    this.#event("rejoin-group-failed", { group, error: { message: String(error?.message ?? error) } });
  }

  #bye(tab: string): void {
    if (!this.#tabs.has(tab)) return;
    this.#tabs.get(tab)?.();
    this.#tabs.delete(tab);
    this.#streams.tabGone(tab);
    for (const group of this.#counts.removeTab(tab)) this.#leaveService(group);
    this.#cfg.onTabLeft?.(tab, this.#tabs.size);
  }

  #leaveService(group: string): void {
    this.#engine.groups.left(group);
    if (this.#engine.state === "stopped" || this.#engine.state === "stopping") return;
    this.#engine.submit({ kind: "leaveGroup", group, ackId: randomWireAckId(this.#cfg.runtime.random) }).catch(() => {});
  }

  #result(to: string, id: number, r: { isDuplicated?: boolean; dataType?: unknown; data?: unknown }): void {
    const base = { t: "result" as const, holder: this.#cfg.id, to, id, ok: true as const, isDuplicated: r.isDuplicated === true };
    this.#post(r.dataType === undefined ? base : { ...base, dataType: r.dataType as never, data: r.data });
  }

  #fail(to: string, id: number, error: unknown): void {
    this.#post({ t: "result", holder: this.#cfg.id, to, id, ok: false, error: errorInfo(error) });
  }

  #op(from: string, id: number, op: TabOp): void {
    const key = `${from}:${id}`;
    if (this.#ops.has(key)) return; // the same operation resent after a takeover: already running
    if (!this.#tabs.has(from)) this.#hello(from, []);
    if (!this.#tabs.has(from)) return; // over the tab bound
    if (this.#ops.size >= MAX_HOLDER_OPS) {
      return this.#fail(from, id, new SendMessageError(`The shared connection already runs ${MAX_HOLDER_OPS} operations.`));
    }
    const engine = this.#engine;
    let work: Promise<{ isDuplicated?: boolean; dataType?: unknown; data?: unknown }>;
    const signal = new OpSignal();
    try {
      const k = op.kind === "invoke" ? op.invocationId : op.ackId;
      engine.outbox.checkKeyFree(k);
      switch (op.kind) {
        case "joinGroup":
          work = engine.submit({ kind: "joinGroup", group: op.group, ackId: op.ackId }, signal).then((r) => {
            if (this.#counts.join(from, op.group)) engine.groups.joined(op.group);
            return r;
          });
          break;
        case "leaveGroup":
          if (this.#counts.wantedByOthers(from, op.group)) {
            this.#counts.leave(from, op.group);
            return this.#result(from, id, { isDuplicated: false });
          }
          work = engine.submit({ kind: "leaveGroup", group: op.group, ackId: op.ackId }, signal).then((r) => {
            if (this.#counts.leave(from, op.group)) engine.groups.left(op.group);
            return r;
          });
          break;
        case "sendToGroup":
          work = engine.submit({ kind: "sendToGroup", group: op.group, dataType: op.dataType, data: op.data as never, noEcho: op.noEcho, ackId: op.ackId }, signal);
          break;
        case "sendEvent":
          work = engine.submit({ kind: "sendEvent", event: op.event, dataType: op.dataType, data: op.data as never, ackId: op.ackId }, signal);
          break;
        case "invoke":
          work = engine.submit({ kind: "invoke", invocationId: op.invocationId, event: op.event, dataType: op.dataType, data: op.data as never }, signal);
          break;
      }
    } catch (error) {
      return this.#fail(from, id, error);
    }
    this.#ops.set(key, signal);
    work.then(
      (r) => this.#result(from, id, r),
      (error) => this.#fail(from, id, error),
    ).finally(() => this.#ops.delete(key));
  }
}

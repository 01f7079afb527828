// The connection lifecycle: start, stop, drop, recover, reconnect, give up. Every state
// change goes through the table in state-machine.ts; the rules for when to try again are
// in recovery-policy.ts, which socket to open in opener.ts, one socket's life in link.ts, dead-link detection in
// keep-alive.ts. Each start() and each retry loop holds a run token: anything that
// awaited and finds the token replaced (stop, a newer loop) gives up without acting.
// It touches no global: transport, clocks, timers and signals come in through `Runtime`.
import mitt from "mitt";
import { AbortError } from "../errors/abort-error.js";
import { ConnectionError } from "../errors/connection-error.js";
import type { WebPubSubClientEvents, WebPubSubClientState, WebPubSubResult } from "../types/events.js";
import type { WebPubSubClientProtocol, WebPubSubMessage } from "../types/messages.js";
import type { EngineConfig } from "./engine-config.js";
import type { AbortSignalLike } from "../types/options.js";
import { deferred, type Deferred } from "../utils/deferred.js";
import { onAbort } from "../utils/on-abort.js";
import type { EngineExtension, EngineHost } from "./extension.js";
import { GroupMemory } from "./group-memory.js";
import { KeepAlive, type KeepAliveHost } from "./keep-alive.js";
import type { Link } from "./link.js";
import { Opener } from "./opener.js";
import { emitSafely } from "./emit.js";
import { Outbox } from "./outbox.js";
import { RECOVERY_CAP_MS, RECOVERY_WINDOW_MS, RecoveryPolicy } from "./recovery-policy.js";
import type { Runtime, Timers } from "./runtime.js";
import { SequenceAcker } from "./sequence-acker.js";
import type { Session } from "./session.js";
import { recoveryUrl } from "../utils/url.js";
import { onFrame, type InboundHost } from "./inbound.js";
import { StateMachine, type Trigger } from "./state-machine.js";
import { Extensions } from "./extensions.js";
import { Run } from "./run.js";
import { Waiter } from "./waiter.js";

type Events = WebPubSubClientEvents;

const STOPPED = "The client stopped.";

export class Engine implements EngineHost, InboundHost, KeepAliveHost {
  readonly emitter = mitt<Events>();
  readonly groups = new GroupMemory();
  readonly session: Session = {};

  readonly #fsm: StateMachine;
  declare readonly outbox: Outbox;
  declare readonly acker: SequenceAcker;
  declare readonly keepAlive: KeepAlive;
  readonly #policy: RecoveryPolicy;
  readonly #waiter: Waiter;
  declare readonly reliable: boolean;
  declare readonly protocol: WebPubSubClientProtocol;
  readonly #timers: Timers;
  readonly #opener: Opener;
  #run = new Run();
  /** Settles the stop() in progress. */
  #stopDone?: Deferred<void>;
  #stopTimer: unknown;
  #unsubscribe?: () => void;
  declare readonly extensions: Extensions;
  #up = false;

  readonly #config: EngineConfig;
  declare readonly rt: Runtime;

  constructor(config: EngineConfig, rt: Runtime) {
    this.#config = config;
    this.rt = rt;
    const timers = (this.#timers = rt.timers);
    this.reliable = (this.protocol = config.protocol).isReliableSubProtocol;
    this.#fsm = new StateMachine(rt.logger);
    this.extensions = new Extensions(rt.logger);
    this.outbox = new Outbox(this, timers, rt.clock, config.messageRetry, config.ackTimeoutMs, config.protocol);
    this.acker = new SequenceAcker(timers, this);
    this.#policy = new RecoveryPolicy(RECOVERY_WINDOW_MS, RECOVERY_CAP_MS, config.reconnectRetry, rt.random);
    this.#waiter = new Waiter(timers);
    this.#opener = new Opener(rt, config, { onFrame: (l, data) => onFrame(this, l, data), onDrop: (code, reason) => this.#onDrop(code, reason) });
    this.keepAlive = new KeepAlive(timers, rt.clock, config.keepAliveIntervalMs, config.keepAliveTimeoutMs, this);
  }

  get state(): WebPubSubClientState {
    return this.#fsm.state;
  }

  // ---- the extension seam (extension.ts) -------------------------------------------

  /** True while a socket is open and the session confirmed on it. */
  get linkUp(): boolean {
    return this.state === "connected" && !!this.#opener.link?.confirmed;
  }

  /** Writes a message when the link is up; false otherwise (the outbox queues, a feature keeps it). */
  sendRaw(message: WebPubSubMessage): boolean {
    return this.linkUp && this.#opener.link!.send(this.protocol.writeMessage(message)); // encode only what can go out
  }

  addExtension(extension: EngineExtension): () => void {
    return this.extensions.add(extension);
  }

  // ---- public lifecycle ------------------------------------------------------------

  /** Connects: a brand-new connection through the credential. */
  async start(signal?: AbortSignalLike): Promise<void> {
    if (this.state !== "stopped") {
      throw new Error(`start() needs a stopped client; it is ${this.state}`);
    }
    if (signal?.aborted) throw new AbortError();
    const run = (this.#run = new Run());
    this.#fire("start");
    this.#subscribeNetwork();
    const off = onAbort(signal, () => run.end(new AbortError()));
    try {
      await this.#opener.connect(run, signal);
    } catch (error) {
      if (run === this.#run) {
        this.#opener.drop();
        this.#forgetSession(); // frames that came before the failure may have armed the acker
        this.#unsubscribe?.();
        this.#fire("failed");
        this.outbox.failAll("Not connected; not sent.");
      }
      throw error;
    } finally {
      off();
    }
  }

  stop(): Promise<void> {
    const state = this.state;
    if (state === "stopped") return Promise.resolve();
    if (state === "stopping") return this.#stopDone!.promise;
    const done = (this.#stopDone = deferred<void>());
    this.#fire("stop");
    this.#run.end(new ConnectionError(STOPPED));
    this.#run = new Run();
    this.#waiter.wake();
    const link = this.#opener.link;
    if (link?.confirmed) {
      this.#linkDown();
      link.close();
      this.#stopTimer = this.#timers.setTimeout(() => this.#finishStop(), 3000);
    } else this.#finishStop();
    return done.promise;
  }

  // ---- operations ------------------------------------------------------------------

  /** Sends `message` now or once the link is back (outbox.ts); refused while stopped. */
  submit<T extends WebPubSubResult>(message: WebPubSubMessage, signal?: AbortSignalLike, front = false): Promise<T> {
    const state = this.state;
    return this.outbox.add(message, signal, front, state === "stopped" || state === "stopping" ? `The client is ${state}; call start() first.` : undefined) as Promise<T>;
  }

  /** @internal The socket the engine is using now. */
  current(link: Link): boolean {
    return link === this.#opener.link;
  }

  /** @internal Writes an encoded frame when the link is up. */
  send(frame: string | ArrayBuffer, answered: boolean): boolean {
    const sent = this.linkUp && this.#opener.link!.send(frame);
    if (sent && answered) this.keepAlive.expect();
    return sent;
  }

  // ---- link up / down ----------------------------------------------------------------

  /** The service confirmed the session on `link`: a brand-new connection, a resumed or a recovered one. */
  /** @internal */
  confirmed(link: Link): void {
    link.confirm();
    const now = this.rt.clock.now();
    this.#policy.up(now);
    const { session } = this;
    const connectionId = session.connectionId!;
    if (this.state === "recovering") {
      this.#fire("recovered");
      session.farewell = undefined; // it was about the link that is now recovered
      this.#linkUp(true);
      this.emit("recovered", { connectionId });
      return;
    }
    // A brand-new connection (or a resumed session): rejoin groups first, then drain the queue.
    this.#fire("connected");
    session.url = link.url;
    this.#policy.connected(now);
    const rejoins = this.#config.autoRejoinGroups && !link.recover ? this.groups.list().reverse().map((g) => this.#rejoin(g)) : [];
    this.#linkUp(link.recover);
    void Promise.all(rejoins).then(() => {
      if (session.connectionId === connectionId && this.state === "connected") {
        this.emit("connected", { connectionId, userId: session.userId });
      }
    });
  }

  #rejoin(group: string): Promise<void> {
    const ackId = this.outbox.nextAckId();
    return this.submit({ kind: "joinGroup", group, ackId }, undefined, true).then(
      () => {},
      (error: Error) => {
        if (this.state === "stopping" || this.state === "stopped") return;
        this.groups.left(group);
        this.emit("rejoin-group-failed", { group, error });
      },
    );
  }

  #linkUp(recovered: boolean): void {
    this.#up = true;
    this.keepAlive.start();
    this.outbox.resume();
    this.acker.flush(recovered);
    this.extensions.tell("onLinkUp", { connectionId: this.session.connectionId!, recovered });
  }

  #linkDown(): void {
    this.keepAlive.stop();
    this.acker.cancel();
    this.outbox.pause();
    if (this.#up) this.extensions.tell("onLinkDown");
    this.#up = false;
  }

  // ---- the keep-alive's host (keep-alive.ts) ---------------------------------------------

  /** @internal */
  ping(): void {
    this.sendRaw({ kind: "ping" });
  }

  /** @internal */
  waiting(): boolean {
    return this.outbox.waiting();
  }

  /** @internal The keep-alive found the link dead. */
  dead(): void {
    this.#opener.drop();
    this.#onDrop(1006, "keep-alive timeout");
  }

  /** A confirmed link dropped. */
  #onDrop(code: number, reason: string): void {
    this.#linkDown();
    const state = this.state;
    if (state === "stopping") return this.#finishStop(code, reason);
    if (state !== "connected") return;
    this.#policy.up(this.rt.clock.now()); // it was up until now: the service's 30 s start here
    if (this.reliable && this.session.token && code !== 1008) {
      this.#fire("drop");
      void this.#recover(code, reason);
    } else this.#sessionLost(code, reason);
  }

  /**
   * The connection id is gone for good. The state changes before `disconnected` is
   * emitted, so a listener reading `state` sees `reconnecting` (or `stopped`).
   */
  #sessionLost(code: number | undefined, reason: string | undefined): void {
    this.#policy.lost(this.rt.clock.now());
    if (!this.#config.autoReconnect) return this.#finishStop(code, reason);
    const { connectionId, farewell: message } = this.session;
    this.#forgetSession();
    this.extensions.tell("onSessionLost", new ConnectionError("Session lost.", code, reason));
    this.outbox.sessionLost();
    this.#fire("lost");
    this.emit("disconnected", { connectionId, message, code, reason });
    if (this.state === "reconnecting") void this.#reconnect(); // unless a listener stopped it
  }

  #recoveryUrl(): string {
    const s = this.session;
    return recoveryUrl(s.url!, s.connectionId!, s.token!);
  }

  #forgetSession(): void {
    const s = this.session;
    s.connectionId = s.token = s.farewell = undefined;
    this.acker.reset();
  }

  // ---- recovery and reconnection -----------------------------------------------------

  async #recover(code: number | undefined, reason: string | undefined): Promise<void> {
    const run = (this.#run = new Run());
    const connectionId = this.session.connectionId!;
    const { clock } = this.rt;
    for (let attempt = 1; ; attempt++) {
      const wait = this.#policy.recoveryDelay(clock.now());
      // Past the window, give up; but while offline, wait for the network and try once more.
      if (wait < 0 && this.#waiter.online) break;
      await this.#waiter.pause(wait);
      if (run !== this.#run) return;
      this.emit("recovering", { connectionId, attempt });
      if (run !== this.#run) return; // a listener stopped the client
      try {
        await this.#opener.confirmed(this.#recoveryUrl(), true, run);
        return; // confirmed: #confirmed() has run
      } catch (error) {
        if (run !== this.#run) return;
        this.#opener.drop();
        this.#policy.recoveryFailed();
        const e = error as ConnectionError;
        if (e.code !== undefined) ({ code, reason } = e);
        if (code === 1008) break; // the service says the session is gone
      }
    }
    this.#sessionLost(code, reason);
  }

  async #reconnect(): Promise<void> {
    const run = (this.#run = new Run());
    const { maxRetries } = this.#config.reconnectRetry;
    // One attempt plus maxRetries retries, as the official client.
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      await this.#waiter.pause(this.#policy.reconnectDelay());
      if (run !== this.#run) return;
      try {
        await this.#opener.connect(run);
        return; // confirmed: #confirmed() has run
      } catch (error) {
        if (run !== this.#run) return;
        this.#opener.drop();
        this.#policy.connectFailed();
        this.rt.logger.warn(`reconnect failed: ${(error as Error)?.message}`);
      }
    }
    this.#finishStop();
  }

  #subscribeNetwork(): void {
    const network = this.rt.network;
    if (!network) return;
    this.#waiter.online = network.isOnline();
    this.#unsubscribe = network.subscribe((online) => {
      this.#waiter.setOnline(online);
      if (online) this.keepAlive.probe();
    });
  }

  // ---- stopping ----------------------------------------------------------------------

  #finishStop(code?: number, reason?: string): void {
    this.#timers.clearTimeout(this.#stopTimer);
    this.#run.end(new ConnectionError(STOPPED));
    this.#run = new Run();
    this.#opener.drop();
    this.#linkDown();
    const { connectionId, farewell: message } = this.session;
    this.#forgetSession();
    if (connectionId) this.extensions.tell("onSessionLost", new ConnectionError(STOPPED, code, reason));
    this.outbox.failAll(STOPPED);
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#waiter.online = true;
    const stopped = this.#stopDone;
    this.#stopDone = undefined;
    this.#fire(this.state === "stopping" ? "closed" : "giveUp");
    if (connectionId) this.emit("disconnected", { connectionId, message, code, reason });
    this.emit("stopped", {});
    stopped?.resolve();
  }

  warn(message: string): void {
    this.rt.logger.warn(message);
  }

  #fire(trigger: Trigger): void {
    if (!this.#fsm.fire(trigger)) this.rt.logger.error(`no transition for "${trigger}" from ${this.state}`);
  }

  /** @internal Calls the application's listeners (emit.ts). */
  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    emitSafely(this.emitter, this.rt.logger, type, event);
  }
}

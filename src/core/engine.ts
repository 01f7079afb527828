// The connection lifecycle: start, stop, drop, recover, reconnect, give up. Every state
// change goes through the table in state-machine.ts; the rules for when to try again are
// in recovery-policy.ts, one socket's life in link.ts, dead-link detection in
// keep-alive.ts. Each start() and each retry loop holds a run token: anything that
// awaited and finds the token replaced (stop, a newer loop) gives up without acting.
// It touches no global: transport, clocks, timers and signals come in through `Runtime`.
import mitt from "mitt";
import { AbortError } from "../errors/abort-error.js";
import { ConnectionError } from "../errors/connection-error.js";
import type { WebPubSubClientEvents, WebPubSubClientState, WebPubSubResult } from "../types/events.js";
import type { DisconnectedMessage, WebPubSubClientProtocol, WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import { redactUrl } from "../utils/redact.js";
import { recoveryUrl } from "../utils/url.js";
import { frameBytes } from "../utils/validate.js";
import type { EngineInternals } from "./engine-access.js";
import type { EngineExtension, SessionSnapshot } from "./extension.js";
import { GroupMemory } from "./group-memory.js";
import { KeepAlive } from "./keep-alive.js";
import { Link } from "./link.js";
import { ABORT_DETAIL, ABORTED, operationError, Outbox, type Operation } from "./outbox.js";
import { RecoveryPolicy } from "./recovery-policy.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { Runtime, Timers } from "./runtime.js";
import { SequenceAcker } from "./sequence-acker.js";
import { StateMachine, type Trigger } from "./state-machine.js";
import { Waiter } from "./waiter.js";

export interface EngineConfig {
  /** Asked once per brand-new connection, never for a recovery. */
  getClientAccessUrl(abortSignal?: AbortSignalLike): Promise<string>;
  protocol: WebPubSubClientProtocol;
  autoReconnect: boolean;
  autoRejoinGroups: boolean;
  messageRetry: RetryPolicy;
  reconnectRetry: RetryPolicy;
  keepAliveIntervalMs: number;
  keepAliveTimeoutMs: number;
  ackTimeoutMs: number;
  /** How long the credential and a new socket may take to deliver `connected`. */
  connectTimeoutMs: number;
  /** How long a session is tried after the link was last known up (30 s). */
  recoveryWindowMs: number;
  /** The longest wait between two failing recovery attempts (1 s). */
  recoveryDelayMs: number;
}

/** A run token: replaced by every start(), stop() and retry loop; `halt` rejects on stop. */
interface Run {
  halt: Promise<never>;
  end(error: Error): void;
}

type Events = WebPubSubClientEvents;

/** Frames above the service's limit are refused before they are sent. */
export const MAX_FRAME_BYTES = 1 << 20;
/** A recovery socket that is not confirmed by then is abandoned, and the next attempt made. */
const RECOVERY_ATTEMPT_TIMEOUT_MS = 5000;
const STOPPED = "The client was stopped.";

function newRun(): Run {
  let end!: (error: Error) => void;
  const halt = new Promise<never>((_, reject) => (end = reject));
  halt.catch(() => {});
  return { halt, end };
}

/** Hosts fire a timer set beyond 2^31-1 ms at once; such delays mean "practically never". */
const clamped = (t: Timers): Timers => ({
  setTimeout: (fn, ms) => t.setTimeout(fn, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (h) => t.clearTimeout(h),
});

export class Engine implements EngineInternals {
  readonly emitter = mitt<Events>();
  readonly groups = new GroupMemory();
  connectionId?: string;
  userId?: string;

  readonly #fsm: StateMachine;
  readonly #outbox: Outbox;
  readonly #acker: SequenceAcker;
  readonly #keepAlive: KeepAlive;
  readonly #policy: RecoveryPolicy;
  readonly #waiter: Waiter;
  readonly #reliable: boolean;
  readonly #timers: Timers;
  #link?: Link;
  #run = newRun();
  #token?: string;
  #url?: string;
  #lastDisconnected?: DisconnectedMessage;
  #stopDone?: Promise<void>;
  #stopped?: () => void;
  #stopTimer: unknown;
  #unsubscribe?: () => void;
  #ackCounter = 0;
  #invocationCounter = 0;
  #extensions: EngineExtension[] = [];
  #up = false;

  readonly #config: EngineConfig;
  readonly #rt: Runtime;

  constructor(config: EngineConfig, rt: Runtime) {
    this.#config = config;
    this.#rt = rt;
    const timers = (this.#timers = clamped(rt.timers));
    this.#reliable = config.protocol.isReliableSubProtocol;
    this.#fsm = new StateMachine(rt.logger);
    this.#outbox = new Outbox(this, timers, rt.clock, config.messageRetry, config.ackTimeoutMs);
    this.#acker = new SequenceAcker(timers, this);
    this.#policy = new RecoveryPolicy(config.recoveryWindowMs, config.recoveryDelayMs, config.reconnectRetry, rt.random);
    this.#waiter = new Waiter(timers);
    this.#keepAlive = new KeepAlive(timers, rt.clock, config.keepAliveIntervalMs, config.keepAliveTimeoutMs, {
      ping: () => void this.write({ kind: "ping" }),
      dead: (why) => this.#dead(why),
      waiting: () => this.#outbox.waiting(),
    });
  }

  get state(): WebPubSubClientState {
    return this.#fsm.state;
  }

  // ---- the extension seam (extension.ts) -------------------------------------------

  /** True while a socket is open and the session confirmed on it. */
  get linkUp(): boolean {
    return this.#fsm.state === "connected" && !!this.#link?.confirmed;
  }

  sendRaw(message: WebPubSubMessage): boolean {
    return this.write(message);
  }

  addExtension(extension: EngineExtension): () => void {
    this.#extensions = [...this.#extensions, extension];
    return () => void (this.#extensions = this.#extensions.filter((x) => x !== extension));
  }

  /** Calls `hook` on every extension until one returns true; one that throws is logged. */
  #tell<K extends keyof EngineExtension>(hook: K, arg?: unknown): boolean {
    for (const x of this.#extensions) {
      try {
        if ((x[hook] as ((a: unknown) => unknown) | undefined)?.call(x, arg) === true) return true;
      } catch (error) {
        this.#rt.logger.error(`extension ${hook} threw: ${String(error)}`);
      }
    }
    return false;
  }

  // ---- public lifecycle ------------------------------------------------------------

  /** Connects; with a snapshot, first tries to recover that session instead of a new one. */
  async start(signal?: AbortSignalLike, snapshot?: SessionSnapshot): Promise<void> {
    if (this.#fsm.state !== "stopped") {
      throw new Error(`start() needs a stopped client, but this one is ${this.#fsm.state}; call stop() first.`);
    }
    if (signal?.aborted) throw new AbortError("start() was aborted before it began.");
    const run = (this.#run = newRun());
    this.#fire("start");
    this.#subscribeNetwork();
    const onAbort = (): void => run.end(new AbortError("start() was aborted."));
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (snapshot?.protocol === this.#config.protocol.name && (await this.#resume(run, snapshot))) return;
      await this.#connect(run, signal);
    } catch (error) {
      if (run === this.#run) {
        this.#dropLink();
        this.#forgetSession(); // frames that came before the failure may have armed the acker
        this.#unsubscribe?.();
        this.#fire("failed");
        this.#outbox.failAll("The client could not connect; the operation was not sent.");
      }
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  resume(snapshot: SessionSnapshot, signal?: AbortSignalLike): Promise<void> {
    return this.start(signal, snapshot);
  }

  stop(): Promise<void> {
    const state = this.#fsm.state;
    if (state === "stopped") return Promise.resolve();
    if (state === "stopping") return this.#stopDone!;
    this.#stopDone = new Promise((resolve) => (this.#stopped = resolve));
    this.#fire("stop");
    this.#run.end(new ConnectionError(STOPPED));
    this.#run = newRun();
    this.#waiter.wake();
    const link = this.#link;
    if (link?.confirmed) {
      this.#linkDown();
      link.close();
      this.#stopTimer = this.#timers.setTimeout(() => this.#finishStop(), 3000);
    } else this.#finishStop();
    return this.#stopDone;
  }

  // ---- operations ------------------------------------------------------------------

  nextAckId(): number {
    do this.#ackCounter++;
    while (this.#outbox.has(this.#ackCounter));
    return this.#ackCounter;
  }

  /** The caller chose `ackId`: automatic ids never repeat it. */
  usedAckId(ackId: number): void {
    if (ackId > this.#ackCounter) this.#ackCounter = ackId;
  }

  nextInvocationId(): string {
    let id: string;
    do id = String(++this.#invocationCounter);
    while (this.#outbox.has(id));
    return id;
  }

  /** A caller-chosen ackId or invocationId must not belong to an unfinished operation. */
  checkKeyFree(key: number | string | undefined): void {
    if (key !== undefined && this.#outbox.has(key)) throw new RangeError(`${key} is already the id of a pending operation`);
  }

  /**
   * Sends `message`, now or once the link is back. `ackId`/`invocationId` mark an answered
   * operation; without them it resolves as soon as the frame is written.
   */
  submit<T extends WebPubSubResult>(message: WebPubSubMessage, signal?: AbortSignalLike, front = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const state = this.#fsm.state;
      const op = {
        message,
        frame: "",
        ackId: (message as { ackId?: number }).ackId,
        invocationId: message.kind === "invoke" ? message.invocationId : undefined,
        idempotent: message.kind === "joinGroup" || message.kind === "leaveGroup",
        resolve,
        reject,
        attempts: 0,
        retries: 0,
        phase: "queued",
        due: 0,
      } as unknown as Operation;
      const fail = (why: string, detail?: typeof ABORT_DETAIL): void => reject(operationError(op, why, detail));
      if (state === "stopped" || state === "stopping") return fail(`The client is ${state}; call start() first.`);
      if (signal?.aborted) return fail(ABORTED, ABORT_DETAIL);
      let bytes: number;
      try {
        bytes = frameBytes((op.frame = this.#config.protocol.writeMessage(message)));
      } catch (e) {
        return fail(`The message cannot be encoded: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (bytes > MAX_FRAME_BYTES) return reject(new RangeError(`The message is ${bytes} bytes; the service takes at most ${MAX_FRAME_BYTES}.`));
      if (signal) {
        const onAbort = (): void => void this.#outbox.abort(op, ABORTED);
        signal.addEventListener("abort", onAbort, { once: true });
        op.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      this.#outbox.submit(op, front);
    });
  }

  /** @internal Writes a message when the link is up; false otherwise (the outbox queues). */
  write(message: WebPubSubMessage): boolean {
    return this.send(this.#config.protocol.writeMessage(message), false);
  }

  /** @internal Writes an encoded frame when the link is up. */
  send(frame: string | ArrayBuffer, answered: boolean): boolean {
    const sent = this.linkUp && this.#link!.send(frame);
    if (sent && answered) this.#keepAlive.expect();
    return sent;
  }

  // ---- sockets -----------------------------------------------------------------------

  #open(url: string, recover: boolean): Link {
    this.#dropLink();
    this.#rt.logger.info(`${recover ? "recovering through" : "connecting to"} ${redactUrl(url)}`);
    const link = new Link(this.#rt, url, recover, this.#config.protocol.name, recover ? RECOVERY_ATTEMPT_TIMEOUT_MS : this.#config.connectTimeoutMs, {
      // Ask for a frame at once: its answer is what confirms a recovered session.
      onOpen: (l) => void (l === this.#link && recover && l.send(this.#config.protocol.writeMessage({ kind: "ping" }))),
      onFrame: (l, data) => void (l === this.#link && this.#onData(l, data)),
      onClose: (l, code, reason) => {
        if (l !== this.#link) return;
        this.#link = undefined;
        this.#onDrop(code, reason);
      },
    });
    this.#link = link;
    return link;
  }

  /** Forgets the current socket; its late events are ignored. */
  #dropLink(): void {
    const link = this.#link;
    this.#link = undefined;
    link?.abort();
  }

  /** Opens a brand-new connection: credential (bounded), socket, `connected` frame. */
  async #connect(run: Run, signal?: AbortSignalLike): Promise<void> {
    const ms = this.#config.connectTimeoutMs;
    const ac = signal ? undefined : this.#rt.abortController?.();
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.#timers.setTimeout(() => reject(new ConnectionError(`No client access URL within ${ms} ms.`)), ms);
    });
    try {
      const url = await Promise.race([this.#config.getClientAccessUrl(signal ?? ac?.signal), timeout, run.halt]);
      this.#timers.clearTimeout(timer);
      if (typeof url !== "string" || url === "") throw new TypeError("getClientAccessUrl must return a non-empty URL string.");
      await Promise.race([this.#open(url, false).ready, run.halt]);
    } catch (error) {
      this.#timers.clearTimeout(timer);
      ac?.abort(); // a credential still at work (timed out, or the client stopped) can stop
      throw error;
    }
  }

  /** Tries to recover a snapshot's session; false when the service refused it. */
  async #resume(run: Run, s: SessionSnapshot): Promise<boolean> {
    this.connectionId = s.connectionId;
    this.userId = s.userId;
    this.#token = s.reconnectionToken;
    this.#url = s.url;
    this.#acker.reset(s.lastSequenceId);
    for (const g of s.groups) this.groups.joined(g);
    for (const id of s.usedAckIds) this.usedAckId(id);
    try {
      await Promise.race([this.#open(recoveryUrl(s.url, s.connectionId, s.reconnectionToken), true).ready, run.halt]);
      return true;
    } catch (error) {
      if (run !== this.#run) throw error;
      this.#rt.logger.info(`could not resume ${s.connectionId}: ${(error as Error).message}`);
      this.#forgetSession();
      return false;
    }
  }

  /** Every frame: the keep-alive's proof of life, then the session's confirmation, then routing. */
  #onData(link: Link, data: string | ArrayBuffer): void {
    this.#keepAlive.seen();
    this.#acker.received(typeof data === "string" ? data.length : data.byteLength);
    let parsed: WebPubSubMessage | WebPubSubMessage[] | null;
    try {
      parsed = this.#config.protocol.parseMessages(data);
    } catch (error) {
      this.#rt.logger.warn(`ignored a frame the protocol could not parse: ${String(error)}`);
      return;
    }
    for (const m of Array.isArray(parsed) ? parsed : parsed ? [parsed] : []) {
      if (link === this.#link) this.#onMessage(link, m);
    }
  }

  #onMessage(link: Link, m: WebPubSubMessage): void {
    if (m === null || typeof m !== "object") return;
    // Any frame but a farewell on a recovery socket proves the service kept the session.
    if (link.recover && !link.confirmed && m.kind !== "disconnected") this.#confirmed(link);
    switch (m.kind) {
      case "groupData":
      case "serverData":
        if (this.#reliable && m.sequenceId !== undefined && !this.#acker.accept(m.sequenceId)) return;
        if (this.#tell("onMessage", m)) return;
        if (m.kind === "groupData") this.#emit("group-message", { message: m });
        else this.#emit("server-message", { message: m });
        return;
      case "ack":
        this.#outbox.onAck(m);
        break;
      case "invokeResponse":
        this.#outbox.onInvokeResponse(m);
        break;
      case "connected":
        if (!link.confirmed && !link.recover) {
          this.connectionId = m.connectionId;
          this.userId = m.userId;
          this.#token = m.reconnectionToken;
          this.#acker.reset();
          this.#confirmed(link);
        } else if (m.connectionId === this.connectionId && m.reconnectionToken) {
          this.#token = m.reconnectionToken; // a recovered link may hand out a fresh token
        }
        break;
      case "disconnected":
        this.#lastDisconnected = m;
        link.farewell = m.message;
    }
    this.#tell("onMessage", m); // control frames: the engine's own handling comes first
  }

  // ---- link up / down ----------------------------------------------------------------

  /** The service confirmed the session on `link`: a brand-new connection, a resumed or a recovered one. */
  #confirmed(link: Link): void {
    link.confirm();
    const now = this.#rt.clock.now();
    this.#policy.up(now);
    const connectionId = this.connectionId!;
    if (this.#fsm.state === "recovering") {
      this.#fire("recovered");
      this.#lastDisconnected = undefined; // it was about the link that is now recovered
      this.#linkUp(true);
      this.#rt.logger.info(`recovered ${connectionId}`);
      this.#emit("recovered", { connectionId });
      return;
    }
    // A brand-new connection (or a resumed session): rejoin groups first, then drain the queue.
    this.#fire("connected");
    this.#url = link.url;
    this.#policy.connected(now);
    const rejoins = this.#config.autoRejoinGroups && !link.recover ? this.groups.list().reverse().map((g) => this.#rejoin(g)) : [];
    this.#linkUp(link.recover);
    this.#rt.logger.info(`connected as ${connectionId}`);
    void Promise.all(rejoins).then(() => {
      if (this.connectionId === connectionId && this.#fsm.state === "connected") {
        this.#emit("connected", { connectionId, userId: this.userId });
      }
    });
  }

  #rejoin(group: string): Promise<void> {
    const ackId = this.nextAckId();
    return this.submit({ kind: "joinGroup", group, ackId }, undefined, true).then(
      () => {},
      (error: Error) => {
        if (this.#fsm.state === "stopping" || this.#fsm.state === "stopped") return;
        this.groups.left(group);
        this.#emit("rejoin-group-failed", { group, error });
      },
    );
  }

  #linkUp(recovered: boolean): void {
    this.#up = true;
    this.#keepAlive.start();
    this.#outbox.resume();
    this.#acker.flush(recovered);
    this.#tell("onLinkUp", { connectionId: this.connectionId!, recovered });
  }

  #linkDown(): void {
    this.#keepAlive.stop();
    this.#acker.cancel();
    this.#outbox.pause();
    if (this.#up) this.#tell("onLinkDown");
    this.#up = false;
  }

  /** The keep-alive found the link dead. */
  #dead(why: string): void {
    this.#rt.logger.warn(`the link is dead: ${why}`);
    this.#dropLink();
    this.#onDrop(1006, why);
  }

  /** A confirmed link dropped. */
  #onDrop(code: number, reason: string): void {
    this.#linkDown();
    const state = this.#fsm.state;
    if (state === "stopping") return this.#finishStop(code, reason);
    if (state !== "connected") return;
    this.#rt.logger.info(`connection ${this.connectionId} dropped (code ${code}${reason ? `: ${reason}` : ""})`);
    this.#policy.up(this.#rt.clock.now()); // it was up until now: the service's 30 s start here
    if (this.#reliable && this.connectionId && this.#token && code !== 1008) {
      this.#fire("drop");
      void this.#recover(code, reason);
    } else this.#sessionLost(code, reason);
  }

  /**
   * The connection id is gone for good. The state changes before `disconnected` is
   * emitted, so a listener reading `state` sees `reconnecting` (or `stopped`).
   */
  #sessionLost(code: number | undefined, reason: string | undefined): void {
    this.#policy.lost(this.#rt.clock.now());
    if (!this.#config.autoReconnect) return this.#finishStop(code, reason);
    const connectionId = this.connectionId;
    const message = this.#lastDisconnected;
    this.#forgetSession();
    this.#tell("onSessionLost", new ConnectionError(`The session ${connectionId} was lost.`, code, reason));
    this.#outbox.sessionLost();
    this.#fire("lost");
    this.#emit("disconnected", { connectionId, message, code, reason });
    if (this.#fsm.state === "reconnecting") void this.#reconnect(); // unless a listener stopped it
  }

  #forgetSession(): void {
    this.connectionId = this.#token = this.#lastDisconnected = undefined;
    this.#acker.reset();
  }

  // ---- recovery and reconnection -----------------------------------------------------

  async #recover(code: number | undefined, reason: string | undefined): Promise<void> {
    const run = (this.#run = newRun());
    const connectionId = this.connectionId!;
    const { clock } = this.#rt;
    for (let attempt = 1; ; attempt++) {
      const wait = this.#policy.recoveryDelay(clock.now());
      // Past the window, give up; but while offline, wait for the network and try once more.
      if (wait < 0 && this.#waiter.online) break;
      await this.#waiter.pause(wait);
      if (run !== this.#run) return;
      this.#emit("recovering", { connectionId, attempt });
      if (run !== this.#run) return; // a listener stopped the client
      try {
        await Promise.race([this.#open(recoveryUrl(this.#url!, connectionId, this.#token!), true).ready, run.halt]);
        return; // confirmed: #confirmed() has run
      } catch (error) {
        if (run !== this.#run) return;
        this.#dropLink();
        this.#policy.recoveryFailed();
        const e = error as ConnectionError;
        if (e.code !== undefined) ({ code, reason } = e);
        if (code === 1008) break; // the service says the session is gone
      }
    }
    this.#sessionLost(code, reason);
  }

  async #reconnect(): Promise<void> {
    const run = (this.#run = newRun());
    const { maxRetries } = this.#config.reconnectRetry;
    // One attempt plus maxRetries retries, as the official client.
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      await this.#waiter.pause(this.#policy.reconnectDelay());
      if (run !== this.#run) return;
      try {
        await this.#connect(run);
        return; // confirmed: #confirmed() has run
      } catch (error) {
        if (run !== this.#run) return;
        this.#dropLink();
        this.#policy.connectFailed();
        this.#rt.logger.warn(`reconnect attempt ${attempt + 1} failed: ${(error as Error)?.message ?? error}`);
      }
    }
    this.#finishStop();
  }

  #subscribeNetwork(): void {
    const network = this.#rt.network;
    if (!network) return;
    this.#waiter.online = network.isOnline();
    this.#unsubscribe = network.subscribe((online) => {
      this.#waiter.setOnline(online);
      this.#rt.logger.info(`network ${online ? "online" : "offline"}`);
      if (online) this.#keepAlive.probe();
    });
  }

  // ---- stopping ----------------------------------------------------------------------

  #finishStop(code?: number, reason?: string): void {
    this.#timers.clearTimeout(this.#stopTimer);
    this.#run.end(new ConnectionError(STOPPED));
    this.#run = newRun();
    this.#dropLink();
    this.#linkDown();
    const connectionId = this.connectionId;
    const message = this.#lastDisconnected;
    this.#forgetSession();
    if (connectionId) this.#tell("onSessionLost", new ConnectionError(STOPPED, code, reason));
    this.#outbox.failAll("The client stopped before the operation completed.");
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#waiter.online = true;
    const stopped = this.#stopped;
    this.#stopped = undefined;
    this.#fire(this.#fsm.state === "stopping" ? "closed" : "giveUp");
    if (connectionId) this.#emit("disconnected", { connectionId, message, code, reason });
    this.#emit("stopped", {});
    stopped?.();
  }

  // ---- snapshot (for another engine to recover this session) -----------------------

  snapshot(): SessionSnapshot | undefined {
    const { connectionId, userId } = this;
    const token = this.#token;
    if (!connectionId || !token || !this.#url) return undefined;
    return {
      url: this.#url.replace(/([?&])access(?:_|%5f)token=[^&#]*&?/gi, "$1").replace(/[?&]$/, ""),
      protocol: this.#config.protocol.name,
      connectionId,
      reconnectionToken: token,
      userId,
      lastSequenceId: this.#acker.lastReceived,
      groups: this.groups.list(),
      usedAckIds: [this.#ackCounter],
      pending: this.#outbox.messages(),
      takenAt: this.#rt.clock.wall(),
    };
  }

  #fire(trigger: Trigger): void {
    if (!this.#fsm.fire(trigger)) this.#rt.logger.error(`no transition for "${trigger}" from ${this.#fsm.state}`);
  }

  /** Calls each listener; one that throws is logged and cannot break the client. */
  #emit<K extends keyof Events>(type: K, event: Events[K]): void {
    for (const handler of this.emitter.all.get(type)?.slice() ?? []) {
      try {
        (handler as unknown as (e: Events[K]) => void)(event);
      } catch (error) {
        this.#rt.logger.error(`a "${String(type)}" listener threw: ${String(error)}`);
      }
    }
  }
}

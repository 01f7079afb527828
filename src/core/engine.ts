// The connection lifecycle: start, stop, drop, recover, reconnect, give up. Every state
// change goes through the table in state-machine.ts; this file decides which trigger to
// fire and when. It touches no global: the transport, clock, timers and network signal
// come in through `Runtime`.
import mitt from "mitt";
import { AbortError } from "../errors/abort-error.js";
import { ConnectionError } from "../errors/connection-error.js";
import type { WebPubSubClientEvents, WebPubSubClientState, WebPubSubResult } from "../types/events.js";
import type { DisconnectedMessage, WebPubSubClientProtocol, WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import { deferred, type Deferred } from "../utils/deferred.js";
import { redactUrl } from "../utils/redact.js";
import { recoveryUrl } from "../utils/url.js";
import { GroupMemory } from "./group-memory.js";
import { KeepAlive } from "./keep-alive.js";
import { ABORT_DETAIL, ABORTED, operationError, Outbox, type Operation } from "./outbox.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { Runtime, Timers, Transport } from "./runtime.js";
import type { TransportHandlers } from "../transport/transport.js";
import type { EngineExtension, EngineHost } from "./extension.js";
import { SequenceAcker } from "./sequence-acker.js";
import { StateMachine, type Trigger } from "./state-machine.js";

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
  /** How long a new socket may take to deliver `connected` (or, recovering, to open). */
  connectTimeoutMs: number;
  /** How long recovery is tried before falling back to a new connection (30 s). */
  recoveryWindowMs: number;
  /** The least time between two recovery attempts (1 s). */
  recoveryDelayMs: number;
}

interface PendingOpen {
  gen: number;
  mode: "new" | "recover";
  timer: unknown;
  finish(error?: Error): void;
}

type Events = WebPubSubClientEvents;

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const STOPPED_BEFORE_CONNECTED = "The client was stopped before the connection was established.";

/** Hosts fire a timer set beyond 2^31-1 ms at once; such delays mean "practically never". */
class ClampedTimers implements Timers {
  readonly #inner: Timers;
  constructor(inner: Timers) {
    this.#inner = inner;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    return this.#inner.setTimeout(callback, Math.min(ms, MAX_TIMER_DELAY_MS));
  }
  clearTimeout(handle: unknown): void {
    this.#inner.clearTimeout(handle);
  }
}
/** A recovery socket that has not opened by then is abandoned, and the next attempt made. */
const RECOVERY_ATTEMPT_TIMEOUT_MS = 5000;

export class Engine implements EngineHost {
  readonly emitter = mitt<Events>();
  readonly groups = new GroupMemory();
  connectionId?: string;
  userId?: string;

  readonly #fsm: StateMachine;
  readonly #outbox: Outbox;
  readonly #acker: SequenceAcker;
  readonly #keepAlive: KeepAlive;
  readonly #reliable: boolean;
  readonly #timers: Timers;
  #socket?: Transport;
  #gen = 0;
  #pendingOpen?: PendingOpen;
  #lastClose?: { code: number; reason: string };
  #reconnectionToken?: string;
  #url?: string;
  #lastDisconnected?: DisconnectedMessage;
  #waiter?: () => void;
  #stopDone?: Deferred<void>;
  #stopTimer: unknown;
  #online = true;
  #offlineEvents = 0;
  #unsubscribeNetwork?: () => void;
  #lastRecoveryAttempt = -Infinity;
  #recoveryStartedAt?: number;
  #linkUpAt = 0;
  #up = false;
  /** Attempts in the current recovery window (kept across recoveries that drop at once). */
  #recoveryAttempts = 0;
  #ackCounter = 0;
  /** Bumped by every start(); a start() that is no longer the latest gives up. */
  #startRun = 0;
  #invocationCounter = 0;
  #extensions: EngineExtension[] = [];

  readonly #config: EngineConfig;
  readonly #rt: Runtime;

  constructor(config: EngineConfig, rt: Runtime) {
    this.#config = config;
    this.#rt = rt;
    const timers = (this.#timers = new ClampedTimers(rt.timers));
    this.#reliable = config.protocol.isReliableSubProtocol;
    this.#fsm = new StateMachine(rt.logger);
    this.#outbox = new Outbox(this, timers, rt.clock, config.messageRetry, config.ackTimeoutMs);
    this.#acker = new SequenceAcker(timers, this);
    this.#keepAlive = new KeepAlive(timers, rt.clock, config.keepAliveIntervalMs, config.keepAliveTimeoutMs, this);
  }

  get state(): WebPubSubClientState {
    return this.#fsm.state;
  }

  // ---- the extension seam (extension.ts) -------------------------------------------

  get linkUp(): boolean {
    return this.#socket !== undefined && this.#fsm.state === "connected";
  }

  sendRaw(message: WebPubSubMessage): boolean {
    return this.write(message);
  }

  addExtension(extension: EngineExtension): () => void {
    this.#extensions = [...this.#extensions, extension];
    return () => void (this.#extensions = this.#extensions.filter((x) => x !== extension));
  }

  /** Calls `hook` on every extension; one that throws is logged and cannot break the client. */
  #tell<K extends keyof EngineExtension>(hook: K, ...args: Parameters<NonNullable<EngineExtension[K]>>): boolean {
    for (const x of this.#extensions) {
      try {
        if ((x[hook] as ((...a: unknown[]) => unknown) | undefined)?.apply(x, args) === true) return true;
      } catch (error) {
        this.#rt.logger.error(`an extension's ${hook} threw: ${String(error)}`);
      }
    }
    return false;
  }

  // ---- public lifecycle ------------------------------------------------------------

  async start(signal?: AbortSignalLike): Promise<void> {
    if (this.#fsm.state !== "stopped") {
      throw new Error(`start() needs a stopped client, but this one is ${this.#fsm.state}; call stop() first.`);
    }
    if (signal?.aborted) throw new AbortError("start() was aborted before it began.");
    const run = ++this.#startRun;
    this.#fire("start");
    this.#subscribeNetwork();
    const aborted = deferred<never>();
    aborted.promise.catch(() => {});
    const onAbort = (): void => {
      const error = new AbortError("start() was aborted.");
      aborted.reject(error);
      if (run === this.#startRun) this.#pendingOpen?.finish(error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const url = await Promise.race([this.#config.getClientAccessUrl(signal), aborted.promise]);
      if (typeof url !== "string" || url === "") throw new TypeError("getClientAccessUrl must return a non-empty URL string.");
      this.#assertStarting(run);
      await this.#open(url, "new");
      this.#assertStarting(run);
      this.#url = url;
      this.#established();
    } catch (error) {
      if (this.state === "connecting" && run === this.#startRun) {
        this.#dropSocket();
        this.#forgetSession(); // frames that came before the failure may have armed the acker
        this.#unsubscribeNetwork?.();
        this.#unsubscribeNetwork = undefined;
        this.#fire("failed");
        this.#outbox.failAll("The client could not connect; the operation was not sent.");
      }
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  stop(): Promise<void> {
    const state = this.#fsm.state;
    if (state === "stopped") return Promise.resolve();
    if (state === "stopping") return this.#stopDone!.promise;
    const done = (this.#stopDone = deferred());
    this.#fire("stop");
    this.#wake();
    this.#pendingOpen?.finish(new ConnectionError(STOPPED_BEFORE_CONNECTED));
    const socket = this.#socket;
    if (socket) {
      this.#linkDown();
      try {
        socket.close(1000, "");
      } catch {
        // already closing
      }
      this.#stopTimer = this.#timers.setTimeout(() => this.#finishStop(), 3000);
    } else {
      this.#finishStop(); // clears this.#stopDone
    }
    return done.promise;
  }

  // ---- operations ------------------------------------------------------------------

  nextAckId(): number {
    do this.#ackCounter++;
    while (this.#outbox.has(this.#ackCounter));
    return this.#ackCounter;
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
      const refused =
        state === "stopped" || state === "stopping"
          ? `The client is ${state}; call start() first.`
          : signal?.aborted
            ? ABORTED
            : undefined;
      const op: Operation = {
        message,
        ackId: (message as { ackId?: number }).ackId,
        invocationId: message.kind === "invoke" ? message.invocationId : undefined,
        idempotent: message.kind === "joinGroup" || message.kind === "leaveGroup",
        resolve: resolve as unknown as Operation["resolve"],
        reject,
        attempts: 0,
        retries: 0,
        phase: "queued",
        due: 0,
      };
      if (refused) return reject(operationError(op, refused, refused === ABORTED ? ABORT_DETAIL : undefined));
      // [protobuf] A protocol with no invoke (protobuf) refuses it now, not once the link is back.
      if (message.kind === "invoke") {
        try {
          this.#config.protocol.writeMessage(message);
        } catch (e) {
          return reject(operationError(op, `The message cannot be encoded: ${e instanceof Error ? e.message : String(e)}`));
        }
      }
      if (signal) {
        const onAbort = (): void => void this.#outbox.abort(op, ABORTED);
        signal.addEventListener("abort", onAbort, { once: true });
        op.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      this.#outbox.submit(op, front);
    });
  }

  // ---- sockets -----------------------------------------------------------------------

  /** Opens a socket; resolves on `connected` (new) or on open (recover). */
  #open(url: string, mode: "new" | "recover", timeoutMs = this.#config.connectTimeoutMs): Promise<void> {
    this.#dropSocket();
    const gen = ++this.#gen;
    const done = deferred<void>();
    const timers = this.#timers;
    this.#rt.logger.info(`${mode === "new" ? "connecting to" : "recovering through"} ${redactUrl(url)}`);
    const pending: PendingOpen = {
      gen,
      mode,
      timer: undefined,
      finish: (error) => {
        if (this.#pendingOpen !== pending) return;
        this.#pendingOpen = undefined;
        timers.clearTimeout(pending.timer);
        if (error) {
          this.#dropSocket();
          done.reject(error);
        } else done.resolve();
      },
    };
    this.#pendingOpen = pending;
    try {
      this.#socket = this.#rt.transport(url, this.#config.protocol.name, this.#handlers(gen, mode));
    } catch (error) {
      const detail = redactUrl(String((error as Error)?.message ?? error)); // errors may quote the URL
      pending.finish(new ConnectionError(`Cannot open a WebSocket to ${redactUrl(url)}: ${detail}`));
      return done.promise;
    }
    pending.timer = timers.setTimeout(
      () => pending.finish(new ConnectionError(`No connection within ${timeoutMs} ms.`)),
      Math.min(timeoutMs, this.#config.connectTimeoutMs),
    );
    // The socket may close after it was established but before the caller has taken it
    // over (a service that opens, then closes at once with 1008): that is a failed open.
    return done.promise.then(() => {
      if (gen === this.#gen) return;
      const closed = this.#lastClose;
      const why = closed ? ` (code ${closed.code}${closed.reason ? `: ${closed.reason}` : ""})` : "";
      throw new ConnectionError(`The connection closed as soon as it was established${why}.`, closed?.code, closed?.reason);
    });
  }

  /** The socket's callbacks: they hold only the engine and the socket's generation. */
  #handlers(gen: number, mode: "new" | "recover"): TransportHandlers {
    return {
      onOpen: () => {
        if (gen === this.#gen && mode === "recover") this.#pendingOpen?.finish();
      },
      onMessage: (data) => {
        if (gen === this.#gen) this.#onData(data);
      },
      onClose: (code, reason) => {
        if (gen !== this.#gen) return;
        this.#lastClose = { code, reason };
        this.#socket = undefined;
        this.#gen++;
        const pending = this.#pendingOpen;
        if (pending?.gen === gen) {
          const why = this.#lastDisconnected?.message ?? reason;
          pending.finish(new ConnectionError(`The connection closed before it was established (code ${code}${why ? `: ${why}` : ""}).`, code, reason));
        } else this.#onDrop(code, reason);
      },
    };
  }

  /** @internal The keep-alive found the link silent for too long. */
  linkDead(silentForMs: number): void {
    this.#rt.logger.warn(`no traffic for ${silentForMs} ms: the link is dead`);
    this.#dropSocket();
    this.#onDrop(1006, "keep-alive timeout");
  }

  /** Forgets the current socket; its late callbacks are ignored. */
  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#gen++;
    socket?.abort();
  }

  /** @internal Writes a frame when connected; false otherwise (the outbox queues). */
  write(message: WebPubSubMessage): boolean {
    const socket = this.#socket;
    if (!socket || this.#fsm.state !== "connected") return false;
    const data = this.#config.protocol.writeMessage(message); // throws for content it cannot encode
    try {
      socket.send(data);
      return true;
    } catch {
      return false;
    }
  }

  // ---- inbound -----------------------------------------------------------------------

  #onData(data: string | ArrayBuffer): void {
    this.#keepAlive.seen();
    let parsed: WebPubSubMessage | WebPubSubMessage[] | null;
    try {
      parsed = this.#config.protocol.parseMessages(data);
    } catch (error) {
      this.#rt.logger.warn(`ignored a frame the protocol could not parse: ${String(error)}`);
      return;
    }
    if (parsed == null) return;
    if (Array.isArray(parsed)) for (const m of parsed) this.#onMessage(m);
    else this.#onMessage(parsed);
  }

  #onMessage(m: WebPubSubMessage): void {
    if (m === null || typeof m !== "object") return;
    switch (m.kind) {
      case "groupData":
      case "serverData":
        if (this.#reliable && typeof m.sequenceId === "number" && !this.#acker.accept(m.sequenceId)) return;
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
        this.#onConnectedFrame(m.connectionId, m.userId, m.reconnectionToken);
        break;
      case "disconnected":
        this.#lastDisconnected = m;
    }
    this.#tell("onMessage", m); // control frames: the engine's own handling comes first
  }

  #onConnectedFrame(connectionId: string, userId: string | undefined, token: string | undefined): void {
    const pending = this.#pendingOpen;
    if (pending?.mode === "new") {
      this.connectionId = connectionId;
      this.userId = userId;
      this.#reconnectionToken = token;
      this.#acker.reset();
      pending.finish();
    } else if (connectionId === this.connectionId && token) {
      this.#reconnectionToken = token; // a recovered link may hand out a fresh token
    }
  }

  // ---- link up / down ----------------------------------------------------------------

  /** A brand-new connection is ready: rejoin groups first, then drain the queue. */
  #established(): void {
    this.#fire("connected");
    const connectionId = this.connectionId!;
    const rejoins = this.#config.autoRejoinGroups ? this.groups.list().reverse().map((g) => this.#rejoin(g)) : [];
    this.#linkUp(false);
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
    this.#linkUpAt = this.#rt.clock.now();
    this.#up = true;
    this.#keepAlive.start();
    this.#outbox.resume();
    this.#tell("onLinkUp", { connectionId: this.connectionId!, recovered });
  }

  #linkDown(): void {
    if (this.#up) this.#tell("onLinkDown");
    this.#up = false;
    this.#keepAlive.stop();
    this.#acker.cancel();
    this.#outbox.pause();
  }

  #onDrop(code: number, reason: string): void {
    this.#linkDown();
    const state = this.#fsm.state;
    if (state === "stopping") return this.#finishStop(code, reason);
    if (state !== "connected") return;
    this.#rt.logger.info(`connection ${this.connectionId} dropped (code ${code}${reason ? `: ${reason}` : ""})`);
    if (this.#rt.clock.now() - this.#linkUpAt >= this.#config.recoveryDelayMs) {
      // The link was healthy (up for a retry delay): a fresh recovery window, first attempt at once.
      // A link that dies sooner keeps the window and the pacing: no storm of open-then-close.
      this.#recoveryStartedAt = undefined;
      this.#lastRecoveryAttempt = -Infinity;
    }
    if (this.#reliable && this.connectionId && this.#reconnectionToken && code !== 1008) {
      this.#fire("drop");
      void this.#recover(code, reason);
    } else {
      this.#sessionLost(code, reason);
    }
  }

  /**
   * The connection id is gone for good. The state changes before `disconnected` is
   * emitted, so a listener reading `state` sees `reconnecting` (or `stopped`).
   */
  #sessionLost(code: number | undefined, reason: string | undefined): void {
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
    this.connectionId = this.#reconnectionToken = undefined;
    this.#lastDisconnected = undefined;
    this.#recoveryStartedAt = undefined;
    this.#acker.reset();
  }

  // ---- recovery and reconnection -----------------------------------------------------

  async #recover(code: number | undefined, reason: string | undefined): Promise<void> {
    const connectionId = this.connectionId!;
    const { clock } = this.#rt;
    if (this.#recoveryStartedAt === undefined) {
      this.#recoveryStartedAt = clock.now();
      this.#recoveryAttempts = 0;
    }
    const deadline = this.#recoveryStartedAt + this.#config.recoveryWindowMs;
    while (this.#fsm.state === "recovering") {
      // Capped: a wall clock set back after the last attempt must not stretch the wait.
      const delay = this.#config.recoveryDelayMs;
      const networkWasDown = await this.#pause(Math.min(delay, this.#lastRecoveryAttempt + delay - clock.now()));
      if (this.#fsm.state !== "recovering") return;
      // Past the window, stop, but always try once after the network came back.
      if (this.#recoveryAttempts > 0 && clock.now() >= deadline && !networkWasDown) break;
      const attempt = ++this.#recoveryAttempts;
      this.#lastRecoveryAttempt = clock.now();
      this.#emit("recovering", { connectionId, attempt });
      if (this.#fsm.state !== "recovering") return;
      try {
        await this.#open(recoveryUrl(this.#url!, connectionId, this.#reconnectionToken!), "recover", RECOVERY_ATTEMPT_TIMEOUT_MS);
        if (this.#fsm.state !== "recovering") return;
        this.#fire("recovered");
        this.#lastDisconnected = undefined; // it was about the link that is now recovered
        this.#linkUp(true);
        this.#acker.flush(true);
        this.#rt.logger.info(`recovered ${connectionId} after ${attempt} attempt(s)`);
        this.#emit("recovered", { connectionId });
        return;
      } catch (error) {
        if (this.#fsm.state !== "recovering") return;
        if (error instanceof ConnectionError) {
          code = error.code;
          reason = error.reason;
          if (code === 1008) break; // the service says the session is gone
        }
      }
    }
    if (this.#fsm.state === "recovering") this.#sessionLost(code, reason);
  }

  async #reconnect(): Promise<void> {
    const policy = this.#config.reconnectRetry;
    let attempt = 0;
    while (this.#fsm.state === "reconnecting" && attempt < policy.maxRetries) {
      attempt++;
      // The first try goes at once, as the official client does, unless jitter is asked
      // for (Exponential mode): then even the first is spread out, so a service that
      // closed many clients together is not hit by all of them in the same instant.
      await this.#pause(attempt > 1 ? policy.delay(attempt - 1) : policy.jittered ? policy.delay(1) : 0);
      if (this.#fsm.state !== "reconnecting") return;
      try {
        const url = await this.#config.getClientAccessUrl();
        if (this.#fsm.state !== "reconnecting") return;
        await this.#open(url, "new");
        if (this.#fsm.state !== "reconnecting") return;
        this.#url = url;
        this.#established();
        return;
      } catch (error) {
        this.#rt.logger.warn(`reconnect attempt ${attempt} failed: ${(error as Error)?.message ?? error}`);
      }
    }
    if (this.#fsm.state === "reconnecting") this.#finishStop();
  }

  /**
   * Waits `ms`, then until online; `wake()` (online, stop) ends it at once. Resolves true
   * when the network was offline at some point during the wait.
   */
  #pause(ms: number): Promise<boolean> {
    const offlineAtStart = !this.#online;
    const offlineEvents = this.#offlineEvents;
    return new Promise((resolve) => {
      let timer: unknown;
      const done = (): void => {
        if (timer !== undefined) this.#timers.clearTimeout(timer);
        if (this.#waiter === done) this.#waiter = undefined;
        resolve(offlineAtStart || offlineEvents !== this.#offlineEvents || !this.#online);
      };
      const elapsed = (): void => {
        timer = undefined;
        if (this.#online) done(); // offline: the `online` event calls wake()
      };
      this.#waiter = done;
      if (ms > 0) timer = this.#timers.setTimeout(elapsed, ms);
      else elapsed();
    });
  }

  #wake(): void {
    this.#waiter?.();
  }

  #subscribeNetwork(): void {
    const network = this.#rt.network;
    if (!network) return;
    this.#online = network.isOnline();
    this.#unsubscribeNetwork = network.subscribe((online) => {
      this.#online = online;
      if (!online) this.#offlineEvents++;
      this.#rt.logger.info(`network ${online ? "online" : "offline"}`);
      if (!online) return;
      if (this.#fsm.state === "connected") this.#keepAlive.check();
      this.#wake();
    });
  }

  // ---- stopping ----------------------------------------------------------------------

  #finishStop(code?: number, reason?: string): void {
    this.#timers.clearTimeout(this.#stopTimer);
    this.#dropSocket();
    this.#linkDown();
    const connectionId = this.connectionId;
    const message = this.#lastDisconnected;
    this.#forgetSession();
    if (connectionId) this.#tell("onSessionLost", new ConnectionError("The client stopped.", code, reason));
    this.#outbox.failAll("The client stopped before the operation completed.");
    this.#unsubscribeNetwork?.();
    this.#unsubscribeNetwork = undefined;
    this.#online = true;
    const stopDone = this.#stopDone;
    this.#stopDone = undefined;
    this.#fire(this.#fsm.state === "stopping" ? "closed" : "giveUp");
    if (connectionId) this.#emit("disconnected", { connectionId, message, code, reason });
    this.#emit("stopped", {});
    stopDone?.resolve();
  }

  #assertStarting(run: number): void {
    if (this.#fsm.state !== "connecting" || run !== this.#startRun) {
      throw new ConnectionError(STOPPED_BEFORE_CONNECTED);
    }
  }

  #fire(trigger: Trigger): void {
    if (!this.#fsm.fire(trigger)) this.#rt.logger.error(`no transition for "${trigger}" from ${this.#fsm.state}`);
  }

  /** Calls each listener; one that throws is logged and cannot break the client. */
  #emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const handlers = this.emitter.all.get(type);
    if (!handlers) return;
    for (const handler of handlers.slice()) {
      try {
        (handler as unknown as (e: Events[K]) => void)(event);
      } catch (error) {
        this.#rt.logger.error(`a "${String(type)}" listener threw: ${String(error)}`);
      }
    }
  }
}

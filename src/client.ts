// The public facade: argument checks and the official API's shape over the core engine.
import { Engine } from "./core/engine.js";
import type { EngineConfig } from "./core/engine-config.js";
// what the shared-connection chunk is handed (src/shared/deps.ts)
import mitt from "mitt";
import { emitSafely } from "./core/emit.js";
import { AbortError } from "./errors/abort-error.js";
import { ConnectionError } from "./errors/connection-error.js";
import { InvocationError } from "./errors/invocation-error.js";
import { SendMessageError } from "./errors/send-message-error.js";
import { onAbort } from "./utils/on-abort.js";
import { recoveryUrl, withoutSessionParams } from "./utils/url.js";
import type { SharedDeps } from "./shared/deps.js";
import { MESSAGE_RETRY_DEFAULTS, RECONNECT_RETRY_DEFAULTS, RetryPolicy } from "./core/retry-policy.js";
import type { Runtime } from "./core/runtime.js";
import { lazyStreams, type LazyStreams } from "./streams/lazy.js";
import type { GroupStream, GroupStreamSubscription, GroupStreamWriter, OnGroupStreamOptions, OpenGroupStreamOptions } from "./types/streams.js";
import { defaultRuntime } from "./platform/default-runtime.js";
import { WebPubSubJsonReliableProtocol } from "./protocol/json-protocol.js";
import type {
  InvokeEventResult,
  WebPubSubClientEventName,
  WebPubSubClientEvents,
  WebPubSubClientState,
  WebPubSubResult,
} from "./types/events.js";
import type { JSONTypes, WebPubSubClientProtocol, WebPubSubDataType } from "./types/messages.js";
import type {
  InvokeEventOptions,
  JoinGroupOptions,
  LeaveGroupOptions,
  SendEventOptions,
  SendToGroupOptions,
  StartOptions,
  WebPubSubClientCredential,
  WebPubSubClientOptions,
} from "./types/options.js";
import {
  checkAckId,
  checkContent,
  checkEventName,
  checkGroup,
  checkOptions,
  nonNegative,
} from "./utils/validate.js";

type Listener<K extends WebPubSubClientEventName> = (event: WebPubSubClientEvents[K]) => void;
/** A once() wrapper remembers the listener it wraps, so off() can find it. */
type Once = { l?: unknown };

/** Protocol objects are stateless: clients without a `protocol` option share one. */
let DEFAULT_PROTOCOL: WebPubSubClientProtocol | undefined;

/** What the shared-connection chunk uses from this bundle (it imports nothing from it). */
export const SHARED_DEPS: SharedDeps = [AbortError, ConnectionError, InvocationError, SendMessageError, mitt, emitSafely, onAbort, recoveryUrl, withoutSessionParams];

const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for("Symbol.asyncDispose") as typeof Symbol.asyncDispose);

function credentialOf(source: string | WebPubSubClientCredential): EngineConfig["getClientAccessUrl"] {
  if (typeof source === "string") {
    if (source === "") throw new TypeError("clientAccessUrl must be a non-empty string");
    return () => Promise.resolve(source);
  }
  const get = source?.getClientAccessUrl;
  if (typeof get === "string") return () => Promise.resolve(get);
  if (typeof get === "function") return (abortSignal) => Promise.resolve().then(() => get.call(source, { abortSignal }));
  throw new TypeError("expected a URL or a { getClientAccessUrl } credential");
}

export class WebPubSubClient {
  #engine: Engine; // replaced by the shared engine when `shareConnection` is set
  /** shareConnection (issue 14): loads the shared engine, once. */
  #share?: () => Promise<unknown>;
  // --- group streams (issue 11): made on first use
  readonly #rt: Runtime;
  #gs?: LazyStreams;
  // --- end group streams

  constructor(clientAccessUrl: string, options?: WebPubSubClientOptions);
  constructor(credential: WebPubSubClientCredential, options?: WebPubSubClientOptions);
  constructor(source: string | WebPubSubClientCredential, options?: WebPubSubClientOptions);
  /** @internal Tests and embedders inject the runtime (transport, timers, clock). */
  constructor(source: string | WebPubSubClientCredential, options: WebPubSubClientOptions | undefined, runtime: Runtime);
  constructor(source: string | WebPubSubClientCredential, options?: WebPubSubClientOptions, runtime?: Runtime) {
    const o = checkOptions<WebPubSubClientOptions>(options, "options");
    const rt = runtime ?? defaultRuntime(o.WebSocket, o.logger);
    const protocol = o.protocol ?? (DEFAULT_PROTOCOL ??= WebPubSubJsonReliableProtocol());
    if (typeof protocol?.name !== "string" || typeof protocol.parseMessages !== "function" || typeof protocol.writeMessage !== "function") {
      throw new TypeError("options.protocol must be a WebPubSubClientProtocol");
    }
    const getUrl = credentialOf(source);
    const make = (r: Runtime, getClientAccessUrl = getUrl): Engine => new Engine(
      {
        getClientAccessUrl,
        protocol,
        autoReconnect: o.autoReconnect ?? true,
        autoRejoinGroups: o.autoRejoinGroups ?? o.autoRestoreGroups ?? true,
        messageRetry: new RetryPolicy(o.messageRetryOptions, MESSAGE_RETRY_DEFAULTS, rt.random, "messageRetryOptions"),
        reconnectRetry: new RetryPolicy(o.reconnectRetryOptions, RECONNECT_RETRY_DEFAULTS, rt.random, "reconnectRetryOptions"),
        keepAliveIntervalMs: nonNegative("keepAliveIntervalInMs", o.keepAliveIntervalInMs, 20000),
        keepAliveTimeoutMs: nonNegative("keepAliveTimeoutInMs", o.keepAliveTimeoutInMs, 120000),
        ackTimeoutMs: nonNegative("ackTimeoutInMs", o.ackTimeoutInMs, 30000) || 30000,
      },
      r,
    );
    this.#engine = make(rt);
    this.#rt = rt; // group streams (issue 11)
    // ---- shareConnection (issue 14): the shared code is loaded only when asked for ----
    const key = o.shareConnection;
    if (key !== undefined) {
      if (typeof key !== "string" || !key) throw new TypeError("options.shareConnection must be a non-empty string");
      let loading: Promise<unknown> | undefined;
      this.#share = () =>
        (loading ??= import("./shared/index.js").then((m) => {
          this.#engine = m.sharedEngine(SHARED_DEPS, key, this.#engine.emitter, make, rt, protocol, getUrl, o) as unknown as Engine;
        }));
    }
    // ---- end shareConnection ----
  }

  /** `stopped`, `connecting`, `connected`, `recovering`, `reconnecting` or `stopping`. */
  get state(): WebPubSubClientState {
    return this.#engine.state;
  }

  /** The service's id for the current connection; undefined before `connected`. */
  get connectionId(): string | undefined {
    return this.#engine.session.connectionId;
  }

  get userId(): string | undefined {
    return this.#engine.session.userId;
  }

  /** Resolves once the service has sent `connected`. */
  start(options?: StartOptions): Promise<void> {
    const signal = checkOptions<StartOptions>(options, "options").abortSignal;
    if (this.#share) return this.#share().then(() => this.#engine.start(signal)); // shareConnection (issue 14)
    return this.#engine.start(signal);
  }

  /** Resolves once stopped; safe to call in any state, any number of times. */
  stop(): Promise<void> {
    return this.#engine.stop();
  }

  async [asyncDispose](): Promise<void> {
    await this.stop();
  }

  on<K extends WebPubSubClientEventName>(event: K, listener: Listener<K>): void {
    this.#engine.emitter.on(event, listener);
  }

  /** Removes `listener`: every once() registration of it, and one on() registration. */
  off<K extends WebPubSubClientEventName>(event: K, listener: Listener<K>): void {
    const { emitter } = this.#engine;
    const list = emitter.all.get(event);
    if (list) for (let i = list.length; i--; ) if ((list[i] as Once).l === listener) list.splice(i, 1);
    emitter.off(event, listener);
  }

  /** Like `on`, for the next event only. */
  once<K extends WebPubSubClientEventName>(event: K, listener: Listener<K>): void {
    const { emitter } = this.#engine;
    const wrapper: Listener<K> & Once = (e) => {
      emitter.off(event, wrapper);
      listener(e);
    };
    wrapper.l = listener;
    emitter.on(event, wrapper);
  }

  async joinGroup(groupName: string, options?: JoinGroupOptions): Promise<WebPubSubResult> {
    const result = await this.#joinOrLeave("joinGroup", groupName, options);
    this.#engine.groups.joined(groupName);
    return result;
  }

  async leaveGroup(groupName: string, options?: LeaveGroupOptions): Promise<WebPubSubResult> {
    const result = await this.#joinOrLeave("leaveGroup", groupName, options);
    this.#engine.groups.left(groupName);
    return result;
  }

  async sendToGroup(
    groupName: string,
    content: JSONTypes | ArrayBuffer | ArrayBufferView,
    dataType: WebPubSubDataType,
    options?: SendToGroupOptions,
  ): Promise<WebPubSubResult> {
    checkGroup(groupName);
    checkContent(content, dataType);
    const o = checkOptions<SendToGroupOptions>(options, "options");
    const ackId = this.#ackId(o, o.fireAndForget === true);
    return this.#engine.submit({ kind: "sendToGroup", group: groupName, dataType, data: content, noEcho: o.noEcho === true, ackId }, o.abortSignal);
  }

  async sendEvent(
    eventName: string,
    content: JSONTypes | ArrayBuffer | ArrayBufferView,
    dataType: WebPubSubDataType,
    options?: SendEventOptions,
  ): Promise<WebPubSubResult> {
    checkEventName(eventName);
    checkContent(content, dataType);
    const o = checkOptions<SendEventOptions>(options, "options");
    const ackId = this.#ackId(o, o.fireAndForget === true);
    return this.#engine.submit({ kind: "sendEvent", event: eventName, dataType, data: content, ackId }, o.abortSignal);
  }

  /** Sends an event and resolves with the event handler's response. */
  async invokeEvent(
    eventName: string,
    content: JSONTypes | ArrayBuffer | ArrayBufferView,
    dataType: WebPubSubDataType,
    options?: InvokeEventOptions,
  ): Promise<InvokeEventResult> {
    checkEventName(eventName);
    checkContent(content, dataType);
    const o = checkOptions<InvokeEventOptions>(options, "options");
    if (o.invocationId !== undefined && (typeof o.invocationId !== "string" || o.invocationId === "")) {
      throw new TypeError("invocationId must be a non-empty string");
    }
    this.#engine.outbox.checkKeyFree(o.invocationId);
    const invocationId = o.invocationId ?? this.#engine.outbox.nextInvocationId();
    const result = await this.#engine.submit<WebPubSubResult & InvokeEventResult>(
      { kind: "invoke", invocationId, event: eventName, dataType, data: content },
      o.abortSignal,
    );
    return { invocationId: result.invocationId, dataType: result.dataType, data: result.data };
  }

  // --- group streams (issue 11; PROTOCOL.md §10)
  /** Opens a stream to a group; resolves once the service accepted it. */
  async openGroupStream(groupName: string, options?: OpenGroupStreamOptions): Promise<GroupStreamWriter> {
    return this.#streams().open(groupName, options);
  }

  /** Calls `callback` once for each new inbound stream; its fragments are not `group-message`s. */
  onGroupStream(callback: (stream: GroupStream) => void | Promise<void>, options?: OnGroupStreamOptions): GroupStreamSubscription {
    return this.#streams().on(callback, options, asyncDispose);
  }

  /** The first call starts loading the streams' code (a chunk of its own). */
  #streams(): LazyStreams {
    // shareConnection (issue 14): the streams ride the shared engine, once it is loaded.
    return (this.#gs ??= lazyStreams(() => this.#engine, this.#rt, this.#share?.()));
  }
  // --- end group streams

  #joinOrLeave(kind: "joinGroup" | "leaveGroup", group: string, options: JoinGroupOptions | undefined): Promise<WebPubSubResult> {
    checkGroup(group);
    const o = checkOptions<JoinGroupOptions>(options, "options");
    return this.#engine.submit({ kind, group, ackId: this.#ackId(o, false) }, o.abortSignal);
  }

  /** The operation's ackId: the caller's (checked) or a fresh one; none for fire-and-forget. */
  #ackId(options: { ackId?: number }, fireAndForget: boolean): number | undefined {
    const { ackId } = options;
    const outbox = this.#engine.outbox;
    checkAckId(ackId);
    if (fireAndForget) {
      if (ackId !== undefined) throw new TypeError("ackId cannot be combined with fireAndForget");
      return;
    }
    if (ackId === undefined) return outbox.nextAckId();
    outbox.checkKeyFree(ackId);
    outbox.usedAckId(ackId);
    return ackId;
  }
}

// The SharedWorker side of a shared connection: one `Holder` (one engine, one WebSocket) for
// every tab of the origin that connects with the same key. Tabs talk to it over their
// MessagePorts with the same wire messages as on the Web Locks path, plus a few of the worker
// link's own (`init`, `ready`, `refuse`, `cred`, `credOk`, `credFail`, `away`, `seen`, see
// worker-link.ts). The credential is a page's function, so the worker asks a tab for each
// client access URL. A tab that vanishes without a word is noticed through its per-tab Web
// Lock, as on the Web Locks path. When the last tab goes the worker hands the session over
// (it stays on the service, so a reloaded page can recover it), or ends it when that tab
// stopped its client. The engine acknowledges only what the tabs reported delivered
// (ack-gate.ts), so a worker that ends with its last tab leaves the rest on the service.
// The worker's holder takes the same Web Lock as an elected tab and relays on the same
// BroadcastChannel, so tabs on the Web Locks path (e.g. a page whose CSP forbids workers) and
// tabs on the worker path converge on one connection: while a tab holds the lock the worker
// refuses its tabs (`refuse` "busy": they take the Web Locks path too); while the worker holds
// it, Web Locks tabs wait in the lock's queue and talk to the worker over the channel.
// Two kinds of worker: the UMD file run as a worker serves the one key in its name
// (`webpubsub-client:<key>`); the ESM build's module worker (`webpubsub-client`) serves
// every key, each tab naming its key in its `init`.
import type { Engine } from "../core/engine.js";
import type { Runtime } from "../core/runtime.js";
import type { WebPubSubClientProtocol } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import { AckGate } from "./ack-gate.js";
import { CredRequests } from "./cred-requests.js";
import { channelName, holderLockName, tabLockName, watchLock } from "./election.js";
import { Holder, MAX_HOLDER_TABS, type MakeEngine, type ResumeFrom } from "./holder.js";
import type { Channel, Locks } from "./platform.js";
import { validSession, WIRE_LIMITS, type SessionInfo } from "./wire.js";
import { isObj, uint, wireText as text, type Obj } from "./wire-streams.js";
import type { MessagePortLike } from "./worker-boot.js";
import { shareableOptions, type SharedOptions } from "./worker-options.js";

/** Most ports one worker keeps (tabs that connected and have not left yet); more are refused. */
export const MAX_WORKER_PORTS = 2 * MAX_HOLDER_TABS;
/** Most keys the ESM build's module worker serves at once; a tab with one more is refused. */
export const MAX_WORKER_KEYS = 64;
/** How long a tab's released lock waits for that tab's `bye` before the tab counts as vanished. */
export const TAB_GONE_GRACE_MS = 250;
/** The UMD worker's name prefix; the rest is the `shareConnection` key. */
export const WORKER_NAME_PREFIX = "webpubsub-client:";
/** The ESM build's module worker's name (one worker for every key). */
export const MODULE_WORKER_NAME = "webpubsub-client";

export interface WorkerScope {
  name?: string;
  onconnect: ((event: { ports: readonly MessagePortLike[] }) => void) | null;
  navigator?: { locks?: Locks };
  WebPubSub?: Record<string, unknown>;
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
}

interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

/** What a client facade hands the shared code: all the worker needs to run an engine. */
export interface EngineParts {
  makeEngine: MakeEngine;
  runtime: Runtime;
  protocol: WebPubSubClientProtocol;
  getClientAccessUrl(signal?: AbortSignalLike): Promise<string>;
}


/** Set while the worker builds its engine through the client facade (see index.ts). */
export let capture: ((parts: EngineParts) => void) | undefined;

/** The `resume` of an `init`, when well formed. */
function resumeOf(x: unknown): ResumeFrom | undefined {
  return isObj(x) && validSession(x.session) && uint(x.lastSeq) ? { session: x.session as SessionInfo, lastSeq: x.lastSeq } : undefined;
}

type Lib = Record<string, unknown> | undefined;

/** One build at a time: `capture` is one slot, and the module worker builds for several keys. */
let building: Promise<unknown> = Promise.resolve();

/** Builds the engine parts with the bundle's own client facade, for `protocolName` and the tab's options. */
function buildParts(lib: Lib, key: string, protocolName: string, options: SharedOptions, ask: (signal?: AbortSignalLike) => Promise<string>): Promise<EngineParts | undefined> {
  const built = building.then(() => buildNow(lib, key, protocolName, options, ask));
  building = built;
  return built;
}

function buildNow(lib: Lib, key: string, protocolName: string, options: SharedOptions, ask: (signal?: AbortSignalLike) => Promise<string>): Promise<EngineParts | undefined> {
  const Client = lib?.WebPubSubClient as (new (c: unknown, o: unknown) => { start(): Promise<void> }) | undefined;
  if (typeof Client !== "function") return Promise.resolve(undefined);
  let protocol: WebPubSubClientProtocol | undefined;
  for (const name of Object.keys(lib!)) {
    const make = lib![name];
    if (!/Protocol$/.test(name) || typeof make !== "function") continue;
    try {
      const p = (make as () => WebPubSubClientProtocol)();
      if (p?.name === protocolName) protocol = p;
    } catch {
      // not a protocol factory
    }
  }
  if (!protocol) return Promise.resolve(undefined);
  let got: EngineParts | undefined;
  capture = (parts) => (got = parts);
  try {
    const credential = { getClientAccessUrl: (o?: { abortSignal?: AbortSignalLike }) => ask(o?.abortSignal) };
    const client = new Client(credential, { ...options, shareConnection: key, protocol });
    return client.start().then(
      () => got,
      () => undefined,
    ).finally(() => (capture = undefined));
  } catch {
    capture = undefined; // options the facade refuses
    return Promise.resolve(undefined);
  }
}

/** The worker side of one key: `adopt` takes a tab's port (and its first message, if read already). */
function keyHost(scope: WorkerScope, lib: Lib, key: string): (port: MessagePortLike, first?: unknown) => void {
  const locks = scope.navigator?.locks;
  const ports = new Set<MessagePortLike>();
  const tabPort = new Map<string, MessagePortLike>();
  const stopped = new Set<string>(); // tabs that said `bye` (stopped their client)
  /** What each port's tab reported delivered (`seen`): the engine acknowledges no more. */
  const seen = new Map<MessagePortLike, number>();
  let parts: Promise<EngineParts | undefined> | undefined;
  let protocolName: string | undefined;
  let holder: Holder | undefined;
  let gate: AckGate | undefined;
  let inbox: ((m: unknown) => void) | undefined;
  /** The session the last holder handed over, for the next one (a reloaded lone tab). */
  let handedOver: ResumeFrom | undefined;
  let holderCounter = 0;
  // The Web Locks path's lock and channel, so that tabs on either path share one connection.
  const BC = typeof scope.BroadcastChannel === "function" && locks ? scope.BroadcastChannel : undefined;
  const bc = BC && new BC(channelName(key));
  let bcPeers = false; // posts go on the channel only once a Web Locks tab was heard there
  if (bc) bc.onmessage = (e) => ((bcPeers = true), inbox?.(e.data));
  let releaseLock: (() => void) | undefined;
  let claiming: Promise<boolean> | undefined;
  /** Takes the holder lock if nobody holds it; false while an elected tab holds the connection. */
  const claim = (): Promise<boolean> => {
    if (!bc || releaseLock) return Promise.resolve(true);
    return (claiming ??= new Promise<boolean>((resolve) => {
      locks!
        .request(holderLockName(key), { ifAvailable: true }, (lock) => {
          if (!lock) return Promise.resolve(resolve(false));
          return new Promise<void>((release) => ((releaseLock = release), resolve(true)));
        })
        .catch(() => resolve(false));
    }).finally(() => (claiming = undefined)));
  };
  const unclaim = (): void => {
    const release = releaseLock;
    releaseLock = undefined;
    release?.();
  };

  const send = (port: MessagePortLike, m: unknown): void => {
    try {
      port.postMessage(m);
    } catch {
      // a closed port
    }
  };

  const creds = new CredRequests(send);
  const ask = (signal?: AbortSignalLike): Promise<string> => creds.ask([...tabPort.values()].pop() ?? [...ports].pop(), signal);

  const channel: Channel = {
    post(m) {
      for (const port of ports) port.postMessage(m); // a clone error surfaces to the holder
      if (bcPeers) bc!.postMessage(m);
    },
    listen: (l) => (inbox = l),
    close: () => (inbox = undefined),
  };

  const allow = (): void => {
    if (seen.size) gate?.allow(Math.min(...seen.values()));
  };

  const forget = (port: MessagePortLike): void => {
    ports.delete(port);
    if (seen.delete(port)) allow();
    creds.forget(port);
  };

  const ensureHolder = async (resume?: ResumeFrom): Promise<void> => {
    if (holder) return;
    const p = await parts;
    if (!p || holder) return;
    const from = resume ?? handedOver;
    handedOver = undefined;
    seen.clear();
    const g = (gate = new AckGate(from?.lastSeq));
    const h: Holder = (holder = new Holder({
      id: `worker-${++holderCounter}`,
      channel,
      ...p,
      runtime: { ...p.runtime, transport: g.wrap(p.runtime.transport) },
      // A tab that stops says `bye` and then releases its lock; the two travel different
      // ways, so the lock's release waits a moment for the goodbye (it decides end vs handover).
      watchTab: locks ? (tab, gone) => watchLock(locks, tabLockName(key, tab), () => p.runtime.timers.setTimeout(gone, TAB_GONE_GRACE_MS)) : undefined,
      onEnded: () => {
        if (holder !== h) return;
        holder = inbox = undefined;
        unclaim();
        // Its tabs stop (they were told `ended`); a tab that starts again says hello anew.
        tabPort.clear();
        stopped.clear();
      },
      onTabLeft: (tab, remaining) => {
        const port = tabPort.get(tab);
        tabPort.delete(tab);
        if (port && ![...tabPort.values()].includes(port)) forget(port);
        if (remaining > 0 || holder !== h) return;
        holder = inbox = undefined;
        if (stopped.has(tab)) void h.end().finally(unclaim);
        else {
          const session = h.session;
          h.handover();
          handedOver = session ? { session, lastSeq: g.allowed } : undefined;
          unclaim(); // a tab waiting on the Web Locks path takes the session over
        }
        stopped.clear();
      },
    }));
    void h.start(from);
  };

  /** Turns a tab away (it takes the Web Locks path) and forgets its port. */
  const refuse = (port: MessagePortLike, why?: "busy"): void => {
    send(port, why ? { t: "refuse", why } : { t: "refuse" });
    forget(port);
  };

  const onInit = (port: MessagePortLike, m: Obj): void => {
    if (!text(m.protocol)) return;
    if (m.key !== undefined && m.key !== key) return refuse(port);
    if (protocolName !== undefined && protocolName !== m.protocol) return refuse(port);
    const wanted = (protocolName = m.protocol);
    // The first tab's options build the engine; a later tab joins that connection as it is.
    const mine = (parts ??= buildParts(lib, key, wanted, shareableOptions(m.options), ask));
    void mine.then((p) => {
      if (!p && parts === mine) parts = protocolName = undefined; // a protocol this bundle lacks: the next tab may ask for another
      if (!p) return refuse(port);
      return claim().then((free) => {
        if (!free) return refuse(port, "busy");
        send(port, { t: "ready" });
        return ensureHolder(resumeOf(m.resume));
      });
    });
  };

  const onMessage = (port: MessagePortLike, raw: unknown): void => {
    if (!isObj(raw)) return;
    try {
      switch (raw.t) {
        case "init":
          return onInit(port, raw);
        case "seen":
          if (!uint(raw.seq) || !ports.has(port)) return;
          seen.set(port, raw.seq);
          return allow();
        case "credOk":
        case "credFail": {
          if (!uint(raw.id)) return;
          const url = raw.t === "credOk" && text(raw.url) ? raw.url : undefined;
          creds.answer(port, raw.id, url, typeof raw.message === "string" ? raw.message.slice(0, WIRE_LIMITS.maxText) : "The tab could not get a client access URL.");
          return;
        }
        case "away":
          // The page is hidden for good (or for the back/forward cache): it left.
          if (text(raw.from) && tabPort.get(raw.from) === port) inbox?.({ t: "bye", from: raw.from });
          return;
        default:
          if (!text(raw.from)) return;
          if (!ports.has(port)) {
            // a tab the holder had given up (its lock looked free) speaks again: it is back
            if (ports.size >= MAX_WORKER_PORTS) return;
            ports.add(port);
          }
          if (raw.t !== "bye" && !tabPort.has(raw.from) && tabPort.size < MAX_HOLDER_TABS) tabPort.set(raw.from, port);
          if (tabPort.get(raw.from) !== port) return; // another port speaking for that tab: not trusted
          if (raw.t === "bye") stopped.add(raw.from);
          // (no lock is taken for a port that never had an engine built: it would be held with no holder)
          if (!holder && raw.t === "hello") void parts?.then((p) => (p ? claim() : false)).then((mine) => (mine ? ensureHolder() : undefined)).then(() => inbox?.(raw));
          else inbox?.(raw);
      }
    } catch {
      // a hostile message: ignored
    }
  };

  return (port, first) => {
    if (ports.size >= MAX_WORKER_PORTS) return port.close();
    ports.add(port);
    port.onmessage = (e) => onMessage(port, e.data);
    port.start?.();
    if (first !== undefined) onMessage(port, first);
  };
}

/** The UMD file run as a SharedWorker named `webpubsub-client:<key>`: serves that key. */
export function hostWorker(scope: WorkerScope): void {
  const name = typeof scope.name === "string" ? scope.name : "";
  if (!name.startsWith(WORKER_NAME_PREFIX) || name.length === WORKER_NAME_PREFIX.length) return;
  const adopt = keyHost(scope, scope.WebPubSub, name.slice(WORKER_NAME_PREFIX.length));
  scope.onconnect = (event) => {
    const port = event.ports?.[0];
    if (port) adopt(port);
  };
}

/** The ESM build's module worker (`webpubsub-client`): each port's `init` names its key. */
export function hostModuleWorker(scope: WorkerScope, lib: Lib): void {
  if (scope.name !== MODULE_WORKER_NAME) return;
  const hosts = new Map<string, ReturnType<typeof keyHost>>();
  scope.onconnect = (event) => {
    const port = event.ports?.[0];
    if (!port) return;
    port.onmessage = (e) => {
      const m = e.data as Obj | null;
      if (!isObj(m) || m.t !== "init" || !text(m.key)) return; // nothing else before a key
      let adopt = hosts.get(m.key);
      if (!adopt) {
        if (hosts.size >= MAX_WORKER_KEYS) return port.postMessage({ t: "refuse" });
        hosts.set(m.key, (adopt = keyHost(scope, lib, m.key)));
      }
      adopt(port, m);
    };
    port.start?.();
  };
}

/** The placeholder the facade in the worker gets: its engine is the worker's `Holder`. */
export function capturedEngine(): Pick<Engine, "start" | "stop"> & { state: string } {
  return { state: "stopped", start: () => Promise.resolve(), stop: () => Promise.resolve() };
}

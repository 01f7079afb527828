// Fakes for the SharedWorker path in Node: a worker "origin" (one worker scope that every
// `new SharedWorker` connects to over a real MessageChannel) and tabs whose link can hold
// what the worker sends them (a message still on its way when the page goes).
import { MessageChannel, type MessagePort } from "node:worker_threads";
import type { Runtime } from "../../src/core/runtime.js";
import { SHARED_DEPS } from "../../src/client.js";
import * as lib from "../../src/index.js";
import { provide } from "../../src/shared/deps.js";
import type { Locks, SharePlatform } from "../../src/shared/platform.js";
import { SharedTabEngine } from "../../src/shared/tab-client.js";
import type { MessagePortLike, SharedWorkerLike } from "../../src/shared/worker-boot.js";
import { hostModuleWorker, MODULE_WORKER_NAME, type WorkerScope } from "../../src/shared/worker-host.js";
import { connectWorker } from "../../src/shared/worker-link.js";
import type { SharedOptions } from "../../src/shared/worker-options.js";
import { FakeSessionStorage } from "./fake-locks.js";

export const open: MessagePort[] = [];

/** A tab's end of its port, which can hold what arrives until `release`d. */
export class HeldPort implements MessagePortLike {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  readonly queue: unknown[] = [];
  #held = false;
  #closed = false;
  #waiters: { test(q: unknown[]): boolean; resolve(): void }[] = [];
  constructor(readonly inner: MessagePort) {
    inner.on("message", (data: unknown) => {
      if (this.#closed) return;
      if (!this.#held) return this.onmessage?.({ data });
      this.queue.push(data);
      this.#waiters = this.#waiters.filter((w) => !(w.test(this.queue) && (w.resolve(), true)));
    });
  }
  postMessage(m: unknown): void {
    if (!this.#closed) this.inner.postMessage(m);
  }
  start(): void {}
  close(): void {
    this.#closed = true;
    this.inner.close();
  }
  hold(): void {
    this.#held = true;
  }
  /** Resolves once the held queue passes `test`. */
  until(test: (q: unknown[]) => boolean): Promise<void> {
    return test(this.queue) ? Promise.resolve() : new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }
  /** Delivers held messages, in order, while `more` says so. */
  release(more: (m: unknown) => boolean): void {
    while (this.queue.length && more(this.queue[0])) this.onmessage?.({ data: this.queue.shift() });
  }
}

/** One module worker (`webpubsub-client`) scope; `ctor` is the page's `SharedWorker`. */
export function moduleOrigin(locks: Locks, withChannel = false): { ports: HeldPort[]; start(): SharedWorkerLike } {
  const scope: WorkerScope = { name: MODULE_WORKER_NAME, onconnect: null, navigator: { locks } };
  if (withChannel) scope.BroadcastChannel = BroadcastChannel as unknown as WorkerScope["BroadcastChannel"]; // Node's
  hostModuleWorker(scope, lib as unknown as Record<string, unknown>);
  const ports: HeldPort[] = [];
  return {
    ports,
    start() {
      const { port1, port2 } = new MessageChannel();
      open.push(port1, port2);
      const port = new HeldPort(port1);
      ports.push(port);
      queueMicrotask(() => scope.onconnect?.({ ports: [port2 as unknown as MessagePortLike] }));
      return { port, onerror: null };
    },
  };
}

export interface FakeTab {
  engine: SharedTabEngine;
  /** Fires the page's `pagehide`. */
  pageHide(): void;
}

export function workerTab(o: {
  key: string;
  start(): SharedWorkerLike;
  locks: Locks;
  runtime: Runtime;
  getClientAccessUrl(): Promise<string>;
  storage?: FakeSessionStorage;
  options?: SharedOptions;
  /** The tab may fall back to the Web Locks path (Node's BroadcastChannel); else that is an error. */
  mayFallBack?: boolean;
}): FakeTab {
  const hidden: (() => void)[] = [];
  const platform: SharePlatform = {
    channel(name) {
      if (!o.mayFallBack) throw new Error("the worker path must not open a BroadcastChannel");
      const bc = new BroadcastChannel(name);
      return {
        post: (m) => bc.postMessage(m),
        listen: (l) => void (bc.onmessage = (e) => l((e as MessageEvent).data)),
        close: () => bc.close(),
      };
    },
    locks: o.locks,
    storage: o.storage ?? new FakeSessionStorage(),
    onPageHide: (l) => (hidden.push(l), () => {}),
    onPageShow: () => () => {},
  };
  const protocol = lib.WebPubSubJsonReliableProtocol();
  provide(SHARED_DEPS); // what sharedEngine() does before it makes a SharedTabEngine
  const engine = new SharedTabEngine({
    key: o.key,
    platform,
    runtime: o.runtime,
    protocol,
    getClientAccessUrl: o.getClientAccessUrl,
    makeEngine: () => {
      throw new Error("a tab on the worker path runs no engine of its own");
    },
    worker: (resume) =>
      connectWorker({ start: o.start, key: o.key, protocolName: protocol.name, options: o.options, resume, runtime: o.runtime, getClientAccessUrl: o.getClientAccessUrl }),
  });
  return { engine, pageHide: () => hidden.forEach((l) => l()) };
}


// The only place that reads the host's globals: WebSocket, timers, clock, and the
// browser's online/offline events. Everything here is injected into the core.
import type { Logger, NetworkMonitor, Runtime } from "../core/runtime.js";
import { defaultWebSocket } from "../transport/default-websocket.js";
import { WebSocketTransport } from "../transport/websocket-transport.js";
import type { WebPubSubLogger, WebSocketLikeConstructor } from "../types/options.js";
import { redactUrl } from "../utils/redact.js";

interface Target {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}
interface EventTargetGlobal extends Target {
  navigator?: { onLine?: unknown };
  document?: Target & { visibilityState?: string };
}

/**
 * The browser's `online` / `offline` events, and the signals that a page is active again
 * (`visibilitychange` to visible, `pageshow`, `resume`), where the host has them.
 */
export function browserNetworkMonitor(): NetworkMonitor | undefined {
  const g = globalThis as unknown as Partial<EventTargetGlobal>;
  if (typeof g.addEventListener !== "function" || typeof g.navigator?.onLine !== "boolean") return undefined;
  const target = g as EventTargetGlobal;
  const doc = target.document;
  const isOnline = (): boolean => target.navigator?.onLine !== false;
  return {
    isOnline,
    subscribe(listener) {
      const on = (): void => listener(true);
      const off = (): void => listener(false);
      const wake = (): void => void (doc?.visibilityState !== "hidden" && listener(isOnline()));
      const all: Array<[Target | undefined, string, () => void]> = [
        [target, "online", on],
        [target, "offline", off],
        [target, "pageshow", wake],
        [doc, "visibilitychange", wake],
        [doc, "resume", wake],
      ];
      for (const [t, type, fn] of all) t?.addEventListener(type, fn);
      return () => {
        for (const [t, type, fn] of all) t?.removeEventListener(type, fn);
      };
    },
  };
}

/** A logger that never throws and never sees a token. */
export function safeLogger(sink: WebPubSubLogger | undefined): Logger {
  const level =
    (name: keyof WebPubSubLogger) =>
    (message: string): void => {
      const fn = sink?.[name];
      if (typeof fn !== "function") return;
      try {
        fn.call(sink, `[webpubsub-client] ${redactUrl(message)}`);
      } catch {
        // a broken logger must not break the client
      }
    };
  return { debug: level("debug"), info: level("info"), warn: level("warn"), error: level("error") };
}

const timers: Runtime["timers"] = {
  // Hosts fire a timer set beyond 2^31-1 ms at once: such delays mean "practically never".
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
const perf = (globalThis as { performance?: { now(): number } }).performance;
const clock: Runtime["clock"] = { now: perf ? () => perf.now() : Date.now, wall: Date.now };
const AC = (globalThis as { AbortController?: new () => { signal: AbortSignal; abort(): void } }).AbortController;
const silent = safeLogger(undefined);

function transportFor(WebSocketCtor: WebSocketLikeConstructor | undefined): Runtime["transport"] {
  return (url, subprotocol, handlers) => {
    const Ctor = WebSocketCtor ?? defaultWebSocket();
    if (!Ctor) throw new Error("No WebSocket here: pass the `WebSocket` option");
    return new WebSocketTransport(Ctor, url, subprotocol, handlers);
  };
}

let shared: Runtime | undefined;

/** The host's runtime; clients without a `WebSocket` or `logger` option share one. */
export function defaultRuntime(WebSocketCtor: WebSocketLikeConstructor | undefined, logger: WebPubSubLogger | undefined): Runtime {
  if (!WebSocketCtor && !logger && shared) return shared;
  const rt: Runtime = {
    transport: transportFor(WebSocketCtor),
    timers,
    clock,
    random: Math.random,
    network: browserNetworkMonitor(),
    logger: logger ? safeLogger(logger) : silent,
    abortController: AC && (() => new AC()),
  };
  if (!WebSocketCtor && !logger) shared = rt;
  return rt;
}

// The only place that reads the host's globals: WebSocket, timers, clock, and the
// browser's online/offline events. Everything here is injected into the core.
import type { Logger, NetworkMonitor, Runtime } from "../core/runtime.js";
import { defaultWebSocket } from "../transport/default-websocket.js";
import { WebSocketTransport } from "../transport/websocket-transport.js";
import type { WebPubSubLogger, WebSocketLikeConstructor } from "../types/options.js";
import { redactUrl } from "../utils/redact.js";

interface EventTargetGlobal {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  navigator?: { onLine?: unknown };
}

/** The browser's `online` / `offline` events, where the host has them. */
export function browserNetworkMonitor(): NetworkMonitor | undefined {
  const g = globalThis as unknown as Partial<EventTargetGlobal>;
  if (typeof g.addEventListener !== "function" || typeof g.navigator?.onLine !== "boolean") return undefined;
  const target = g as EventTargetGlobal;
  return {
    isOnline: () => target.navigator?.onLine !== false,
    subscribe(listener) {
      const on = (): void => listener(true);
      const off = (): void => listener(false);
      target.addEventListener("online", on);
      target.addEventListener("offline", off);
      return () => {
        target.removeEventListener("online", on);
        target.removeEventListener("offline", off);
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
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
const clock: Runtime["clock"] = { now: () => Date.now() };
const silent = safeLogger(undefined);

function transportFor(WebSocketCtor: WebSocketLikeConstructor | undefined): Runtime["transport"] {
  return (url, subprotocol, handlers) => {
    const Ctor = WebSocketCtor ?? defaultWebSocket();
    if (!Ctor) throw new Error("this runtime has no WebSocket; pass one as the `WebSocket` option");
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
  };
  if (!WebSocketCtor && !logger) shared = rt;
  return rt;
}

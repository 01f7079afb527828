// What the core needs from its host, injected so the core touches no global and its
// tests run on fake transports and fake time.
import type { Transport, TransportFactory } from "../transport/transport.js";

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Clock {
  /** Wall-clock milliseconds. Keep-alive compares these, so sleep and throttling show. */
  now(): number;
}

/** Reports `online` / `offline` changes (browsers); absent where there is no such signal. */
export interface NetworkMonitor {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface Runtime {
  transport: TransportFactory;
  timers: Timers;
  clock: Clock;
  random: () => number;
  network?: NetworkMonitor;
  logger: Logger;
}

export type { Transport, TransportFactory };

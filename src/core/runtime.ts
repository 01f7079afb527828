// What the core needs from its host, injected so the core touches no global and its
// tests run on fake transports and fake time.
import type { Transport, TransportFactory } from "../transport/transport.js";
import type { AbortSignalLike } from "../types/options.js";

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Clock {
  /** Monotonic milliseconds (`performance.now()`): every interval, deadline and window. */
  now(): number;
  /** Wall-clock milliseconds (`Date.now()`): only to notice that the machine slept. */
  wall(): number;
}

/**
 * Reports `online` / `offline` changes (browsers), and calls the listener with the current
 * `isOnline()` when the page becomes active again (`visibilitychange` to visible,
 * `pageshow`, `resume`): each such call makes the client probe its link or retry at once.
 * Absent where there is no such signal.
 */
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
  /** Makes the signal the credential gets (so a hung request is cancelled); optional. */
  abortController?: () => { signal: AbortSignalLike; abort(): void };
}

export type { Transport, TransportFactory };

// Who holds the shared connection: the tab that holds the Web Lock named after the key.
// Every other tab waits in the lock's queue, so when the holder goes away (closed, crashed,
// stopped) the next one in line is granted the lock and takes over. Each tab also holds a
// lock of its own while it lives, so the holder notices a tab that vanished without a word.
import type { LockOptions, Locks } from "./platform.js";

export const holderLockName = (key: string): string => `webpubsub-client:share:${key}`;
export const tabLockName = (key: string, tab: string): string => `webpubsub-client:tab:${key}:${tab}`;
/** The BroadcastChannel the holder and the tabs of `key` talk on (the SharedWorker's holder too). */
export const channelName = (key: string): string => `webpubsub-client:channel:${key}`;

/** Request options that let a request still waiting be withdrawn, and the withdrawal (the real API takes only a real AbortSignal). */
function withdrawable(): [options: LockOptions, withdraw: () => void] {
  const controller = typeof AbortController === "function" ? new AbortController() : undefined;
  return [controller ? { signal: controller.signal } : {}, () => controller?.abort()];
}

/** A lock held until `release()`; `granted` resolves once it is held. */
export interface HeldLock {
  readonly granted: Promise<void>;
  release(): void;
}

/** Asks for `name`; calls `onGranted` when it is held (maybe much later, maybe never). */
export function holdLock(locks: Locks, name: string, onGranted?: () => void): HeldLock {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const [options, withdraw] = withdrawable();
  let grant!: () => void;
  const granted = new Promise<void>((resolve) => (grant = resolve));
  locks
    .request(name, options, () => {
      grant();
      try {
        onGranted?.();
      } catch {
        // the holder reports its own failures
      }
      return released;
    })
    .catch(() => {}); // aborted while waiting
  return {
    granted,
    release() {
      withdraw();
      release();
    },
  };
}

/**
 * Calls `gone` once nobody holds `name` any more (the tab that held it went away). The
 * returned function withdraws the request (the watcher itself stopped caring).
 */
export function watchLock(locks: Locks, name: string, gone: () => void): () => void {
  const [options, withdraw] = withdrawable();
  locks
    .request(name, options, () => {
      gone();
      return Promise.resolve();
    })
    .catch(() => {});
  return withdraw;
}

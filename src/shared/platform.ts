// The only file of the shared-connection feature that reads the host's globals:
// BroadcastChannel, the Web Locks API, sessionStorage and the page's `pagehide`. Everything
// else gets them through `SharePlatform`, so it runs on fakes in unit tests.

/** One endpoint on a named channel: it hears every other endpoint's posts, never its own. */
export interface Channel {
  post(message: unknown): void;
  listen(listener: (message: unknown) => void): void;
  close(): void;
}

export interface LockOptions {
  signal?: { aborted: boolean; addEventListener(t: "abort", l: () => void): void };
  ifAvailable?: boolean;
}

/** `navigator.locks`: the callback holds the lock until its promise settles (null: not available). */
export interface Locks {
  request(name: string, options: LockOptions, callback: (lock: unknown) => Promise<void>): Promise<void>;
}

/** `sessionStorage`-shaped; every call may throw (storage disabled, quota). */
export interface SessionStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SharePlatform {
  channel(name: string): Channel;
  /** Absent where the host has no Web Locks: the connection is then not shared. */
  locks?: Locks;
  storage?: SessionStore;
  /** Calls `listener` when the page is hidden for good or for the back/forward cache. */
  onPageHide(listener: () => void): () => void;
  onPageShow(listener: () => void): () => void;
}

/**
 * Without BroadcastChannel or Web Locks nothing is shared: every client holds its own
 * connection, and its channel reaches nobody (its own holder is wired to it directly).
 */
const unconnected: Channel = { post() {}, listen() {}, close() {} };

interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

type G = {
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  navigator?: { locks?: Locks };
  sessionStorage?: SessionStore;
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
};

function pageEvent(g: G, type: string): (listener: () => void) => () => void {
  return (listener) => {
    if (typeof g.addEventListener !== "function") return () => {};
    g.addEventListener(type, listener);
    return () => g.removeEventListener?.(type, listener);
  };
}

/** The host's platform: real BroadcastChannel, locks and sessionStorage where they exist. */
export function browserPlatform(): SharePlatform {
  const g = globalThis as unknown as G;
  const BC = g.BroadcastChannel;
  let locks: Locks | undefined;
  let storage: SessionStore | undefined;
  try {
    locks = g.navigator?.locks && typeof g.navigator.locks.request === "function" ? g.navigator.locks : undefined;
    storage = g.sessionStorage ?? undefined; // reading it throws where storage is blocked
  } catch {
    // leave them undefined
  }
  return {
    channel(name) {
      if (typeof BC !== "function" || !locks) return unconnected;
      const bc = new BC(name);
      return {
        post: (message) => bc.postMessage(message),
        listen(listener) {
          bc.onmessage = (event) => listener(event.data);
        },
        close: () => bc.close(),
      };
    },
    locks: typeof BC === "function" ? locks : undefined,
    storage,
    onPageHide: pageEvent(g, "pagehide"),
    onPageShow: pageEvent(g, "pageshow"),
  };
}

// Where the SharedWorker path starts (the only place besides platform.ts that reads the
// host's globals for it). The UMD file is its own worker script: when it runs in a page it
// remembers its URL (`document.currentScript`), so a tab can start a SharedWorker from the
// very file the app already hosts; when it runs inside a SharedWorkerGlobalScope it becomes
// the worker that holds the shared connection. The ESM chunk is loaded by `import()`, when
// there is no current script: it takes the Web Locks path.
import type { Locks } from "./platform.js";
import { hostWorker, type WorkerScope } from "./worker-host.js";

type G = {
  document?: { currentScript?: { src?: unknown } | null };
  SharedWorkerGlobalScope?: abstract new () => unknown;
  SharedWorker?: new (url: string, options: { name: string }) => SharedWorkerLike;
  navigator?: { locks?: Locks };
  name?: string;
  WebPubSub?: Record<string, unknown>;
};

export interface SharedWorkerLike {
  port: MessagePortLike;
  onerror: ((event: unknown) => void) | null;
}

export interface MessagePortLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  start?(): void;
  close(): void;
}

function boot(): string | undefined {
  const g = globalThis as unknown as G;
  try {
    if (typeof g.SharedWorkerGlobalScope === "function" && globalThis instanceof g.SharedWorkerGlobalScope) {
      hostWorker(g as unknown as WorkerScope);
      return undefined;
    }
    const src = g.document?.currentScript?.src;
    return typeof src === "string" && src !== "" ? src : undefined;
  } catch {
    return undefined;
  }
}

/** The URL of the script this code was loaded from as a classic `<script>`, if any. */
export const bundleUrl: string | undefined = boot();

/** The page's SharedWorker constructor, or undefined where there is none. */
export function sharedWorkerCtor(): G["SharedWorker"] {
  const g = globalThis as unknown as G;
  return typeof g.SharedWorker === "function" ? g.SharedWorker : undefined;
}

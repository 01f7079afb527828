// Where the UMD file's SharedWorker path starts (with worker-start*.ts and worker-main.ts,
// the only places besides platform.ts that read the host's globals). The UMD file is its own
// worker script: when it runs in a page it remembers its URL (`document.currentScript`), so a
// tab can start a SharedWorker from the very file the app already hosts (worker-start.ts);
// when it runs inside a SharedWorkerGlobalScope named for a key it becomes the worker that
// holds that key's shared connection. The browser ESM build starts its own module worker
// instead (worker-start.browser.ts).
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

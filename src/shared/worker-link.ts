// A tab's link to the SharedWorker that holds the shared connection: it starts the worker
// from the bundle's own URL (the UMD file the page loaded), waits for it to answer, and
// then offers it as the tab's channel. Anything that goes wrong (no SharedWorker, a CSP
// `worker-src` that forbids it, an `error` event, no answer, a worker that refuses) resolves
// undefined: the tab takes the Web Locks path instead.
import type { Runtime } from "../core/runtime.js";
import type { AbortSignalLike } from "../types/options.js";
import type { ResumeFrom } from "./holder.js";
import type { Channel } from "./platform.js";
import type { MessagePortLike, SharedWorkerLike } from "./worker-boot.js";
import { WORKER_NAME_PREFIX } from "./worker-host.js";

/** How long a tab waits for the worker's first answer before it takes the Web Locks path. */
export const WORKER_READY_TIMEOUT_MS = 5000;

export interface WorkerLinkConfig {
  url: string | undefined;
  ctor: (new (url: string, options: { name: string }) => SharedWorkerLike) | undefined;
  key: string;
  protocolName: string;
  resume?: ResumeFrom;
  runtime: Runtime;
  getClientAccessUrl(signal?: AbortSignalLike): Promise<string>;
}

export function connectWorker(cfg: WorkerLinkConfig): Promise<Channel | undefined> {
  const { logger, timers } = cfg.runtime;
  const fallBack = (why: string): undefined => {
    logger.info(`shareConnection: ${why}; using the Web Locks path`);
    return undefined;
  };
  if (!cfg.url) return Promise.resolve(fallBack("the bundle was not loaded by a <script> tag"));
  if (!cfg.ctor) return Promise.resolve(fallBack("this browser has no SharedWorker"));
  let worker: SharedWorkerLike;
  try {
    worker = new cfg.ctor(cfg.url, { name: WORKER_NAME_PREFIX + cfg.key });
  } catch (error) {
    return Promise.resolve(fallBack(`the SharedWorker could not be started (${String((error as Error)?.message ?? error)})`));
  }
  const port: MessagePortLike = worker.port;
  return new Promise((resolve) => {
    let listener: ((m: unknown) => void) | undefined;
    let settled = false;
    const settle = (channel: Channel | undefined, why?: string): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      worker.onerror = null;
      if (!channel) {
        port.onmessage = null;
        try {
          port.close();
        } catch {
          // already closed
        }
      }
      resolve(channel ?? fallBack(why ?? "the SharedWorker failed"));
    };
    const timer = timers.setTimeout(() => settle(undefined, "the SharedWorker did not answer"), WORKER_READY_TIMEOUT_MS);
    worker.onerror = () => settle(undefined, "the SharedWorker could not be loaded");
    const channel: Channel = {
      post: (m) => port.postMessage(m),
      listen: (l) => (listener = l),
      close() {
        listener = undefined;
        // Later, so the goodbye posted just before still reaches the worker.
        timers.setTimeout(() => {
          port.onmessage = null;
          port.close();
        }, 0);
      },
    };
    const credential = (id: unknown): void => {
      cfg.getClientAccessUrl().then(
        (url) => port.postMessage({ t: "credOk", id, url }),
        (error: unknown) => port.postMessage({ t: "credFail", id, message: String((error as Error)?.message ?? error) }),
      );
    };
    port.onmessage = (event) => {
      const m = event.data as { t?: unknown; id?: unknown } | null;
      if (!settled) {
        if (m?.t === "ready") settle(channel);
        else if (m?.t === "refuse") settle(undefined, "the SharedWorker cannot serve this client's protocol");
        return;
      }
      if (m?.t === "cred") return credential(m.id);
      listener?.(event.data);
    };
    port.start?.();
    try {
      port.postMessage({ t: "init", protocol: cfg.protocolName, resume: cfg.resume });
    } catch {
      settle(undefined, "the SharedWorker could not be reached");
    }
  });
}

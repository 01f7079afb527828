// A tab's link to the SharedWorker that holds the shared connection: it starts the worker
// (worker-start.ts: the UMD file the page loaded; worker-start.browser.ts: the ESM build's
// module worker), says which key, protocol and options it wants, waits for it to answer,
// and then offers it as the tab's channel. Anything that goes wrong (no SharedWorker, a CSP
// `worker-src` that forbids it, an `error` event, no answer, a worker that refuses) resolves
// undefined: the tab takes the Web Locks path instead. It also tells the worker what this
// tab has delivered (`seen`), so the worker's engine acknowledges nothing the tab has not.
import type { Runtime } from "../core/runtime.js";
import type { AbortSignalLike } from "../types/options.js";
import type { ResumeFrom } from "./holder.js";
import type { Channel } from "./platform.js";
import type { MessagePortLike, SharedWorkerLike } from "./worker-boot.js";
import type { SharedOptions } from "./worker-options.js";

/** How long a tab waits for the worker's first answer before it takes the Web Locks path. */
export const WORKER_READY_TIMEOUT_MS = 5000;
/** A tab reports what it delivered at once when this many ids ahead of its last report... */
export const SEEN_EVERY = 100;
/** ...else this long after the first delivery it has not reported. */
export const SEEN_DELAY_MS = 50;

export interface WorkerLinkConfig {
  /** Starts the worker (may throw, e.g. a CSP); a string says why there is none. */
  start(): SharedWorkerLike | string;
  key: string;
  protocolName: string;
  /** The shareable options of this tab's client: the worker's engine uses the first tab's. */
  options?: SharedOptions;
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
  let worker: SharedWorkerLike;
  try {
    const started = cfg.start();
    if (typeof started === "string") return Promise.resolve(fallBack(started));
    worker = started;
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
        if (reportTimer !== undefined) timers.clearTimeout(reportTimer);
        // Later, so the goodbye posted just before still reaches the worker.
        timers.setTimeout(() => {
          port.onmessage = null;
          port.close();
        }, 0);
      },
    };
    // What this tab delivered: the relays are delivered synchronously by the listener.
    let delivered = cfg.resume?.lastSeq ?? 0;
    let reported = delivered;
    let reportTimer: unknown;
    const report = (): void => {
      if (reportTimer !== undefined) timers.clearTimeout(reportTimer);
      reportTimer = undefined;
      reported = delivered;
      try {
        port.postMessage({ t: "seen", seq: delivered });
      } catch {
        // closed
      }
    };
    const track = (raw: unknown): void => {
      const m = raw as { t?: unknown; name?: unknown; m?: { sequenceId?: unknown } };
      if (m?.t === "event" && m.name === "disconnected") {
        delivered = 0; // a new connection numbers from 1 again
        return report();
      }
      const seq = m?.t === "data" ? m.m?.sequenceId : undefined;
      if (typeof seq !== "number" || seq <= delivered) return;
      delivered = seq;
      if (delivered - reported >= SEEN_EVERY) report();
      else reportTimer ??= timers.setTimeout(report, SEEN_DELAY_MS);
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
        if (m?.t === "ready") logger.info("shareConnection: a SharedWorker holds the connection"), settle(channel);
        else if (m?.t === "refuse") settle(undefined, (m as { why?: unknown }).why === "busy" ? "a tab holds the connection" : "the SharedWorker cannot serve this client's protocol");
        return;
      }
      if (m?.t === "cred") return credential(m.id);
      if (!listener) return;
      listener(event.data);
      track(event.data);
    };
    port.start?.();
    try {
      port.postMessage({ t: "init", key: cfg.key, protocol: cfg.protocolName, options: cfg.options ?? {}, resume: cfg.resume });
    } catch {
      settle(undefined, "the SharedWorker could not be reached");
    }
  });
}

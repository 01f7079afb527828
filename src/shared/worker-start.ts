// How a tab starts the SharedWorker that holds a shared connection where the worker script
// is the bundle itself: the UMD file, loaded by a classic `<script>` (worker-boot.ts keeps
// its URL). In Node there is no SharedWorker, so this answers why not. The browser ESM and
// CommonJS builds use worker-start.browser.ts instead (rollup.config.mjs swaps it in).
import { bundleUrl, sharedWorkerCtor, type SharedWorkerLike } from "./worker-boot.js";
import { WORKER_NAME_PREFIX } from "./worker-host.js";

/** A started worker, or why there is none (the tab then takes the Web Locks path). May throw (CSP). */
export function startWorker(key: string): SharedWorkerLike | string {
  const ctor = sharedWorkerCtor();
  if (!ctor) return "this host has no SharedWorker";
  if (!bundleUrl) return "the bundle was not loaded by a <script> tag";
  return new ctor(bundleUrl, { name: WORKER_NAME_PREFIX + key });
}

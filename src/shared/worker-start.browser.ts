// How a tab of an app built from the browser ESM build starts the SharedWorker: from the
// module worker script rollup emits beside this chunk (dist/browser/chunks/shared-worker.mjs).
// The call is written the one way bundlers recognise (Vite, webpack 5: `new SharedWorker(new
// URL("<literal>", import.meta.url), { <literal options> })`), so they emit and rewrite the
// worker file themselves; a native ESM page resolves it next to the chunk. Its options must
// stay literal (Vite evaluates them), so one worker serves every key; the key travels in the
// link's `init`. The CommonJS build has no `import.meta` (rollup renders it `undefined`):
// there, and without SharedWorker, this answers why not and the tab takes the Web Locks path.
import type { SharedWorkerLike } from "./worker-boot.js";

export function startWorker(_key: string): SharedWorkerLike | string {
  if (typeof SharedWorker !== "function") return "this browser has no SharedWorker";
  if (!import.meta.url) return "this build (CommonJS) cannot locate its worker script";
  // MODULE_WORKER_NAME (worker-host.ts), spelled out: bundlers need a literal here.
  return new SharedWorker(new URL("./shared-worker.mjs", import.meta.url), { type: "module", name: "webpubsub-client" }) as unknown as SharedWorkerLike;
}

// The module SharedWorker script of the browser ESM build, emitted self-contained as
// dist/browser/chunks/shared-worker.mjs: its own copy of the client (engine, JSON protocols)
// and the host of every key's shared connection (worker-host.ts).
import * as lib from "../index.js";
import { hostModuleWorker, type WorkerScope } from "./worker-host.js";

hostModuleWorker(globalThis as unknown as WorkerScope, lib as unknown as Record<string, unknown>);

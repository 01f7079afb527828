/**
 * Runs one local service in a child process so that its memory is measured alone (the
 * attackers and the good client live in the parent). The service module is given by path, so
 * the same harness runs against any version of `emulator/` (bundled with esbuild).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The child's source: plain JavaScript, written next to the service bundle. */
const CHILD_SOURCE = `
const { startEmulator } = await import(process.env.HN_EMULATOR);
const options = JSON.parse(process.env.HN_OPTIONS || "{}");
const emu = await startEmulator({ port: 0, host: "127.0.0.1", ...options, logger: (line) => { if (process.env.HN_LOG) process.stderr.write(line.slice(0, 300) + "\\n"); } });
process.send({ op: "ready", endpoint: emu.endpoint, connectionString: emu.connectionString });
process.on("message", (m) => {
  void (async () => {
    if (m.op === "url") process.send({ id: m.id, result: await emu.getClientAccessUrl(m.hub, m.opts || {}) });
    else if (m.op === "drained") {
      // the connection count once it reaches 0 (each end emits "disconnect"), or when m.timeoutMs pass
      const left = () => emu.connections().length;
      if (left() === 0) return process.send({ id: m.id, result: 0 });
      const done = () => { emu.events.off("disconnect", onEnd); clearTimeout(timer); process.send({ id: m.id, result: left() }); };
      const onEnd = () => { if (left() === 0) done(); };
      const timer = setTimeout(done, m.timeoutMs);
      emu.events.on("disconnect", onEnd);
    }
    else if (m.op === "close") { await emu.close(); process.send({ id: m.id, result: true }, () => process.exit(0)); }
  })();
});
process.on("disconnect", () => process.exit(0));
`;

/** Bundles a TypeScript entry (a service's `emulator/index.ts`, the attacker child) into one ESM file under `outDir`; returns its path. */
export async function bundleService(entry: string, outDir: string, name: string): Promise<string> {
  const { build } = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "esm", target: "node18", packages: "external", logLevel: "warning" });
  return outfile; // per run: remove it with `rmSync` when done
}

export interface ServiceChildOptions {
  /** Path of the bundled service module (exports `startEmulator`). */
  module: string;
  /** Passed to `startEmulator` (JSON). */
  options?: Record<string, unknown>;
  /** `--max-old-space-size` for the child, in MB. */
  maxOldSpaceMb?: number;
}

/** Resident memory of a process from /proc: now and its peak (high-water mark), in bytes. */
function procMemory(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

export class ServiceChild {
  private nextId = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stderr = "";
  endpoint = "";
  accessKey = "";

  private constructor(readonly child: ChildProcess) {
    child.on("message", (m: { id?: number; result?: unknown }) => {
      if (m.id === undefined) return;
      this.pending.get(m.id)?.(m.result);
      this.pending.delete(m.id);
    });
    child.stderr?.on("data", (d: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += d.toString();
    });
    child.on("exit", (code, signal) => {
      this.exited = { code, signal };
      for (const resolve of this.pending.values()) resolve(undefined);
      this.pending.clear();
    });
  }

  static async start(o: ServiceChildOptions): Promise<ServiceChild> {
    const script = join(dirname(o.module), `hostile-service-child-${process.pid}.mjs`);
    writeFileSync(script, CHILD_SOURCE);
    const child = fork(script, [], {
      execArgv: o.maxOldSpaceMb ? [`--max-old-space-size=${o.maxOldSpaceMb}`] : [],
      env: { ...process.env, HN_EMULATOR: o.module, HN_OPTIONS: JSON.stringify(o.options ?? {}) },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const svc = new ServiceChild(child);
    child.once("exit", () => rmSync(script, { force: true }));
    const ready = await new Promise<{ endpoint: string; connectionString: string }>((resolve, reject) => {
      child.once("message", (m: { op?: string; endpoint: string; connectionString: string }) => (m.op === "ready" ? resolve(m) : reject(new Error("unexpected first message"))));
      child.once("exit", (code) => reject(new Error(`the service process exited (${code}): ${svc.stderr}`)));
    });
    svc.endpoint = ready.endpoint;
    svc.accessKey = /AccessKey=([^;]+)/.exec(ready.connectionString)?.[1] ?? "";
    return svc;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** RSS now and its peak since the process started, in bytes (Linux /proc). */
  memory(): { rss: number; peak: number } {
    return procMemory(this.child.pid!) ?? { rss: 0, peak: 0 };
  }

  /** Asks the child; undefined when it does not answer within `timeoutMs` (frozen) or has exited. */
  call<T>(op: string, extra: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T | undefined> {
    if (!this.alive) return Promise.resolve(undefined);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r as T);
      });
      this.child.send({ id, op, ...extra });
    });
  }

  /** Service connections left once they are all gone or `timeoutMs` passed (awaits their "disconnect" events); undefined when the child does not answer. */
  drained(timeoutMs: number): Promise<number | undefined> {
    return this.call<number>("drained", { timeoutMs }, timeoutMs + 2000);
  }

  async url(hub: string, opts: Record<string, unknown> = {}): Promise<string> {
    const url = await this.call<string>("url", { hub, opts });
    if (!url) throw new Error("the service did not give a client URL");
    return url;
  }

  /** Closes the service; kills it when it does not close within a second (e.g. frozen). */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    void this.call("close", {}, 1000);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 1500);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Load: how many concurrent connections the local service holds, what each costs it in
 * memory, and how long a group send takes to fan out. The service runs alone in a child
 * process (bundled from service-child.ts with esbuild, run with --expose-gc) so its memory
 * is measured without the clients'; the clients are raw `ws` sockets on the reliable
 * subprotocol in this process. Used by test/load/load.test.ts (small) and `npm run load`.
 */
import { fork, type ChildProcess } from "node:child_process";
import { execSync } from "node:child_process";
import { rmSync } from "node:fs";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { bundleTs } from "../../scripts/bundle-ts.mjs";
import { WebSocket } from "ws";

const RELIABLE = "json.reliable.webpubsub.azure.v1";
const HUB = "load";
const GROUP = "fanout";

export interface LoadOptions {
  connections: number;
  /** Group members (the first `fanout` connections). */
  fanout: number;
  rounds?: number;
  /** Handshakes in flight at once. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface LoadReport {
  connections: number;
  connected: number;
  connectMs: number;
  fanout: number;
  rounds: number;
  /** ms from the REST call to the last member receiving it, per round. */
  fanoutMs: number[];
  /** ms for the REST call itself: the service answers 202 once it has written to every member. */
  restMs: number[];
  /** Members that got each round exactly once / non-members that got anything. */
  exactlyOnce: boolean;
  strayDeliveries: number;
  serviceBaseline: Memory;
  serviceLoaded: Memory;
  perConnection: { heapBytes: number; rssBytes: number; externalBytes: number };
  gcExposed: boolean;
  openFileLimit?: number;
}

/** `ulimit -n` of this process (children inherit it), when a shell can tell. */
export function openFileLimit(): number | undefined {
  try {
    const out = execSync("ulimit -n", { shell: "/bin/sh", encoding: "utf8" }).trim();
    return out === "unlimited" ? Infinity : Number(out);
  } catch {
    return undefined;
  }
}

function bundleServiceChild(): Promise<string> {
  return bundleTs("test/load/service-child.ts", "service-child"); // beside node_modules: the child resolves `ws`
}

class ServiceChild {
  private nextId = 0;
  private readonly waiting = new Map<number, (v: unknown) => void>();
  constructor(readonly child: ChildProcess) {
    child.on("message", (m: { id?: number; result?: unknown }) => {
      if (m.id !== undefined) {
        this.waiting.get(m.id)?.(m.result);
        this.waiting.delete(m.id);
      }
    });
  }
  call<T>(req: Record<string, unknown>): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the service process exited (${code})`));
      this.child.once("exit", onExit);
      this.waiting.set(id, (v) => {
        this.child.off("exit", onExit);
        resolve(v as T);
      });
      this.child.send({ id, ...req });
    });
  }
}

interface Conn {
  ws: WebSocket;
  member: boolean;
  /** round → times received */
  got: Map<number, number>;
  stray: number;
}

function openConn(url: string, member: boolean, onRound: (c: Conn, round: number) => void): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, RELIABLE, { perMessageDeflate: false });
    const conn: Conn = { ws, member, got: new Map(), stray: 0 };
    let connected = false;
    let lastSeq = 0;
    ws.on("message", (data) => {
      const f = JSON.parse(String(data)) as { type?: string; event?: string; sequenceId?: number; data?: { round?: number } };
      if (!connected) {
        if (f.type === "system" && f.event === "connected") {
          connected = true;
          resolve(conn);
        }
        return;
      }
      if (f.type === "message" && typeof f.data?.round === "number") {
        if (typeof f.sequenceId === "number" && f.sequenceId > lastSeq) {
          lastSeq = f.sequenceId;
          ws.send(JSON.stringify({ type: "sequenceAck", sequenceId: lastSeq }));
        }
        if (!member) conn.stray++;
        conn.got.set(f.data.round, (conn.got.get(f.data.round) ?? 0) + 1);
        onRound(conn, f.data.round);
      }
    });
    ws.once("error", (err) => {
      if (!connected) reject(err);
    });
    ws.once("close", (code) => {
      if (!connected) reject(new Error(`closed before connected (${code})`));
    });
  });
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const o = { rounds: 5, concurrency: 200, log: (_: string) => {}, ...options };
  if (o.fanout > o.connections) throw new RangeError("fanout must not exceed connections");
  const limit = openFileLimit();
  if (limit !== undefined && limit < o.connections + 256) {
    o.log(`warning: ulimit -n is ${limit}; ${o.connections} connections need about ${o.connections + 256} descriptors in each process (raise it with \`ulimit -n ${o.connections * 2}\`)`);
  }
  const script = await bundleServiceChild();
  const child = fork(script, [], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const svc = new ServiceChild(child);
  const conns: Conn[] = [];
  try {
    const ready = await new Promise<{ endpoint: string; connectionString: string; gc: boolean }>((resolve, reject) => {
      child.once("message", (m: { op?: string; endpoint: string; connectionString: string; gc: boolean }) => (m.op === "ready" ? resolve(m) : reject(new Error("unexpected first message"))));
      child.once("exit", (code) => reject(new Error(`the service process exited (${code})`)));
    });
    const baseline = await svc.call<Memory>({ op: "mem" });
    const memberUrl = await svc.call<string>({ op: "url", hub: HUB, groups: [GROUP] });
    const otherUrl = await svc.call<string>({ op: "url", hub: HUB });

    // ---- connect ----
    let roundWaiter: { round: number; left: number; done: () => void } | undefined;
    const onRound = (c: Conn, round: number): void => {
      if (c.member && roundWaiter?.round === round && c.got.get(round) === 1 && --roundWaiter.left === 0) roundWaiter.done();
    };
    const t0 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < o.connections) {
        const i = next++;
        conns.push(await openConn(i < o.fanout ? memberUrl : otherUrl, i < o.fanout, onRound));
        if (conns.length % 1000 === 0) o.log(`${conns.length} connected`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.connections) }, worker));
    const connectMs = performance.now() - t0;
    o.log(`${conns.length} connections in ${connectMs.toFixed(0)} ms`);
    const loaded = await svc.call<Memory>({ op: "mem" });

    // ---- fan-out ----
    const rest = new WebPubSubServiceClient(ready.connectionString, HUB, { allowInsecureConnection: true });
    const fanoutMs: number[] = [];
    const restMs: number[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      const all = new Promise<void>((resolve) => (roundWaiter = { round, left: o.fanout, done: resolve }));
      const start = performance.now();
      await rest.group(GROUP).sendToAll({ round });
      restMs.push(performance.now() - start);
      await withDeadline(all, 30_000, `round ${round}: not every member received the group send`);
      fanoutMs.push(performance.now() - start);
    }
    // let late duplicates (if any) show up: one more send to every member, which arrives after them
    const sentinel = new Promise<void>((resolve) => (roundWaiter = { round: 0, left: o.fanout, done: resolve }));
    await rest.group(GROUP).sendToAll({ round: 0 });
    await withDeadline(sentinel, 30_000, "the sentinel did not reach every member");
    const exactlyOnce = conns.filter((c) => c.member).every((c) => Array.from({ length: o.rounds }, (_, i) => c.got.get(i + 1) === 1).every(Boolean));
    const strayDeliveries = conns.reduce((a, c) => a + c.stray, 0);
    const n = conns.length;
    return {
      connections: o.connections,
      connected: n,
      connectMs,
      fanout: o.fanout,
      rounds: o.rounds,
      fanoutMs,
      restMs,
      exactlyOnce,
      strayDeliveries,
      serviceBaseline: baseline,
      serviceLoaded: loaded,
      perConnection: {
        heapBytes: (loaded.heapUsed - baseline.heapUsed) / n,
        rssBytes: (loaded.rss - baseline.rss) / n,
        externalBytes: (loaded.external - baseline.external) / n,
      },
      gcExposed: ready.gc,
      ...(limit === undefined ? {} : { openFileLimit: limit }),
    };
  } finally {
    for (const c of conns) c.ws.terminate();
    await svc.call({ op: "close" }).catch(() => undefined);
    if (child.exitCode === null) child.kill();
    rmSync(script, { force: true }); // per run; the child loaded it before it said "ready" (or it exited)
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;

export function formatLoad(r: LoadReport): string {
  const sorted = [...r.fanoutMs].sort((a, b) => a - b);
  return [
    `connections: ${r.connected}/${r.connections} held (connected in ${r.connectMs.toFixed(0)} ms)${r.openFileLimit !== undefined ? `; ulimit -n ${r.openFileLimit}` : ""}`,
    `service memory: baseline heap ${mb(r.serviceBaseline.heapUsed)}, rss ${mb(r.serviceBaseline.rss)}; loaded heap ${mb(r.serviceLoaded.heapUsed)}, rss ${mb(r.serviceLoaded.rss)}${r.gcExposed ? "" : " (no --expose-gc: noisy)"}`,
    `per connection: heap ${kb(r.perConnection.heapBytes)}, rss ${kb(r.perConnection.rssBytes)}, external ${kb(r.perConnection.externalBytes)}`,
    `fan-out to ${r.fanout} members, ${r.rounds} rounds: ${r.fanoutMs.map((x) => `${x.toFixed(1)} ms`).join(", ")} (median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms)`,
    `  of which the REST call (the service writes to every member before it answers 202): ${r.restMs.map((x) => `${x.toFixed(1)} ms`).join(", ")}`,
    `every member got every round exactly once: ${r.exactlyOnce}; deliveries to non-members: ${r.strayDeliveries}`,
  ].join("\n");
}

// One measurement of one client, in a fresh process: `node --expose-gc bench/client.mjs <kind> <task>`.
// Talks to the service through run.mjs (IPC), and ends by sending { result }.
import { loadClient } from "./adapters.mjs";
import { reportFromChild } from "./child.mjs";
import { service } from "./service-rpc.mjs";

const [kind, task] = process.argv.slice(2);
const now = () => performance.now();
const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const connect = await loadClient(kind);
const url = await service("url");

const tasks = {
  /** The service pushes up to 100,000 json messages as fast as acks allow; rate delivered to the app. */
  async receive({ total = 100_000, maxMs = 8000 } = {}) {
    const c = await connect(url);
    let n = 0;
    let first = 0;
    let end = 0;
    let finish;
    const done = new Promise((r) => (finish = r));
    let cpu0;
    c.onServer(() => {
      if (n === 0) {
        first = now();
        cpu0 = process.cpuUsage();
        setTimeout(() => {
          end = first + maxMs;
          finish();
        }, maxMs);
      }
      if (++n === total) {
        end = now();
        finish();
      }
    });
    const push = service("push", { connectionId: c.connectionId, total, maxMs: maxMs + 2000 });
    await done;
    const cpu = process.cpuUsage(cpu0);
    const count = n;
    await service("stopPush", { connectionId: c.connectionId });
    const pushed = await push;
    await c.stop();
    const cpuUs = (cpu.user + cpu.system) / count;
    return { value: count / ((end - first) / 1000), cpuUs, count, ms: end - first, pushed: pushed.pushed, why: pushed.why };
  },

  /** 20,000 acknowledged sendToGroup calls issued at once (after 1,000 to warm up). */
  async send({ total = 20_000, warmup = 1000 } = {}) {
    const c = await connect(url);
    const data = { kind: "tick", text: "x".repeat(64) };
    await Promise.all(Array.from({ length: warmup }, () => c.send("bench-send", data)));
    const cpu0 = process.cpuUsage();
    const t0 = now();
    const all = new Array(total);
    for (let i = 0; i < total; i++) all[i] = c.send("bench-send", data);
    await Promise.all(all);
    const ms = now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await c.stop();
    return { value: total / (ms / 1000), cpuUs: (cpu.user + cpu.system) / total, ms };
  },

  /** sendToGroup to a group we are in, until the echo is delivered; sequential samples. */
  async latency({ samples = 5000, warmup = 500 } = {}) {
    const c = await connect(url);
    const group = `lat-${process.pid}`;
    await c.join(group);
    let onEcho;
    c.onGroup(() => onEcho?.());
    const times = [];
    const data = { kind: "ping", text: "x".repeat(64) };
    for (let i = 0; i < warmup + samples; i++) {
      const t0 = now();
      let t1 = 0;
      const echo = new Promise((r) => (onEcho = r));
      const ack = c.send(group, data);
      await echo;
      t1 = now();
      await ack;
      if (i >= warmup) times.push(t1 - t0);
    }
    await c.stop();
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    return { p50: q(0.5), p99: q(0.99), max: times[times.length - 1] };
  },

  /** Heap and RSS growth per connected idle client, `count` clients. */
  async memory({ count = 1000, batch = 50 } = {}) {
    const gc = globalThis.gc;
    if (!gc) throw new Error("run with --expose-gc");
    // One client first, so code and lazily built module state are not counted per client.
    const warm = await connect(url);
    await warm.stop();
    await sleep(200);
    const settle = async () => {
      for (let i = 0; i < 4; i++) {
        gc();
        await sleep(50);
      }
      return process.memoryUsage();
    };
    const before = await settle();
    const clients = [];
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      clients.push(...(await Promise.all(Array.from({ length: n }, () => connect(url)))));
    }
    await sleep(500);
    const after = await settle();
    const connected = await service("connections");
    await Promise.all(clients.map((c) => c.stop()));
    return {
      heap: (after.heapUsed - before.heapUsed) / count,
      rss: (after.rss - before.rss) / count,
      external: (after.external - before.external) / count,
      connected,
    };
  },

  /** The service publishes every 2 ms; drop the socket abruptly (5 times); time to the first message published after the drop. */
  async resume({ intervalMs = 2, upMs = [1100, 1300, 1500, 1700, 1900] } = {}) {
    const c = await connect(url);
    let log = []; // [index, wall time] of this trial's deliveries
    let waitFor = Infinity;
    let reached;
    c.onServer((data) => {
      const i = data?.i;
      if (typeof i !== "number") return;
      const t = wall();
      log.push(i, t);
      if (i > waitFor) {
        waitFor = Infinity;
        reached(t);
      }
    });
    await service("stream", { connectionId: c.connectionId, intervalMs });
    const times = [];
    // Links that have been up longer than our recovery pacing window (1 s), for times spread
    // over a 1 s ack period, so how many unacknowledged messages the service replays after the
    // recovery (the client must skip them before the first new one) is not tied to one phase.
    for (const up of upMs) {
      await sleep(up);
      log = [];
      const arrived = new Promise((r) => (reached = r));
      const { t, lastIndex } = await service("drop", { connectionId: c.connectionId });
      // Delivered while the answer travelled back?
      let early = NaN;
      for (let k = 0; k < log.length; k += 2) if (log[k] > lastIndex) { early = log[k + 1]; break; }
      if (early === early) reached(early);
      else waitFor = lastIndex;
      const at = await Promise.race([arrived, sleep(40_000).then(() => NaN)]);
      times.push(at - t);
    }
    await service("stopStream", { connectionId: c.connectionId });
    await c.stop();
    const sorted = [...times].sort((a, b) => a - b);
    return { value: sorted[Math.floor(sorted.length / 2)], all: times };
  },
};

await reportFromChild(() => tasks[task]());

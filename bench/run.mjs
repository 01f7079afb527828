// `npm run bench`: our client vs @azure/web-pubsub-client 1.1.0 vs a bare `ws` client, against
// the local service running in its own process. Each measurement runs in a fresh client
// process; clients are interleaved (order rotated every round) and the table shows medians.
// Env: BENCH_ROUNDS (default 5), BENCH_TASKS (e.g. "receive,send"), BENCH_KINDS ("ours,raw"),
// BENCH_NO_WRITE=1 (do not rewrite bench/RESULTS.md), BENCH_PROFILE=dir (CPU profiles).
import { execSync, fork } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureBundle } from "./bundle-size.mjs";
import { KINDS } from "./adapters.mjs";
import { runProtobufRows } from "./protobuf.mjs";
import { streamRows } from "./streams.mjs"; // group-stream row (issue 11)
import { resilienceOnly, resilienceSection, runOnly } from "./resilience.mjs"; // issue 9 rows: bench/resilience.mjs
import { median } from "./stats.mjs";
if (resilienceOnly) process.exit(await runOnly(resilienceOnly)); // npm run bench -- --only flapping,blackhole,storm

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TASKS = (process.env.BENCH_TASKS ?? "receive,send,latency,memory,resume").split(",");
const RUN_KINDS = (process.env.BENCH_KINDS ?? KINDS.join(",")).split(",");
/** BENCH_PROFILE=dir: every client process writes a V8 CPU profile there (see bench/prof-summary.mjs). */
const PROFILE = process.env.BENCH_PROFILE;
const TASK_TIMEOUT_MS = 120_000;
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`;
const log = (line) => console.log(`[${elapsed()}] ${line}`);
const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

// ---- the service process ---------------------------------------------------------------

const serviceProc = fork(join(here, "service.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
const endpoint = await new Promise((resolve, reject) => {
  serviceProc.once("error", reject);
  serviceProc.once("exit", (code) => reject(new Error(`the service exited (${code})`)));
  serviceProc.on("message", function ready(m) {
    if (m?.ready) {
      serviceProc.off("message", ready);
      resolve(m.endpoint);
    }
  });
});
serviceProc.removeAllListeners("exit");
let finished = false;
serviceProc.on("exit", (code, signal) => {
  if (finished) return;
  console.error(`the service process exited unexpectedly (${signal ?? code}); stopping the bench`);
  process.exit(2);
});
let relayId = 0;
const relays = new Map(); // service rpc id -> { child, rpc }
serviceProc.on("message", (m) => {
  const r = relays.get(m.rpc);
  if (!r) return;
  relays.delete(m.rpc);
  if (r.child.connected) r.child.send({ ...m, rpc: r.rpc });
});
log(`service running at ${endpoint} (pid ${serviceProc.pid})`);

/** Runs one task of one client kind in a fresh process; returns its result object. */
function runTask(kind, task) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, "client.mjs"), [kind, task], {
      execArgv: ["--expose-gc", ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`, `--cpu-prof-name=${kind}-${task}-${Date.now()}.cpuprofile`] : [])],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      end(new Error(`${kind} ${task}: timed out after ${TASK_TIMEOUT_MS / 1000} s`));
    }, TASK_TIMEOUT_MS);
    const end = (error, result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(result);
    };
    child.on("message", (m) => {
      if (m.result !== undefined) return end(undefined, m.result);
      if (m.error !== undefined) return end(new Error(`${kind} ${task}: ${m.error}`));
      if (m.rpc !== undefined) {
        const id = ++relayId;
        relays.set(id, { child, rpc: m.rpc });
        serviceProc.send({ rpc: id, cmd: m.cmd, args: m.args });
      }
    });
    child.on("exit", (code) => end(new Error(`${kind} ${task}: the process exited (${code}) without a result`)));
  });
}

// ---- bundle size -----------------------------------------------------------------------

async function bundleSize(kind) {
  // Initial load with code splitting, as apps bundle it (bench/bundle-size.mjs); lazy chunks
  // (shared connections) are printed apart and not counted.
  const from = kind === "ours" ? join(root, "dist/browser/index.mjs") : "@azure/web-pubsub-client";
  const r = await measureBundle(from, { resolveDir: root });
  if (r.lazyChunks) log(`bundle ${kind}: lazy chunks ${r.lazy.min} B minified, ${r.lazy.gzip} B gzip (loaded only when used)`);
  return { min: r.min, gzip: r.gzip };
}

// ---- metrics -----------------------------------------------------------------------------

const METRICS = [
  { key: "bundle", label: "bundle, minified + gzip (bytes)", unit: "int", lower: true, targets: [["official", 0.7]] },
  { key: "receive", task: "receive", label: "receive throughput (msg/s)", unit: "int", targets: [["official", 1.5], ["raw", 0.7]] },
  { key: "receiveCpu", task: "receive", label: "receive: client CPU per message (µs)", unit: "us", lower: true, targets: [] },
  { key: "send", task: "send", label: "send throughput (acked sendToGroup/s)", unit: "int", targets: [["official", 1.2]] },
  { key: "sendCpu", task: "send", label: "send: client CPU per call (µs)", unit: "us", lower: true, targets: [] },
  { key: "p50", task: "latency", label: "round trip p50 (ms)", unit: "ms", lower: true, targets: [] },
  { key: "p99", task: "latency", label: "round trip p99 (ms)", unit: "ms", lower: true, targets: [["official", 1]] },
  { key: "heap", task: "memory", label: "heap per idle client (KB)", unit: "kb", lower: true, targets: [["official", 0.7]] },
  { key: "rss", task: "memory", label: "RSS per idle client (KB)", unit: "kb", lower: true, targets: [["official", 0.7]] },
  { key: "resume", task: "resume", label: "resume after abrupt drop (ms)", unit: "ms", lower: true, targets: [["official", 0.25]] },
];
/** samples[metric][kind] = [value per round] */
const samples = Object.fromEntries(METRICS.map((m) => [m.key, Object.fromEntries(KINDS.map((k) => [k, []]))]));
const failures = [];

function describe(task, r) {
  switch (task) {
    case "receive":
      return `${fmtInt(r.value)} msg/s  (${r.count} msgs in ${fmt(r.ms / 1000)} s, ${fmt(r.cpuUs)} µs CPU/msg; pusher pushed ${r.pushed}, stopped: ${r.why})`;
    case "send":
      return `${fmtInt(r.value)} ops/s  (20000 in ${fmt(r.ms / 1000)} s, ${fmt(r.cpuUs)} µs CPU/op)`;
    case "latency":
      return `p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  max ${fmt(r.max, 1)} ms`;
    case "memory":
      return `heap ${fmt(r.heap / 1024, 1)} KB  rss ${fmt(r.rss / 1024, 1)} KB  external ${fmt(r.external / 1024, 1)} KB per client (${r.connected} connected at the service)`;
    case "resume":
      return `median ${fmt(r.value, 1)} ms  (drops: ${r.all.map((x) => fmt(x, 1)).join(", ")} ms)`;
    default:
      return JSON.stringify(r);
  }
}

function record(task, kind, r) {
  const put = (key, v) => samples[key][kind].push(v);
  switch (task) {
    case "receive":
    case "send":
      put(`${task}Cpu`, r.cpuUs);
      return put(task, r.value);
    case "resume":
      for (const x of r.all) put("resume", x); // every drop: the median is over all drops of all rounds
      return;
    case "latency":
      put("p50", r.p50);
      return put("p99", r.p99);
    case "memory":
      put("heap", r.heap / 1024);
      return put("rss", r.rss / 1024);
  }
}

// ---- run -----------------------------------------------------------------------------------

const loadStart = os.loadavg();
const git = (cmd) => {
  try {
    return execSync(`git ${cmd}`, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
};
const commit = git("rev-parse --short HEAD") || "unknown";
const dirty = git("status --porcelain -- src emulator") ? " plus uncommitted changes in src/ or emulator/" : "";
log(`bundle sizes (esbuild, browser, minified, gzip -9)`);
const bundles = {};
for (const kind of ["ours", "official"]) {
  bundles[kind] = await bundleSize(kind);
  samples.bundle[kind].push(bundles[kind].gzip);
  log(`  ${kind.padEnd(8)} ${fmtInt(bundles[kind].gzip)} B gzip (${fmtInt(bundles[kind].min)} B minified)`);
}

for (let round = 0; round < ROUNDS; round++) {
  const order = RUN_KINDS.map((_, i) => RUN_KINDS[(i + round) % RUN_KINDS.length]);
  log(`round ${round + 1}/${ROUNDS} (order: ${order.join(", ")})`);
  for (const task of TASKS) {
    for (const kind of order) {
      try {
        const r = await runTask(kind, task);
        record(task, kind, r);
        log(`  ${task.padEnd(8)} ${kind.padEnd(8)} ${describe(task, r)}`);
      } catch (e) {
        failures.push(`round ${round + 1}: ${e.message}`);
        log(`  ${task.padEnd(8)} ${kind.padEnd(8)} FAILED: ${e.message.split("\n")[0]}`);
      }
    }
  }
}
finished = true;
serviceProc.disconnect();
const loadEnd = os.loadavg();

// ---- report --------------------------------------------------------------------------------

const show = (m, v) => (m.unit === "int" ? fmtInt(v) : m.unit === "kb" || m.key === "resume" ? fmt(v, 1) : m.unit === "us" ? fmt(v, 2) : fmt(v, 3));
const lines = [];
lines.push("| metric | ours | official | raw ws | ours / official | ours / raw | target | holds |");
lines.push("|---|---:|---:|---:|---:|---:|---|---|");
const verdicts = [];
for (const m of METRICS) {
  const v = Object.fromEntries(KINDS.map((k) => [k, median(samples[m.key][k])]));
  const ratio = (k) => v.ours / v[k];
  const targetText = m.targets.map(([k, x]) => `${m.lower ? "≤" : "≥"} ${x}× ${k}`).join(", ") || "—";
  let holds = "—";
  if (m.targets.length) {
    const ok = m.targets.every(([k, x]) => (m.lower ? ratio(k) <= x : ratio(k) >= x));
    const known = m.targets.every(([k]) => Number.isFinite(ratio(k)));
    holds = known ? (ok ? "yes" : "**no**") : "n/a";
    verdicts.push({ metric: m.label, holds });
  }
  const raw = m.key === "bundle" ? "n/a" : show(m, v.raw);
  const rr = m.key === "bundle" ? "n/a" : fmt(ratio("raw"));
  lines.push(`| ${m.label} | ${show(m, v.ours)} | ${show(m, v.official)} | ${raw} | ${fmt(ratio("official"))} | ${rr} | ${targetText} | ${holds} |`);
}
lines.push(...(await streamRows({ rounds: Math.min(ROUNDS, 3), log }))); // group-stream row (issue 11)
const table = lines.join("\n") + (await resilienceSection(log)); // issue 9 rows
console.log(`\nMedians of ${ROUNDS} rounds:\n`);
console.log(table);
if (failures.length) console.log(`\nFailures:\n${failures.map((f) => `- ${f}`).join("\n")}`);
const totalS = (performance.now() - started) / 1000;
console.log(`\nbench took ${totalS.toFixed(0)} s (plus the build)`);

const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? "unknown";
const perRound = METRICS.filter((m) => m.task)
  .map((m) => `| ${m.label} | ${KINDS.map((k) => samples[m.key][k].map((x) => show(m, x)).join(" / ") || "—").join(" | ")} |`)
  .join("\n");
const full = RUN_KINDS.length === KINDS.length && TASKS.length === 5;
if (process.env.BENCH_NO_WRITE !== "1" && full) {
  const template = readFileSync(join(here, "RESULTS.template.md"), "utf8");
  const out = template
    .replace("{{DATE}}", new Date().toISOString().replace(/\.\d+Z$/, "Z"))
    .replace("{{COMMAND}}", "npm run bench")
    .replace("{{COMMIT}}", `${commit}${dirty}`)
    .replace("{{NPROC}}", String(os.availableParallelism?.() ?? os.cpus().length))
    .replace("{{CPU}}", cpu)
    .replace("{{NODE}}", process.version)
    .replace("{{OS}}", `${os.type()} ${os.release()}`)
    .replace("{{LOAD}}", `${loadStart.map((x) => x.toFixed(2)).join(", ")} at the start, ${loadEnd.map((x) => x.toFixed(2)).join(", ")} at the end`)
    .replace("{{ROUNDS}}", String(ROUNDS))
    .replace("{{DURATION}}", `${totalS.toFixed(0)} s`)
    .replace("{{TABLE}}", table)
    .replace("{{BUNDLE}}", `ours ${fmtInt(bundles.ours.min)} B minified / ${fmtInt(bundles.ours.gzip)} B gzip; official ${fmtInt(bundles.official.min)} B minified / ${fmtInt(bundles.official.gzip)} B gzip`)
    .replace("{{PER_ROUND}}", perRound)
    .replace("{{FAILURES}}", failures.length ? failures.map((f) => `- ${f}`).join("\n") : "none");
  writeFileSync(join(here, "RESULTS.md"), out);
  writeFileSync(join(here, "results.json"), JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, bundles, samples, failures }, null, 2) + "\n");
  console.log("wrote bench/RESULTS.md and bench/results.json");
}
await runProtobufRows({ log }); // protobuf rows: bench/protobuf.mjs, bench/PROTOBUF-RESULTS.md
process.exit(failures.length ? 1 : 0);

// Bench rows for the protobuf subprotocols: ours on protobuf-reliable vs ours on JSON-reliable
// vs a bare `ws` client (bench/raw-client.mjs, JSON-reliable), side by side in one run, for
// text, json and binary payloads of ~100 B and ~16 KB:
//   - WebSocket payload bytes per message, downstream (counted on the receiving socket) and
//     upstream (the sendToGroup frame each client writes);
//   - client CPU per received message and receive throughput (the service pushes as fast as
//     sequence acks allow, as in the main receive task).
// Standalone: `npm run build && node bench/protobuf.mjs` (env PB_BENCH_ROUNDS, default 3;
// PB_BENCH_MS, window per run, default 3000; PB_BENCH_PAYLOADS, e.g. "json-100B,binary-16KB").
// From bench/run.mjs: `runProtobufRows({ log })`. Writes bench/PROTOBUF-RESULTS.md unless BENCH_NO_WRITE=1.
import { fork } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { PAYLOADS } from "./protobuf-payloads.mjs";
import { protobufEntrySize } from "./protobuf-size.mjs";
import { median } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const KINDS = ["protobuf", "json", "raw"];
const LABEL = { protobuf: "ours, protobuf-reliable", json: "ours, JSON-reliable", raw: "raw ws (JSON-reliable)" };
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");

/** The protobuf entry as an importable module: dist/protobuf when the build has it, else bundled from src. */
async function protobufEntry() {
  const built = join(root, "dist/protobuf/index.mjs");
  if (existsSync(built)) return pathToFileURL(built).href;
  const out = join(mkdtempSync(join(os.tmpdir(), "pbbench-")), "protobuf.mjs");
  await build({ entryPoints: [join(root, "src/protobuf/index.ts")], bundle: true, format: "esm", platform: "neutral", outfile: out, logLevel: "silent" });
  return pathToFileURL(out).href;
}

function startService() {
  const proc = fork(join(here, "protobuf-service.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`the protobuf bench service exited (${code})`)));
    proc.on("message", (m) => m?.ready && resolve());
  });
  return { proc, ready };
}

function runClient(service, entry, kind, payload) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, "protobuf-client.mjs"), [kind, payload], { env: { ...process.env, PB_BENCH_PROTOBUF_ENTRY: entry }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    // the service echoes the child's pid, so its answers reach the child that asked
    const relay = (m) => {
      if (m.rpc !== undefined && m.forChild === child.pid && child.connected) child.send({ rpc: m.rpc, result: m.result, error: m.error });
    };
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    service.on("message", relay);
    child.on("message", (m) => {
      if (m.result !== undefined) resolve(m.result);
      else if (m.error !== undefined) reject(new Error(`${kind} ${payload}: ${m.error}`));
      else if (m.rpc !== undefined) service.send({ rpc: m.rpc, cmd: m.cmd, args: m.args, forChild: child.pid });
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      service.off("message", relay);
      reject(new Error(`${kind} ${payload}: exited (${code}) without a result`));
    });
  });
}

/** Upstream sendToGroup frame sizes: what each client writes for the payload. */
async function upstreamBytes(entry) {
  const { WebPubSubJsonReliableProtocol } = await import(pathToFileURL(join(root, "dist/index.mjs")).href);
  const { WebPubSubProtobufReliableProtocol } = await import(entry);
  const json = WebPubSubJsonReliableProtocol();
  const pb = WebPubSubProtobufReliableProtocol();
  const size = (d) => (typeof d === "string" ? Buffer.byteLength(d) : d.byteLength);
  const out = {};
  for (const [name, p] of Object.entries(PAYLOADS)) {
    const m = { kind: "sendToGroup", group: "bench-group", ackId: 12345, noEcho: false, dataType: p.dataType, data: p.content };
    const j = size(json.writeMessage(m));
    // the raw client writes the same JSON frame (bench/raw-client.mjs)
    out[name] = { protobuf: size(pb.writeMessage(m)), json: j, raw: j };
  }
  return out;
}

export async function runProtobufRows({ log = console.log, rounds = Number(process.env.PB_BENCH_ROUNDS ?? 3) } = {}) {
  const payloads = (process.env.PB_BENCH_PAYLOADS ?? Object.keys(PAYLOADS).join(",")).split(",");
  const entry = await protobufEntry();
  const { proc, ready } = startService();
  await ready;
  proc.removeAllListeners("exit");
  const samples = {}; // samples[payload][kind] = [{rate, cpuUs, bytesPerMsg}]
  const failures = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length]);
      log(`protobuf rows: round ${round + 1}/${rounds} (order: ${order.join(", ")})`);
      for (const payload of payloads) {
        for (const kind of order) {
          try {
            const r = await runClient(proc, entry, kind, payload);
            ((samples[payload] ??= {})[kind] ??= []).push(r);
            log(`  ${payload.padEnd(12)} ${kind.padEnd(8)} ${fmtInt(r.rate)} msg/s, ${fmt(r.cpuUs, 2)} µs CPU/msg, ${fmt(r.bytesPerMsg)} B/msg (${r.count} msgs)`);
          } catch (e) {
            failures.push(`round ${round + 1}: ${e.message.split("\n")[0]}`);
            log(`  ${payload.padEnd(12)} ${kind.padEnd(8)} FAILED: ${e.message.split("\n")[0]}`);
          }
        }
      }
    }
  } finally {
    proc.disconnect();
  }
  const up = await upstreamBytes(entry);
  const size = await protobufEntrySize();
  const med = (payload, kind, key) => median((samples[payload]?.[kind] ?? []).map((r) => r[key]));
  const rows = [];
  rows.push(`| payload | metric | ${KINDS.map((k) => LABEL[k]).join(" | ")} | protobuf / JSON | protobuf / raw |`);
  rows.push("|---|---|---:|---:|---:|---:|---:|");
  const metric = (payload, label, get, show) => {
    const v = Object.fromEntries(KINDS.map((k) => [k, get(k)]));
    rows.push(`| ${payload} | ${label} | ${KINDS.map((k) => show(v[k])).join(" | ")} | ${fmt(v.protobuf / v.json, 2)} | ${fmt(v.protobuf / v.raw, 2)} |`);
  };
  for (const payload of payloads) {
    metric(payload, "downstream bytes/msg", (k) => med(payload, k, "bytesPerMsg"), (x) => fmt(x, 0));
    metric(payload, "upstream bytes/msg", (k) => up[payload][k], (x) => fmt(x, 0));
    metric(payload, "client CPU/msg (µs)", (k) => med(payload, k, "cpuUs"), (x) => fmt(x, 2));
    metric(payload, "receive (msg/s)", (k) => med(payload, k, "rate"), fmtInt);
  }
  const table = rows.join("\n");
  const sizeLine = `protobuf entry: adds ${size.added.gzip} B min+gz (${size.added.min} B min) to an app importing the client (${size.base.gzip} → ${size.withPb.gzip} B min+gz; budget 2560 B); the whole entry alone, every export: ${size.entryAlone.gzip} B min+gz`;
  log(`\nProtobuf rows, medians of ${rounds} rounds:\n\n${table}\n\n${sizeLine}`);
  if (failures.length) log(`protobuf rows failures:\n${failures.map((f) => `- ${f}`).join("\n")}`);
  if (process.env.BENCH_NO_WRITE !== "1" && payloads.length === Object.keys(PAYLOADS).length) {
    const md = [
      "# Protobuf subprotocol rows",
      "",
      `Written by \`node bench/protobuf.mjs\` (also run by \`npm run bench\`) on ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}, ${os.availableParallelism?.() ?? os.cpus().length} CPUs, Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(", ")}. Medians of ${rounds} rounds; clients interleaved, order rotated each round; the service runs in its own process.`,
      "",
      "Bytes are WebSocket payload bytes (the frame header adds 2-10 B). Downstream: counted on the receiving socket over the whole receive window. Upstream: the `sendToGroup` frame each client writes for the payload (the raw client writes the same JSON as ours). Binary payloads travel base64 in JSON, raw bytes in protobuf.",
      "",
      table,
      "",
      sizeLine,
      "",
      failures.length ? `Failures:\n${failures.map((f) => `- ${f}`).join("\n")}` : "Failures: none",
      "",
    ].join("\n");
    writeFileSync(join(here, "PROTOBUF-RESULTS.md"), md);
    writeFileSync(join(here, "protobuf-results.json"), JSON.stringify({ date: new Date().toISOString(), rounds, samples, upstream: up, size, failures }, null, 2) + "\n");
    log("wrote bench/PROTOBUF-RESULTS.md and bench/protobuf-results.json");
  }
  return { table, failures };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { failures } = await runProtobufRows();
  process.exit(failures.length ? 1 : 0);
}

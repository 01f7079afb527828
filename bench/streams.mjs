// The group-stream row of `npm run bench`: one writer streams 16 KB binary fragments to one
// reader through the local service; fragments/s, MB/s and client CPU per fragment (writer +
// reader), ours vs the official client, interleaved over the rounds, medians reported.
// Run alone: `npm run build && node bench/streams.mjs` (BENCH_ROUNDS, BENCH_STREAM_FRAGMENTS).
// Each side runs in its own process; the service too.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "./stats.mjs";

const self = fileURLToPath(import.meta.url);
const FRAGMENT = 16 * 1024;
// 600 fragments: ~13 MB of JSON frames, under the service's reliable buffer per reader
// (1000 messages / 16 MB). A writer faster than its reader overflows that bound on a longer
// stream and the reader's session is closed (SlowClient): there is no flow control from
// subscribers back to the publisher in the protocol.
const N = Number(process.env.BENCH_STREAM_FRAGMENTS ?? 600);
/** Fragment types measured: binary (base64 in JSON frames) and text (no base64); BENCH_STREAM_TYPES=binary to narrow. */
const TYPES = (process.env.BENCH_STREAM_TYPES ?? "binary,text").split(",");
const ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

async function clientClass(kind) {
  if (kind === "ours") return (await import("../dist/index.mjs")).WebPubSubClient;
  return (await import("@azure/web-pubsub-client")).WebPubSubClient;
}

// ---- child processes ---------------------------------------------------------------------

async function serviceMain() {
  const { startEmulator } = await import("../dist/emulator/index.mjs");
  const emu = await startEmulator({ port: 0 });
  process.on("message", async (m) => {
    if (m.url) process.send({ id: m.id, url: await emu.getClientAccessUrl("bench", { userId: m.url, roles: ROLES }) });
    if (m.close) {
      await emu.close();
      process.exit(0);
    }
  });
  process.send({ ready: true });
}

async function readerMain(kind, url) {
  const Client = await clientClass(kind);
  const client = new Client(url);
  await client.start();
  await client.joinGroup("g");
  let first = 0;
  let cpu0;
  let count = 0;
  client.onGroupStream(async (stream) => {
    try {
      for await (const m of stream) {
        if (count++ === 0) {
          first = performance.now();
          cpu0 = process.cpuUsage();
        }
        if ((m.data.byteLength ?? m.data.length) !== FRAGMENT) throw new Error(`fragment ${count} has the wrong size`);
      }
      const ms = performance.now() - first;
      const cpu = process.cpuUsage(cpu0);
      process.send({ result: { count, ms, cpuUs: cpu.user + cpu.system } });
    } catch (e) {
      process.send({ error: e instanceof Error ? String(e.stack) : JSON.stringify(e) });
    }
    await client.stop();
    process.exit(0);
  });
  process.send({ ready: true });
}

async function writerMain(kind, url, type) {
  const Client = await clientClass(kind);
  const client = new Client(url);
  await client.start();
  const w = await client.openGroupStream("g");
  const payload = new Uint8Array(FRAGMENT).fill(7);
  const cpu0 = process.cpuUsage();
  const text = "x".repeat(FRAGMENT);
  for (let i = 0; i < N; i++) {
    if (type === "text") await w.write(text, "text");
    else await w.write(kind === "ours" ? payload : payload.buffer.slice(0), "binary");
  }
  await w.end();
  const cpu = process.cpuUsage(cpu0);
  process.send({ result: { cpuUs: cpu.user + cpu.system } });
  // Stay connected until the reader has everything: the official end() resolves once the end
  // is handed to the socket, and a stop() right away may cut the stream short.
  process.once("message", async () => {
    await client.stop();
    process.exit(0);
  });
}

// ---- the parent ----------------------------------------------------------------------------

function child(args) {
  const p = fork(self, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Set();
  p.once("exit", (code) => waiting.forEach((w) => w.reject(new Error(`${args[0]} ${args[1] ?? ""} exited (${code})`))));
  const next = (pred) =>
    new Promise((resolve, reject) => {
      const w = { reject };
      const on = (m) => {
        if (m.error) return reject(new Error(m.error));
        if (pred(m)) {
          p.off("message", on);
          waiting.delete(w);
          resolve(m);
        }
      };
      waiting.add(w);
      p.on("message", on);
    });
  return { p, next };
}

async function once(service, kind, type) {
  let id = 0;
  const url = async (who) => {
    const n = ++id;
    service.p.send({ id: n, url: who });
    return (await service.next((m) => m.id === n)).url;
  };
  const reader = child(["reader", kind, await url("r")]);
  await reader.next((m) => m.ready);
  const done = reader.next((m) => m.result);
  const writer = child(["writer", kind, await url("w"), type]);
  const [r, w] = await Promise.all([done, writer.next((m) => m.result)]);
  writer.p.send({ stop: true });
  if (r.result.count !== N) throw new Error(`${kind}: the reader got ${r.result.count} of ${N} fragments`);
  const seconds = r.result.ms / 1000;
  return { fps: N / seconds, mbps: (N * FRAGMENT) / 1e6 / seconds, cpuUs: (r.result.cpuUs + w.result.cpuUs) / N, readerUs: r.result.cpuUs / N, writerUs: w.result.cpuUs / N };
}

/** Runs the stream rows; returns table lines in the format of bench/RESULTS.md. */
export async function streamRows({ rounds = 3, log = console.log } = {}) {
  if (process.env.BENCH_STREAMS === "0") return [];
  const service = child(["service"]);
  await service.next((m) => m.ready);
  const kinds = ["ours", "official"];
  const got = {};
  try {
    for (const type of TYPES) {
      got[type] = { ours: [], official: [] };
      for (let round = 0; round < rounds; round++) {
        for (const kind of round % 2 ? [...kinds].reverse() : kinds) {
          let r;
          try {
            r = await once(service, kind, type);
          } catch (e) {
            log(`  stream   ${kind.padEnd(8)} ${type.padEnd(6)} FAILED: ${String(e.message).split("\n")[0]}`);
            continue;
          }
          got[type][kind].push(r);
          log(`  stream   ${kind.padEnd(8)} ${type.padEnd(6)} ${Math.round(r.fps)} fragments/s, ${r.mbps.toFixed(1)} MB/s, ${r.cpuUs.toFixed(1)} µs CPU/fragment (writer ${r.writerUs.toFixed(1)} + reader ${r.readerUs.toFixed(1)})`);
        }
      }
    }
  } finally {
    service.p.send({ close: true });
  }
  const lines = [];
  for (const type of TYPES) {
    const m = (kind, key) => median(got[type][kind].map((r) => r[key]));
    const row = (label, key, digits, lower) => {
      const o = m("ours", key);
      const f = m("official", key);
      return `| ${label} | ${o.toFixed(digits)} | ${f.toFixed(digits)} | n/a | ${(o / f).toFixed(2)} | n/a | ${lower ? "≤" : "≥"} 1× official | ${(lower ? o <= f : o >= f) ? "yes" : "**no**"} |`;
    };
    lines.push(
      row(`group stream, ${N} × 16 KB ${type} fragments, 1 writer → 1 reader (fragments/s)`, "fps", 0, false),
      row(`group stream, ${type} (MB/s)`, "mbps", 1, false),
      row(`group stream, ${type}: client CPU per fragment, writer + reader (µs)`, "cpuUs", 1, true),
    );
  }
  return lines;
}

const [role, kind, url, type] = process.argv.slice(2);
if (role === "service") await serviceMain();
else if (role === "reader") await readerMain(kind, url);
else if (role === "writer") await writerMain(kind, url, type);
else if (process.argv[1] === self) {
  const lines = await streamRows({ rounds: Number(process.env.BENCH_ROUNDS ?? 3) });
  console.log(["| metric | ours | official | raw ws | ours / official | ours / raw | target | holds |", "|---|---:|---:|---:|---:|---:|---|---|", ...lines].join("\n"));
}

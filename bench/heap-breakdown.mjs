// What one idle connected client keeps on the heap, by constructor:
// `node --expose-gc bench/heap-breakdown.mjs [ours|official|raw] [clients=300]`.
// Diffs two heap snapshots (before/after connecting N clients); the service runs in a child process. ROWS=N prints the top N constructors (40).
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { loadClient } from "./adapters.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [kind = "ours", nArg = "300"] = process.argv.slice(2);
const N = Number(nArg);
const svc = fork(join(here, "service.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
await new Promise((r) => svc.on("message", (m) => m.ready && r()));
const url = await new Promise((r) => {
  svc.on("message", (m) => m.rpc === 1 && r(m.result));
  svc.send({ rpc: 1, cmd: "url" });
});
const connect = await loadClient(kind);

async function census() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 30));
  }
  const chunks = [];
  for await (const c of v8.getHeapSnapshot()) chunks.push(c);
  const snap = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [T, NAME, SIZE] = ["type", "name", "self_size"].map((x) => f.indexOf(x));
  const out = new Map();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + T]];
    let name = snap.strings[snap.nodes[i + NAME]];
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(string)";
    else if (type === "code") name = "(code)";
    else if (type === "closure") name = `closure ${name}`;
    else if (type !== "object") name = `(${type}) ${name.slice(0, 40)}`;
    const e = out.get(name) ?? { count: 0, size: 0 };
    e.count++;
    e.size += snap.nodes[i + SIZE];
    out.set(name, e);
  }
  return out;
}

(await connect(url)).stop();
await new Promise((r) => setTimeout(r, 200));
const before = await census();
const clients = [];
for (let i = 0; i < N; i += 50) clients.push(...(await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => connect(url)))));
await new Promise((r) => setTimeout(r, 300));
const after = await census();
const rows = [];
let total = 0;
for (const [name, a] of after) {
  const b = before.get(name) ?? { count: 0, size: 0 };
  const size = (a.size - b.size) / N;
  const count = (a.count - b.count) / N;
  total += size;
  if (Math.abs(size) >= 16) rows.push([name, count, size]);
}
rows.sort((x, y) => y[2] - x[2]);
console.log(`${kind}: ${total.toFixed(0)} B of heap objects per client (${N} clients)`);
for (const [name, count, size] of rows.slice(0, Number(process.env.ROWS ?? 40))) console.log(`${size.toFixed(0).padStart(7)} B  ${count.toFixed(2).padStart(6)} objs  ${name}`);
await Promise.all(clients.map((c) => c.stop()));
svc.disconnect();
process.exit(0);

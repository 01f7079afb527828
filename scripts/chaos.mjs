#!/usr/bin/env node
// npm run chaos -- [--seed N] [--seconds 300] [--receivers 4] [--publishers 2]
//                  [--fault-min 50] [--fault-max 500] [--client both|ours|official] [--sequential]
// Runs the chaos scenario (test/chaos/scenario.ts) against our client and, as a comparison,
// the official @azure/web-pubsub-client with the same seed. Exits 1 when ours lost,
// duplicated or reordered anything, or a session ended unexpectedly.
import { parseArgs } from "node:util";
import { importTs } from "./bundle-ts.mjs";

const { values: a } = parseArgs({
  options: {
    seed: { type: "string" },
    seconds: { type: "string", default: "300" },
    receivers: { type: "string", default: "4" },
    publishers: { type: "string", default: "2" },
    "fault-min": { type: "string", default: "50" },
    "fault-max": { type: "string", default: "500" },
    client: { type: "string", default: "both" },
    sequential: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (a.help) {
  console.log("npm run chaos -- [--seed N] [--seconds 300] [--receivers 4] [--publishers 2] [--fault-min 50] [--fault-max 500] [--client both|ours|official] [--sequential]");
  process.exit(0);
}
const int = (name, v, min) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}`);
    process.exit(2);
  }
  return n;
};
const seed = a.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int("seed", a.seed, 0);
const common = {
  seed,
  seconds: int("seconds", a.seconds, 1),
  receivers: int("receivers", a.receivers, 1),
  publishers: int("publishers", a.publishers, 1),
  faultMinMs: int("fault-min", a["fault-min"], 1),
  faultMaxMs: int("fault-max", a["fault-max"], 1),
  log: (line) => console.log(line),
};
if (common.faultMaxMs < common.faultMinMs) {
  console.error("--fault-max must be >= --fault-min");
  process.exit(2);
}
if (!["both", "ours", "official"].includes(a.client)) {
  console.error("--client must be both, ours or official");
  process.exit(2);
}

const chaos = await importTs("test/chaos/scenario.ts", "chaos");
const adapters = a.client === "both" ? [chaos.oursAdapter, chaos.officialAdapter] : [a.client === "ours" ? chaos.oursAdapter : chaos.officialAdapter];
console.log(`chaos: seed ${seed} (replay with --seed ${seed}); ${common.seconds} s; clients: ${adapters.map((x) => x.name).join(", ")}${adapters.length > 1 ? (a.sequential ? " (one after the other)" : " (side by side, each on its own emulator)") : ""}`);

const reports = [];
if (a.sequential) for (const adapter of adapters) reports.push(await chaos.runChaos({ ...common, adapter }));
else reports.push(...(await Promise.all(adapters.map((adapter) => chaos.runChaos({ ...common, adapter })))));

for (const r of reports) console.log(`\n${chaos.formatReport(r)}`);
console.log(`\n${chaos.formatComparison(reports)}`);
const ours = reports.find((r) => r.client === "ours");
const failed = ours && (ours.lost || ours.duplicated || ours.outOfOrder || ours.unexpectedSessionEnds || !ours.settled || ours.required === 0);
console.log(ours ? `\nours: ${failed ? "FAILED" : "PASSED"} (zero lost, duplicated, out of order and unexpected session ends required)` : "");
process.exit(failed ? 1 : 0);

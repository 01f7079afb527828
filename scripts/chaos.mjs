#!/usr/bin/env node
// npm run chaos -- [--scenario random|flapping|both] [--seed N] [--seconds S] [--client both|ours|official]
//                  [--protocol json-reliable] [--sequential]
//   random:   [--receivers 4] [--publishers 2] [--fault-min 50] [--fault-max 500]   (default 300 s)
//   flapping: [--rate 1000] [--cut-min 100] [--cut-max 500]   (3 receivers; default 60 s)
// Runs the chaos scenarios (test/chaos/scenario.ts: random faults; test/chaos/flapping.ts:
// every link cut 100–500 ms after it opens) against our client and, as a comparison, the
// official @azure/web-pubsub-client with the same seed. Exits 1 when ours abandoned a session
// the service still held, lost, duplicated or reordered anything, or a session ended unexpectedly.
import { parseArgs } from "node:util";
import { importTs } from "./bundle-ts.mjs";

const USAGE =
  "npm run chaos -- [--scenario random|flapping|both] [--seed N] [--seconds S] [--client both|ours|official] [--protocol json-reliable] [--sequential]\n" +
  "  random:   [--receivers 4] [--publishers 2] [--fault-min 50] [--fault-max 500]  (default 300 s)\n" +
  "  flapping: [--rate 1000] [--cut-min 100] [--cut-max 500]  (3 receivers; default 60 s)";
const { values: a } = parseArgs({
  options: {
    scenario: { type: "string", default: "random" },
    seed: { type: "string" },
    seconds: { type: "string" },
    receivers: { type: "string" },
    publishers: { type: "string", default: "2" },
    "fault-min": { type: "string", default: "50" },
    "fault-max": { type: "string", default: "500" },
    rate: { type: "string", default: "1000" },
    "cut-min": { type: "string", default: "100" },
    "cut-max": { type: "string", default: "500" },
    protocol: { type: "string", default: "json-reliable" },
    client: { type: "string", default: "both" },
    sequential: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}
const fail = (msg) => {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
};
const int = (name, v, min) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}`);
  return n;
};
if (!["random", "flapping", "both"].includes(a.scenario)) fail("--scenario must be random, flapping or both");
if (!["both", "ours", "official"].includes(a.client)) fail("--client must be both, ours or official");
const seed = a.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int("seed", a.seed, 0);
const log = (line) => console.log(line);

const chaos = await importTs("test/chaos/scenario.ts", "chaos");
const flapping = await importTs("test/chaos/flapping.ts", "chaos-flapping");
if (!chaos.isChaosProtocol(a.protocol)) fail(`--protocol must be one of ${Object.keys(chaos.CHAOS_PROTOCOLS).join(", ")}`);
const adapters = a.client === "both" ? [chaos.oursAdapter, chaos.officialAdapter] : [a.client === "ours" ? chaos.oursAdapter : chaos.officialAdapter];
const run = async (fn) => {
  if (a.sequential) {
    const out = [];
    for (const adapter of adapters) out.push(await fn(adapter));
    return out;
  }
  return Promise.all(adapters.map(fn));
};
const how = adapters.length > 1 ? (a.sequential ? " (one after the other)" : " (side by side, each on its own emulator)") : "";
console.log(`chaos: seed ${seed} (replay with --seed ${seed}); scenario ${a.scenario}; protocol ${a.protocol}; clients: ${adapters.map((x) => x.name).join(", ")}${how}`);

// The options every scenario reads (its own defaults), and its `--<flag>-min` / `--<flag>-max`
// pair in ms (max >= min) as `<flag>MinMs` / `<flag>MaxMs`.
const shared = (seconds, receivers) => ({ seconds: int("seconds", a.seconds ?? seconds, 1), receivers: int("receivers", a.receivers ?? receivers, 1) });
const range = (flag) => {
  const min = int(`${flag}-min`, a[`${flag}-min`], 1);
  const max = int(`${flag}-max`, a[`${flag}-max`], 1);
  if (max < min) fail(`--${flag}-max must be >= --${flag}-min`);
  return { [`${flag}MinMs`]: min, [`${flag}MaxMs`]: max };
};

// Each scenario: its options (checked before anything runs), its runner and its printers.
const SCENARIOS = {
  random: () => ({
    title: "random faults", verdict: "random faults", run: chaos.runChaos, format: chaos.formatReport, compare: chaos.formatComparison, failed: chaos.chaosFailed,
    options: { ...shared("300", "4"), publishers: int("publishers", a.publishers, 1), ...range("fault") },
  }),
  flapping: () => ({
    title: "sustained flapping", verdict: "flapping", run: flapping.runFlapping, format: flapping.formatFlapping, compare: flapping.formatFlappingComparison, failed: flapping.flappingFailed,
    options: { ...shared("60", "3"), ratePerSec: int("rate", a.rate, 1), ...range("cut") },
  }),
};
const scenarios = (a.scenario === "both" ? ["random", "flapping"] : [a.scenario]).map((name) => SCENARIOS[name]());

const verdicts = [];
for (const s of scenarios) {
  const reports = await run((adapter) => s.run({ seed, protocol: a.protocol, ...s.options, log, adapter }));
  for (const r of reports) console.log(`\n${s.format(r)}`);
  console.log(`\n${s.title}, side by side:\n${s.compare(reports)}`);
  const ours = reports.find((r) => r.client === "ours");
  if (ours) verdicts.push(`${s.verdict}: ours ${s.failed(ours) ? "FAILED" : "PASSED"}`);
}
const failed = verdicts.some((v) => v.endsWith("FAILED"));
if (verdicts.length) console.log(`\n${verdicts.join("; ")} (zero abandoned sessions, lost, duplicated, out of order and unexpected session ends required)`);
process.exit(failed ? 1 : 0);

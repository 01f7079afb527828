// Hostile neighbours, measured: each attack runs alone against one local service (in a child
// process) while a well-behaved client on another hub keeps a round trip going. Prints the good
// client's worst round trip, lost round trips, the service's peak RSS and whether it survived.
//
//   node scripts/hostile-neighbours.mjs                       # this checkout's emulator/
//   node scripts/hostile-neighbours.mjs --ref 4c4120e         # the emulator/ of a commit (before/after)
//   node scripts/hostile-neighbours.mjs --attack fake-acks --seconds 15
//   node scripts/hostile-neighbours.mjs --all-at-once         # every attack together
//   --intensity N scales the flood rates (default 5; npm test's hostile-neighbours test runs 1)
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { importTs } from "./bundle-ts.mjs";

const { values } = parseArgs({
  options: {
    ref: { type: "string" },
    attack: { type: "string", multiple: true },
    seconds: { type: "string", default: "10" },
    intensity: { type: "string", default: "5" },
    "all-at-once": { type: "boolean", default: false },
    "rss-limit-mb": { type: "string", default: "1536" },
  },
});

const root = resolve(".");
const { runScenario, bundleService, ATTACKS } = await importTs("test/emulator/hostile/harness.ts", "hostile-harness");
let entry = join(root, "emulator", "index.ts");
let tmp;
if (values.ref) {
  tmp = mkdtempSync(join(tmpdir(), "hostile-ref-"));
  execSync(`git archive ${values.ref} emulator | tar -x -C ${tmp}`, { stdio: "inherit" });
  entry = join(tmp, "emulator", "index.ts");
}
const outDir = join(root, "node_modules", ".cache", "webpubsub-scripts"); // bundleService creates it
const module = await bundleService(entry, outDir, values.ref ? `hostile-service-${values.ref}` : "hostile-service");
const attackerModule = await bundleService(join(root, "test", "emulator", "hostile", "attacker-child.ts"), outDir, "hostile-attackers");
const label = values.ref ? `emulator/ at ${values.ref}` : "emulator/ of this checkout";
const names = values.attack ?? Object.keys(ATTACKS);
const groups = values["all-at-once"] ? [names] : names.map((n) => [n]);
const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;
console.log(`${label}; ${values.seconds} s per run, intensity ${values.intensity}; node ${process.version}`);
console.log("| attack | good client worst round trip | round trips (lost) | service peak RSS (baseline) | service survived |");
console.log("|---|---|---|---|---|");
for (const attacks of groups) {
  const r = await runScenario({ module, attackerModule, attacks, intensity: Number(values.intensity), durationMs: Number(values.seconds) * 1000, rssLimitBytes: Number(values["rss-limit-mb"]) * 1024 * 1024 });
  const worst = r.good.worstMs >= 1000 ? `${(r.good.worstMs / 1000).toFixed(1)} s` : `${r.good.worstMs.toFixed(0)} ms`;
  const survived = r.alive ? "yes" : r.killedForMemory ? `no: killed past ${values["rss-limit-mb"]} MB RSS` : `no (${r.exit ?? "exited"})`;
  console.log(`| ${attacks.join(" + ")} | ${worst} | ${r.good.roundTrips} (${r.good.lost}) | ${mb(r.peakRss)} (${mb(r.baselineRss)}) | ${survived} |`);
  if (process.env.HN_VERBOSE) console.log(JSON.stringify(r.stats), r.leftover);
}
if (tmp) rmSync(tmp, { recursive: true, force: true });
for (const file of [module, attackerModule]) rmSync(file, { force: true });
process.exit(0);

// The resilience rows of `npm run bench` (issue 9), each in its own module:
//   flapping  (bench/flapping.mjs)  delivered msg/s per receiver under sustained flapping
//   blackhole (bench/blackhole.mjs) seconds to be back after a blackholed link, idle / pending
//   storm     (bench/storm.mjs)     connections opened in 10 s against a server that closes 1008 at once
// `npm run bench -- --only flapping,blackhole,storm` runs only these (any subset), quickly;
// a full `npm run bench` runs them after the other rows (BENCH_RESILIENCE=none skips them).
import { blackholeRows } from "./blackhole.mjs";
import { flappingRows } from "./flapping.mjs";
import { stormRows } from "./storm.mjs";

export const RESILIENCE_ROWS = { flapping: flappingRows, blackhole: blackholeRows, storm: stormRows };

function parseOnly(argv) {
  const i = argv.indexOf("--only");
  if (i < 0) return undefined;
  const names = (argv[i + 1] ?? "").split(",").filter(Boolean);
  const unknown = names.filter((n) => !(n in RESILIENCE_ROWS));
  if (names.length === 0 || unknown.length) {
    console.error(`--only takes a comma-separated list of: ${Object.keys(RESILIENCE_ROWS).join(", ")}`);
    process.exit(2);
  }
  return names;
}

/** The rows asked for with `--only`, or undefined for a full bench run. */
export const resilienceOnly = parseOnly(process.argv);

/** Runs the rows; returns their markdown table (with a leading blank line) and any failures. */
export async function runResilience(names, log) {
  const rows = [];
  const failures = [];
  for (const name of names) {
    log(`resilience: ${name}`);
    for (const row of await RESILIENCE_ROWS[name](log)) {
      rows.push(row);
      failures.push(...row.failures);
    }
  }
  const lines = ["| resilience (issue 9) | ours | official | raw ws | target | holds |", "|---|---:|---:|---:|---|---|"];
  for (const r of rows) lines.push(`| ${r.label} | ${r.ours} | ${r.official} | ${r.raw} | ${r.target} | ${r.holds} |`);
  return { markdown: `\n\n${lines.join("\n")}`, failures };
}

/** For `bench/run.mjs` after its own rows: the section to append to its table ("" when skipped). */
export async function resilienceSection(log) {
  const env = process.env.BENCH_RESILIENCE ?? Object.keys(RESILIENCE_ROWS).join(",");
  if (env === "none") return "";
  const { markdown, failures } = await runResilience(env.split(",").filter((n) => n in RESILIENCE_ROWS), log);
  for (const f of failures) log(`resilience failure: ${f}`);
  return markdown;
}

/** `--only`: runs just those rows, prints the table, and returns the exit code. */
export async function runOnly(names) {
  const started = performance.now();
  const log = (line) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  const { markdown, failures } = await runResilience(names, log);
  console.log(markdown);
  if (failures.length) console.log(`\nFailures:\n${failures.map((f) => `- ${f}`).join("\n")}`);
  console.log(`\nresilience rows took ${((performance.now() - started) / 1000).toFixed(0)} s (not written to bench/RESULTS.md; a full \`npm run bench\` writes them)`);
  return failures.length ? 1 : 0;
}

// Bench row (issue 9): delivered messages a second per receiver under sustained flapping.
// Runs the flapping scenario (test/chaos/flapping.ts: every link cut 100–500 ms after it
// opens, a publisher offering 1,000 acked group messages a second, 3 reliable receivers) for
// BENCH_FLAPPING_SECONDS (default 20), ours then the official, each in its own process.
// Reported: the slowest receiver's first deliveries per second while the links were being
// cut, and the sessions the client abandoned while the service still held them. "ours" here
// is src/ bundled by esbuild (scripts/bundle-ts.mjs), the same code as dist/. Raw `ws` is not
// measured: the bare client resends nothing after a drop.
import { isChild, reportFromChild, runInChild } from "./child.mjs";

const SECONDS = Number(process.env.BENCH_FLAPPING_SECONDS ?? 20);
const RATE = 1000;

async function measure(kind) {
  const { importTs } = await import("../scripts/bundle-ts.mjs");
  const chaos = await importTs("test/chaos/scenario.ts", "bench-chaos");
  const flapping = await importTs("test/chaos/flapping.ts", "bench-flapping");
  const adapter = kind === "ours" ? chaos.oursAdapter : chaos.officialAdapter;
  const r = await flapping.runFlapping({ adapter, seed: 9, seconds: SECONDS, ratePerSec: RATE, settleMs: 10_000 });
  const { receivers, examples, ...summary } = r;
  return { ...summary, perReceiver: receivers.map((x) => x.deliveredPerSec) };
}

/** Runs the row; returns table rows for bench/resilience.mjs. */
export async function flappingRows(log) {
  const results = {};
  for (const kind of ["ours", "official"]) {
    try {
      const r = await runInChild(import.meta.url, [kind], SECONDS * 1000 + 120_000);
      results[kind] = r;
      log(
        `  flapping ${kind.padEnd(8)} delivered/s per receiver ${r.perReceiver.map((x) => Math.round(x)).join(", ")} (publisher acked ${Math.round(r.ackedPerSec)}/s of ${RATE} offered); ` +
          `abandoned ${r.abandonedSessions}, lost ${r.lost}, duplicated ${r.duplicated}, out of order ${r.outOfOrder}, unexpected session ends ${r.unexpectedSessionEnds}; cuts ${r.cuts}, recoveries ${r.recoveries}, new connections ${r.newConnections}`,
      );
    } catch (e) {
      results[kind] = { error: e.message };
      log(`  flapping ${kind.padEnd(8)} FAILED: ${e.message.split("\n")[0]}`);
    }
  }
  const { ours, official } = results;
  const rate = (r) => (r.error ? "failed" : `${Math.round(r.minDeliveredPerSec).toLocaleString("en-US")} (${(r.minDeliveredPerSec / RATE).toFixed(2)}×)`);
  const abandoned = (r) => (r.error ? "failed" : `${r.abandonedSessions} (lost ${r.lost}, dup ${r.duplicated}, order ${r.outOfOrder})`);
  const failures = Object.entries(results).filter(([, r]) => r.error).map(([k, r]) => `flapping ${k}: ${r.error}`);
  return [
    {
      label: `delivered msg/s per receiver under sustained flapping (slowest of 3; publisher offers ${RATE}/s; ${SECONDS} s)`,
      ours: rate(ours),
      official: rate(official),
      raw: "n/a (no resend)",
      target: `≥ 0.9× ${RATE}`,
      holds: ours.error ? "n/a" : ours.minDeliveredPerSec >= 0.9 * RATE ? "yes" : "**no**",
      failures,
    },
    {
      label: "under flapping: sessions abandoned while the service held them (lost, dup, order)",
      ours: abandoned(ours),
      official: abandoned(official),
      raw: "n/a",
      target: "0 (and 0 lost, dup, order)",
      holds: ours.error ? "n/a" : ours.abandonedSessions + ours.lost + ours.duplicated + ours.outOfOrder === 0 ? "yes" : "**no**",
      failures: [],
    },
  ];
}

if (isChild(import.meta.url)) await reportFromChild(() => measure(process.argv[2]));

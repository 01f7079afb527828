// Issue 9, sustained flapping inside `npm test`: every link cut 100–500 ms after it opens for
// 20 s, a publisher offering 1,000 acked group messages a second, 3 reliable receivers; every
// recovery can succeed. Our client must abandon no session and lose, double and reorder
// nothing. The official client runs beside it (own emulator, same seed): its numbers are
// printed for comparison, never asserted. Counts only: no timing is asserted.
// The long run: `npm run chaos -- --scenario flapping --seconds 60`.
// NOTE: this test FAILS on the core from before issue 9 (measured there: ~16,000 lost, 29
// sessions ended as SlowClient, 1 s recovery pacing); it is the proof that the issue-9 core
// rewrite (branch i9core) fixes it, and passes once that is merged.
import { expect, it } from "vitest";
import { flappingFailed, formatFlapping, formatFlappingComparison, runFlapping } from "./flapping";
import { officialAdapter, oursAdapter, type ChaosProtocol } from "./scenario";

const SEED = Number(process.env.CHAOS_SEED ?? 9009);
const SECONDS = Number(process.env.FLAPPING_SECONDS ?? 20);
const PROTOCOL = (process.env.CHAOS_PROTOCOL ?? "json-reliable") as ChaosProtocol;

it(`our client keeps every session through ${SECONDS} s of sub-second cuts at 1,000 msg/s (${PROTOCOL}, seed ${SEED})`, async () => {
  const common = { protocol: PROTOCOL, seed: SEED, seconds: SECONDS, receivers: 3, ratePerSec: 1000, settleMs: 5000 };
  const [ours, official] = await Promise.all([runFlapping({ ...common, adapter: oursAdapter }), runFlapping({ ...common, adapter: officialAdapter })]);
  console.log(`${formatFlapping(ours)}\n\n${formatFlapping(official)}\n\n${formatFlappingComparison([ours, official])}`);
  expect({
    abandoned: ours.abandonedSessionDetails,
    lost: ours.lost,
    duplicated: ours.duplicated,
    outOfOrder: ours.outOfOrder,
    unexpectedEnds: ours.unexpectedSessionEndDetails,
    settled: ours.settled,
  }).toEqual({ abandoned: [], lost: 0, duplicated: 0, outOfOrder: 0, unexpectedEnds: [], settled: true });
  expect(flappingFailed(ours)).toBe(false);
  // the run did what it claims: links were cut and recovered, and every receiver was owed traffic
  expect(ours.cuts).toBeGreaterThan(SECONDS * 4);
  expect(ours.recoveries).toBeGreaterThan(SECONDS * 4);
  for (const r of ours.receivers) {
    expect(r.sessions).toBe(1);
    expect(r.required).toBeGreaterThan(1000);
  }
}, (SECONDS + 60) * 1000);

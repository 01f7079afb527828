// A short, fixed-seed chaos run on protobuf-reliable (the JSON-reliable one is test/chaos/):
// drops, lost acks, paused links and server closes, and our client still loses nothing,
// duplicates nothing and keeps order. Longer: `npm run chaos -- --protocol protobuf-reliable --client ours`.
import { expect, it } from "vitest";
import { formatReport, oursAdapter, runChaos } from "../chaos/scenario";

const SEED = 20261201;
const SECONDS = 10;

it(`protobuf-reliable: nothing lost, duplicated or reordered through ${SECONDS} s of faults (seed ${SEED})`, async () => {
  const report = await runChaos({ adapter: oursAdapter, protocol: "protobuf-reliable", seed: SEED, seconds: SECONDS, receivers: 2, publishers: 2, settleMs: 45_000 });
  console.log(formatReport(report));
  expect(report.protocol).toBe("protobuf-reliable");
  expect(report.settled).toBe(true);
  expect({ abandoned: report.abandonedSessionDetails, lost: report.lost, duplicated: report.duplicated, outOfOrder: report.outOfOrder, unexpected: report.unexpectedSessionEndDetails }).toEqual({
    abandoned: [],
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    unexpected: [],
  });
  expect(report.recoveries).toBeGreaterThan(0);
  expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
  for (const p of report.participants.filter((x) => x.role === "receiver")) expect(p.required).toBeGreaterThan(20);
  for (const p of report.publishers) expect(p.exactlyOncePairs).toBe(p.requiredPairs);
}, (SECONDS + 110) * 1000);

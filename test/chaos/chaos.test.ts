// A short, fixed-seed chaos run inside `npm test`: ~25 s of faults against our client.
// The long run (5 minutes, with the official client beside it) is `npm run chaos`.
import { expect, it } from "vitest";
import { formatReport, oursAdapter, runChaos } from "./scenario";

const SEED = Number(process.env.CHAOS_SEED ?? 20240605);
const SECONDS = Number(process.env.CHAOS_SECONDS ?? 25);

it(`our client loses nothing, duplicates nothing and keeps order through ${SECONDS} s of faults (seed ${SEED})`, async () => {
  const report = await runChaos({ adapter: oursAdapter, seed: SEED, seconds: SECONDS, receivers: 3, publishers: 2, settleMs: 45_000 });
  console.log(formatReport(report));
  expect(report.settled).toBe(true);
  expect({
    abandoned: report.abandonedSessionDetails,
    lost: report.lost,
    duplicated: report.duplicated,
    outOfOrder: report.outOfOrder,
    unexpected: report.unexpectedSessionEndDetails,
  }).toEqual({
    abandoned: [],
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    unexpected: [],
  });
  // the run did exercise something: every kind of fault, new connections, and real traffic
  for (const n of Object.values(report.faults)) expect(n).toBeGreaterThan(0);
  expect(report.faults.close1008).toBeGreaterThan(0);
  expect(report.recoveries).toBeGreaterThan(0);
  for (const p of report.participants.filter((x) => x.role === "receiver")) expect(p.required).toBeGreaterThan(100);
  for (const p of report.publishers) expect(p.exactlyOncePairs).toBe(p.requiredPairs);
}, (SECONDS + 110) * 1000);

// The oracle itself: a client that silently drops one message, delivers one twice and swaps
// two must be caught, or the zero counts above would prove nothing.
it("the scenario catches a client that loses, duplicates or reorders", async () => {
  let seen = 0;
  let held: unknown;
  const faulty: typeof oursAdapter = {
    name: "faulty",
    create(init) {
      if (init.userId !== "r0") return oursAdapter.create(init);
      return oursAdapter.create({
        ...init,
        onData(data) {
          seen++;
          if (seen === 20) return; // lost
          if (seen === 30) init.onData(data); // duplicated
          if (seen === 40) return void (held = data); // swapped with the next one from its publisher
          init.onData(data);
          if (held !== undefined && (held as { p: string }).p === (data as { p: string }).p) {
            init.onData(held);
            held = undefined;
          }
        },
      });
    },
  };
  // the first fault comes after 3 s, long after the tampered deliveries: all of them were owed
  const report = await runChaos({ adapter: faulty, seed: 7, seconds: 4, receivers: 2, publishers: 1, settleMs: 3000, faultMinMs: 3000, faultMaxMs: 3000 });
  const r0 = report.participants.find((p) => p.userId === "r0")!;
  expect(r0.lost).toBe(1);
  expect(r0.duplicated).toBe(1);
  expect(r0.outOfOrder).toBe(1);
  expect(report.participants.filter((p) => p.userId !== "r0").every((p) => p.lost + p.duplicated + p.outOfOrder === 0)).toBe(true);
}, 60_000);

// Property tests of the sequence tracker (src/core/sequence-acker.ts): for any order of ids a
// service could send (streams, resends after recovery, duplicates, gaps, jumps) it delivers
// each id at most once, never loses an id that is new, and keeps its acks inside the bound.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Timers } from "../../src/core/runtime.js";
import { ACK_INTERVAL_MS, ACK_JUMP, SequenceAcker } from "../../src/core/sequence-acker.js";

const SEED = 0x5eed;

/** Hand-driven timers: `run()` fires what is due. */
function manualTimers() {
  let now = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = nextId++;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  return {
    timers,
    get count() {
      return pending.size;
    },
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now && pending.has(id)) {
          pending.delete(id);
          t.fn();
        }
      }
    },
  };
}

type Step = { kind: "ids"; ids: number[] } | { kind: "tick"; ms: number } | { kind: "linkDown" } | { kind: "recovered" } | { kind: "writeFails"; fails: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 50 }).map((ids) => ({ kind: "ids" as const, ids })) },
  // a contiguous run, like a live stream or a resend of the unacked tail after recovery
  {
    weight: 5,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 700 })).map(([from, n]) => ({
      kind: "ids" as const,
      ids: Array.from({ length: n }, (_, i) => from + i),
    })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3000 }).map((ms) => ({ kind: "tick" as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: "linkDown" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "recovered" as const }) },
  { weight: 1, arbitrary: fc.boolean().map((fails) => ({ kind: "writeFails" as const, fails })) },
);

describe("SequenceAcker", () => {
  it("never delivers an id twice, never drops a new id, acks never exceed what arrived", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const t = manualTimers();
        const acks: number[] = [];
        let writeFails = false;
        const acker = new SequenceAcker(t.timers, {
          sendRaw: (m) => {
            if (writeFails) return false;
            acks.push((m as { sequenceId: number }).sequenceId);
            return true;
          },
        });
        const delivered = new Set<number>();
        let largest = 0;
        let lastAcked = 0;
        for (const s of steps) {
          switch (s.kind) {
            case "ids":
              for (const id of s.ids) {
                const ok = acker.accept(id);
                // exactly the ids above everything seen are delivered
                check(ok === id > largest, `accept(${id}) returned ${ok} with largest ${largest}`);
                if (ok) {
                  check(!delivered.has(id), `${id} delivered twice`);
                  delivered.add(id);
                  largest = id;
                  // a new id with a writable link: the unacked distance stays under the bound
                  if (!writeFails) check(largest - lastOf(acks, 0) < ACK_JUMP, `${largest} received but only ${lastOf(acks, 0)} acked`);
                }
              }
              break;
            case "tick":
              t.advance(s.ms);
              break;
            case "linkDown":
              acker.cancel();
              break;
            case "recovered":
              acker.flush(true);
              break;
            case "writeFails":
              writeFails = s.fails;
              break;
          }
          expect(acker.lastReceived).toBe(largest);
          expect(t.count).toBeLessThanOrEqual(1); // one timer at most
          // acks only name ids that arrived, and never go backwards
          const latest = lastOf(acks, 0);
          expect(latest).toBeLessThanOrEqual(largest);
          expect(latest).toBeGreaterThanOrEqual(lastAcked);
          lastAcked = latest;
        }
        // with writes working and a second passing, the largest id is acknowledged
        writeFails = false;
        acker.accept(largest + 1);
        t.advance(ACK_INTERVAL_MS);
        expect(acks[acks.length - 1]).toBe(largest + 1);
        expect(t.count).toBe(0);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("after reset (a brand-new connection) ids start over and are delivered again once", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 40 }), { maxLength: 5 }), (connections) => {
        const t = manualTimers();
        const acker = new SequenceAcker(t.timers, { sendRaw: () => true });
        for (const ids of connections) {
          acker.reset();
          expect(t.count).toBe(0);
          const seen = new Set<number>();
          let max = 0;
          for (const id of ids) {
            const ok = acker.accept(id);
            expect(ok).toBe(id > max);
            if (ok) {
              expect(seen.has(id)).toBe(false);
              seen.add(id);
              max = id;
            }
          }
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function lastOf(acks: number[], fallback: number): number {
  return acks.length ? acks[acks.length - 1]! : fallback;
}

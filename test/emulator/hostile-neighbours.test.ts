/**
 * Hostile neighbours: every attack of issue 10 at once (oversized fields, fake acks while not
 * reading, application and WebSocket ping floods, upstream floods, slowloris), against one
 * service in a child process, while a well-behaved client on another hub keeps a round trip
 * going. Its round trips stay under a second, none is lost, the service's memory stays under
 * the bound below, and the process stays up. Per-attack numbers, before and after:
 * `node scripts/hostile-neighbours.mjs [--ref <commit>]`.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, test } from "vitest";
import { ATTACKS, bundleService, runScenario } from "./hostile/harness";

const root = resolve(__dirname, "../..");
/** The service's peak RSS under all the attacks together (its idle RSS is about 60 MB). */
const PEAK_RSS_BOUND = 400 * 1024 * 1024;
const ATTACK_MS = 8000;

test(
  "a well-behaved client keeps its round trips under a second while every attack runs against the same service",
  async () => {
    const outDir = join(root, "node_modules", ".cache", "webpubsub-scripts");
    const module = await bundleService(join(root, "emulator", "index.ts"), outDir, "hostile-service");
    const attackerModule = await bundleService(join(root, "test", "emulator", "hostile", "attacker-child.ts"), outDir, "hostile-attackers");
    let report;
    try {
      report = await runScenario({ module, attackerModule, attacks: Object.keys(ATTACKS).filter((a) => a !== "idle"), durationMs: ATTACK_MS, maxOldSpaceMb: 256 });
    } finally {
      for (const file of [module, attackerModule]) rmSync(file, { force: true });
    }
    const summary = JSON.stringify({ ...report, peakMb: Math.round(report.peakRss / 1024 / 1024) });
    console.log(`hostile neighbours: worst round trip ${report.good.worstMs.toFixed(0)} ms over ${report.good.roundTrips}, lost ${report.good.lost}; service peak RSS ${Math.round(report.peakRss / 1024 / 1024)} MB`);
    // the attacks did happen
    expect(report.stats.frames, summary).toBeGreaterThan(0);
    expect(report.stats.fakeAcks, summary).toBeGreaterThan(0);
    expect(report.stats.broadcasts, summary).toBeGreaterThan(0);
    expect(report.stats.pings, summary).toBeGreaterThan(0);
    expect(report.stats.wsPings, summary).toBeGreaterThan(0);
    expect(report.stats.events, summary).toBeGreaterThan(0);
    expect(report.stats.slowFrameBytes, summary).toBeGreaterThan(0);
    // the neighbour did not notice
    expect(report.good.closed, summary).toBeUndefined();
    expect(report.good.roundTrips, summary).toBeGreaterThan(20);
    expect(report.good.lost, summary).toBe(0);
    expect(report.good.worstMs, summary).toBeLessThan(1000);
    // the service survived, within its memory bound, and let go of every attacker
    expect(report.alive, summary).toBe(true);
    expect(report.peakRss, summary).toBeLessThan(PEAK_RSS_BOUND);
    expect(report.leftover, summary).toBe(0);
  },
  40_000,
);

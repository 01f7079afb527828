/**
 * Runs attacks against one local service (in a child process) while a well-behaved client on
 * another hub keeps a round trip going, and reports what that client saw and the service's memory.
 * Used by `hostile-neighbours.test.ts` and by `scripts/hostile-neighbours.mjs` (before/after numbers).
 */
import { fork } from "node:child_process";
import { ATTACK_HUB, ATTACKS } from "./attacks";
import { GoodClient, type RoundTripReport } from "./good-client";
import { ServiceChild } from "./service-child";

export { ATTACKS } from "./attacks";
export { bundleService } from "./service-child";

export interface ScenarioOptions {
  /** The bundled service module (see `bundleService`). */
  module: string;
  /** The bundled `attacker-child.ts`. */
  attackerModule: string;
  attacks: string[];
  durationMs: number;
  /** Scales the flood rates (default 1). */
  intensity?: number;
  /** The child is killed (and reported) once its RSS passes this. Default 1.5 GB. */
  rssLimitBytes?: number;
  maxOldSpaceMb?: number;
  /** How long the event handler takes to answer a user event. Default 200 ms. */
  handlerDelayMs?: number;
  log?: (line: string) => void;
}

export interface ScenarioReport {
  attacks: string[];
  good: RoundTripReport;
  baselineRss: number;
  peakRss: number;
  /** The service process was still running at the end (and not killed by the harness). */
  alive: boolean;
  killedForMemory: boolean;
  exit?: string;
  stats: Record<string, number>;
  /** Service connections left once the attackers were gone (the good client's excluded). */
  leftover?: number;
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioReport> {
  for (const name of o.attacks) if (!ATTACKS[name]) throw new Error(`unknown attack '${name}' (known: ${Object.keys(ATTACKS).join(", ")})`);
  const attackers = fork(o.attackerModule, [], { env: { ...process.env, HN_HANDLER_DELAY_MS: String(o.handlerDelayMs ?? 200) }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const attackersDone = new Promise<{ stats: Record<string, number>; errors: string[] }>((resolve) => {
    attackers.on("message", (m: { op: string; stats: Record<string, number>; errors: string[] }) => m.op === "done" && resolve(m));
    attackers.once("exit", () => resolve({ stats: {}, errors: ["the attacker process exited without a report"] }));
  });
  const handlerUrl = await new Promise<string>((resolve, reject) => {
    attackers.on("message", (m: { op: string; url: string }) => m.op === "handler" && resolve(m.url));
    attackers.once("exit", () => reject(new Error("the attacker process exited before starting")));
  });
  let svc: ServiceChild;
  try {
    svc = await ServiceChild.start({ module: o.module, options: { eventHandler: handlerUrl, sessionTtlMs: 1000 }, ...(o.maxOldSpaceMb ? { maxOldSpaceMb: o.maxOldSpaceMb } : {}) });
  } catch (err) {
    attackers.kill();
    throw err;
  }
  const rssLimit = o.rssLimitBytes ?? 1.5 * 1024 ** 3;
  let killedForMemory = false;
  let peakRss = 0;
  const sampler = setInterval(() => {
    const m = svc.memory();
    peakRss = Math.max(peakRss, m.peak);
    if (m.rss > rssLimit && svc.alive) {
      killedForMemory = true;
      svc.child.kill("SIGKILL");
    }
  }, 50);
  try {
    const good = await GoodClient.connect(await svc.url("neighbours", { userId: "good", roles: ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"] }));
    const baselineRss = svc.memory().rss;
    good.start();
    const attackUrl = await svc.url(ATTACK_HUB, { expiresInMinutes: 30 });
    attackers.send({ op: "attack", attacks: o.attacks, durationMs: o.durationMs, intensity: o.intensity ?? 1, url: attackUrl, endpoint: svc.endpoint, accessKey: svc.accessKey });
    const result = await attackersDone;
    for (const e of result.errors) o.log?.(`attack failed: ${e}`);
    const stats = result.stats;
    const report = await good.stop(svc.alive ? 5000 : 0);
    // the attackers are gone: their connections must go too (closes take 2 s at most; sessions 1 s)
    const leftover = svc.alive ? await svc.drained(3000) : undefined;
    peakRss = Math.max(peakRss, svc.memory().peak);
    const alive = svc.alive && !killedForMemory;
    return {
      attacks: o.attacks,
      good: report,
      baselineRss,
      peakRss,
      alive,
      killedForMemory,
      ...(svc.exited ? { exit: `${svc.exited.code ?? ""}${svc.exited.signal ?? ""} ${svc.stderr.slice(-300)}` } : {}),
      stats,
      ...(leftover === undefined ? {} : { leftover }),
    };
  } finally {
    clearInterval(sampler);
    attackers.kill();
    await svc.stop();
  }
}

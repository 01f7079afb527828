/**
 * Sustained flapping (issue 9): every link, the receivers' and the publisher's, is cut
 * (abrupt socket drop, no close frame) 100–500 ms after it opens, for the whole run. The
 * service keeps every session (a drop is never a 1008), so every recovery the client tries
 * succeeds: a client that loses, doubles or reorders anything here, or starts a brand-new
 * connection while the service still holds its session, is wrong, not unlucky.
 *
 * One publisher sends acked `sendToGroup` at a fixed offered rate (default 1,000 a second,
 * up to `maxInFlight` sends outstanding) to a group of reliable receivers (default 3). What a
 * receiver is owed is decided as in scenario.ts: a receiver whose connection id was in the
 * group both just before the send and when its ack came back must get it exactly once, in
 * publisher order. A session that ends anyway (SlowClient, expiry) is an unexpected end, and
 * what it was owed and never got counts as lost.
 *
 * Used three ways: `npm test` (test/chaos/flapping.test.ts, 20 s), `npm run chaos --
 * --scenario flapping` (60 s and more) and the bench's flapping row (bench/flapping.mjs).
 * The client protocol is a parameter (`protocol`, a CHAOS_PROTOCOLS name).
 */
import { EventEmitter } from "node:events";
import { startEmulator, testHooks, type Emulator } from "../../emulator/index";
import { watchAbandoned } from "./abandoned";
import type { ChaosProtocol } from "./protocols";
import { chaosFailed, mulberry32, table, withTimeout, type ChaosClient, type ClientAdapter } from "./scenario";
import { settleDeliveries } from "./settle.js";

export interface FlappingOptions {
  adapter: ClientAdapter;
  /** Default "json-reliable". */
  protocol?: ChaosProtocol;
  seed: number;
  /** How long links are cut. */
  seconds: number;
  /** Default 3. */
  receivers?: number;
  /** Offered publish rate, acked sends a second (default 1000). */
  ratePerSec?: number;
  /** Sends outstanding at most (default 200); the publisher waits beyond that. */
  maxInFlight?: number;
  /** A link is cut between cutMinMs and cutMaxMs after it opens (defaults 100, 500). */
  cutMinMs?: number;
  cutMaxMs?: number;
  /** The client's ack timeout (ours) / the send's abort bound (official: 4×). Default 3000. */
  ackTimeoutMs?: number;
  /** How long, after the cuts stop, everything owed may take to arrive (default 30000). */
  settleMs?: number;
  progressEveryMs?: number;
  log?: (line: string) => void;
}

export interface FlappingReceiver {
  userId: string;
  /** Connections the service saw for this client (1 = never started over). */
  sessions: number;
  required: number;
  delivered: number;
  /** First deliveries while the links were being cut, per second. */
  deliveredPerSec: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

export interface FlappingReport {
  client: string;
  protocol: ChaosProtocol;
  seed: number;
  seconds: number;
  ratePerSec: number;
  cuts: number;
  recoveries: number;
  /** From a link's drop to its session's recovery at the service, ms (median, 99th percentile, max). */
  recoveryMs: { p50: number; p99: number; max: number };
  newConnections: number;
  published: number;
  acked: number;
  failedSends: number;
  /** Sends acknowledged while the links were being cut, per second. */
  ackedPerSec: number;
  required: number;
  delivered: number;
  /** The slowest receiver's deliveredPerSec. */
  minDeliveredPerSec: number;
  abandonedSessions: number;
  abandonedSessionDetails: string[];
  lost: number;
  duplicated: number;
  outOfOrder: number;
  unexpectedSessionEnds: number;
  unexpectedSessionEndDetails: string[];
  settled: boolean;
  settledInMs: number;
  receivers: FlappingReceiver[];
  examples: string[];
}

const HUB = "flapping";
const GROUP = "flap";
const PUBLISHER = "pub";
const ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

interface Inbox {
  counts: Map<number, number>;
  last: number;
  delivered: number;
  firstDuringCuts: number;
  duplicated: number;
  outOfOrder: number;
}

export async function runFlapping(options: FlappingOptions): Promise<FlappingReport> {
  const o = {
    protocol: "json-reliable" as ChaosProtocol,
    receivers: 3,
    ratePerSec: 1000,
    maxInFlight: 200,
    cutMinMs: 100,
    cutMaxMs: 500,
    ackTimeoutMs: 3000,
    settleMs: 30_000,
    progressEveryMs: 10_000,
    log: (_: string) => {},
    ...options,
  };
  const log = (line: string): void => o.log(`[${o.adapter.name} flapping] ${line}`);
  const random = mulberry32(o.seed);
  const emu: Emulator = await startEmulator({ port: 0 });
  const hooks = testHooks(emu);
  const events = emu.events as EventEmitter;
  const abandoned = watchAbandoned(emu, HUB);
  const started = Date.now();
  const at = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const examples: string[] = [];
  const example = (line: string): void => void (examples.length < 20 && examples.push(`${at()} ${line}`));

  // ---- the cuts: each link dies 100–500 ms after it opens ----
  let cutting = false;
  let ending = false;
  let cuts = 0;
  let recoveries = 0;
  let newConnections = 0;
  const sessionsOf = new Map<string, number>();
  const unexpectedEnds: string[] = [];
  /** connectionId → generation of its current link; a timer only cuts the link it was set for. */
  const generation = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const armCut = (connectionId: string): void => {
    if (!cutting) return;
    const gen = generation.get(connectionId) ?? 0;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!cutting || generation.get(connectionId) !== gen || !hooks.attached(connectionId)) return;
        cuts++;
        emu.faults.drop(connectionId);
      },
      o.cutMinMs + Math.floor(random() * (o.cutMaxMs - o.cutMinMs + 1)),
    );
    timers.add(timer);
  };
  const bump = (id: string): void => void generation.set(id, (generation.get(id) ?? 0) + 1);
  const onConnect = (e: { connectionId: string; userId?: string }): void => {
    newConnections++;
    if (e.userId) sessionsOf.set(e.userId, (sessionsOf.get(e.userId) ?? 0) + 1);
    bump(e.connectionId);
    armCut(e.connectionId);
  };
  const onRecover = (e: { connectionId: string }): void => {
    recoveries++;
    const t = droppedAt.get(e.connectionId);
    if (t !== undefined && cutting) recoveryTimes.push(performance.now() - t);
    droppedAt.delete(e.connectionId);
    bump(e.connectionId);
    armCut(e.connectionId);
  };
  const droppedAt = new Map<string, number>();
  const recoveryTimes: number[] = [];
  const onDrop = (e: { connectionId: string }): void => {
    bump(e.connectionId);
    droppedAt.set(e.connectionId, performance.now());
  };
  const onDisconnect = (e: { connectionId: string; userId?: string }): void => {
    bump(e.connectionId);
    if (!ending) unexpectedEnds.push(`${at()} ${e.userId ?? "?"} ${e.connectionId}`);
  };
  events.on("connect", onConnect);
  events.on("recover", onRecover);
  events.on("drop", onDrop);
  events.on("disconnect", onDisconnect);

  // ---- participants ----
  const receiverIds = Array.from({ length: o.receivers }, (_, i) => `r${i}`);
  const inboxes = new Map<string, Inbox>();
  let deliveryListener: (() => void) | undefined;
  const receive = (userId: string, box: Inbox, data: unknown): void => {
    const d = data as { p?: unknown; n?: unknown } | null;
    if (!d || typeof d !== "object" || d.p !== PUBLISHER || typeof d.n !== "number") return example(`${userId} got an unexpected payload ${JSON.stringify(data)}`);
    box.delivered++;
    const times = (box.counts.get(d.n) ?? 0) + 1;
    box.counts.set(d.n, times);
    if (times > 1) {
      box.duplicated++;
      example(`${userId} got #${d.n} ${times} times`);
    } else {
      if (cutting) box.firstDuringCuts++;
      if (d.n < box.last) {
        box.outOfOrder++;
        example(`${userId} got #${d.n} after #${box.last}`);
      }
    }
    box.last = Math.max(box.last, d.n);
    deliveryListener?.();
  };
  const clients = new Map<string, ChaosClient>();
  for (const userId of [...receiverIds, PUBLISHER]) {
    const box: Inbox = { counts: new Map(), last: 0, delivered: 0, firstDuringCuts: 0, duplicated: 0, outOfOrder: 0 };
    if (userId !== PUBLISHER) inboxes.set(userId, box);
    clients.set(
      userId,
      o.adapter.create({
        userId,
        getClientAccessUrl: () => emu.getClientAccessUrl(HUB, { userId, roles: ROLES }),
        ackTimeoutMs: o.ackTimeoutMs,
        protocol: o.protocol,
        onData: (data) => receive(userId, box, data),
        onConnected: () => {},
        onDisconnected: () => {},
      }),
    );
  }
  const members = (): Map<string, string> => {
    const m = new Map<string, string>();
    for (const c of emu.connections(HUB)) if (c.userId && c.groups.includes(GROUP)) m.set(c.connectionId, c.userId);
    return m;
  };

  const published: Array<{ n: number; must: string[] }> = [];
  let sent = 0;
  let acked = 0;
  let ackedDuringCuts = 0;
  let failed = 0;
  let inFlight = 0;
  let pumpTimer: NodeJS.Timeout | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  const inFlightDone: Array<() => void> = [];
  try {
    log(`seed ${o.seed}, ${o.seconds} s, every link cut ${o.cutMinMs}-${o.cutMaxMs} ms after it opens, ${o.receivers} receivers, publisher at ${o.ratePerSec} msg/s (${o.protocol})`);
    await Promise.all([...clients.values()].map((c) => c.start()));
    await Promise.all(receiverIds.map((id) => clients.get(id)!.joinGroup(GROUP)));

    // ---- publish at the offered rate, cutting every link meanwhile ----
    const publisher = clients.get(PUBLISHER)!;
    const send = (n: number): void => {
      const before = members();
      sent++;
      inFlight++;
      publisher.sendToGroup(GROUP, { p: PUBLISHER, n }).then(
        () => {
          acked++;
          if (cutting) ackedDuringCuts++;
          const after = members();
          const must = new Set<string>();
          for (const [id, user] of before) if (after.has(id)) must.add(user);
          published.push({ n, must: [...must] });
        },
        () => void failed++, // not acknowledged: may or may not have been delivered, never twice
      ).finally(() => {
        inFlight--;
        inFlightDone.shift()?.();
      });
    };
    cutting = true;
    for (const c of emu.connections(HUB)) if (c.connected) armCut(c.connectionId);
    const cutsStart = performance.now();
    const cutsUntil = cutsStart + o.seconds * 1000;
    let n = 0;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        const now = performance.now();
        if (now >= cutsUntil) return resolve();
        const due = Math.floor(((now - cutsStart) / 1000) * o.ratePerSec);
        while (n < due && inFlight < o.maxInFlight) send(++n);
        pumpTimer = setTimeout(pump, 5);
      };
      pump();
      progressTimer = setInterval(() => {
        let delivered = 0;
        for (const b of inboxes.values()) delivered += b.delivered;
        log(`${at()} cuts ${cuts}, recoveries ${recoveries}, new connections ${newConnections}, abandoned ${abandoned.list.length} | sent ${sent} (acked ${acked}, failed ${failed}, in flight ${inFlight}) | delivered ${delivered}`);
      }, o.progressEveryMs);
    });
    const cutSeconds = (performance.now() - cutsStart) / 1000;
    cutting = false;
    clearTimeout(pumpTimer);
    clearInterval(progressTimer);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    // let the sends in flight finish (acked, or given up on)
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => (inFlight === 0 ? resolve() : void inFlightDone.push(check));
        check();
      }),
      o.ackTimeoutMs * 5 + 10_000,
      undefined,
    );
    log(`${at()} cuts stopped; waiting up to ${o.settleMs} ms for everything owed to arrive`);

    // ---- settle: only a delivery can lower what is outstanding ----
    const outstanding = (): number => {
      let missing = 0;
      for (const m of published) for (const user of m.must) if (!inboxes.get(user)!.counts.has(m.n)) missing++;
      return missing;
    };
    const settleStart = Date.now();
    const settled = await settleDeliveries(outstanding, o.settleMs, (hook) => (deliveryListener = hook));
    const settledInMs = Date.now() - settleStart;
    ending = true;

    // ---- report ----
    const required = new Map<string, number>();
    const lost = new Map<string, number>();
    for (const m of published) {
      for (const user of m.must) {
        required.set(user, (required.get(user) ?? 0) + 1);
        if (!inboxes.get(user)!.counts.has(m.n)) {
          lost.set(user, (lost.get(user) ?? 0) + 1);
          example(`${user} never got #${m.n}`);
        }
      }
    }
    const receivers: FlappingReceiver[] = [...inboxes].map(([userId, b]) => ({
      userId,
      sessions: sessionsOf.get(userId) ?? 0,
      required: required.get(userId) ?? 0,
      delivered: b.delivered,
      deliveredPerSec: b.firstDuringCuts / cutSeconds,
      lost: lost.get(userId) ?? 0,
      duplicated: b.duplicated,
      outOfOrder: b.outOfOrder,
    }));
    const sum = (k: "required" | "delivered" | "lost" | "duplicated" | "outOfOrder"): number => receivers.reduce((a, r) => a + r[k], 0);
    return {
      client: o.adapter.name,
      protocol: o.protocol,
      seed: o.seed,
      seconds: o.seconds,
      ratePerSec: o.ratePerSec,
      cuts,
      recoveries,
      recoveryMs: percentiles(recoveryTimes),
      newConnections,
      published: sent,
      acked,
      failedSends: failed,
      ackedPerSec: ackedDuringCuts / cutSeconds,
      required: sum("required"),
      delivered: sum("delivered"),
      minDeliveredPerSec: Math.min(...receivers.map((r) => r.deliveredPerSec)),
      abandonedSessions: abandoned.list.length,
      abandonedSessionDetails: abandoned.describe(),
      lost: sum("lost"),
      duplicated: sum("duplicated"),
      outOfOrder: sum("outOfOrder"),
      unexpectedSessionEnds: unexpectedEnds.length,
      unexpectedSessionEndDetails: unexpectedEnds.slice(0, 20),
      settled,
      settledInMs,
      receivers,
      examples,
    };
  } finally {
    ending = true;
    cutting = false;
    clearTimeout(pumpTimer);
    clearInterval(progressTimer);
    for (const t of timers) clearTimeout(t);
    await withTimeout(Promise.all([...clients.values()].map((c) => c.stop())), 10_000, []);
    abandoned.stop();
    events.off("connect", onConnect);
    events.off("recover", onRecover);
    events.off("drop", onDrop);
    events.off("disconnect", onDisconnect);
    await emu.close();
  }
}

function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN);
  return { p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN };
}

// ---- printing -----------------------------------------------------------------------------

const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a");

/** A multi-line summary of one flapping report. */
export function formatFlapping(r: FlappingReport): string {
  const lines = [
    `== ${r.client} (${r.protocol}) flapping: seed ${r.seed}, ${r.seconds} s, publisher offered ${r.ratePerSec} msg/s ==`,
    `cuts ${r.cuts}, recoveries ${r.recoveries} (drop to recovery p50 ${f0(r.recoveryMs.p50)} ms, p99 ${f0(r.recoveryMs.p99)} ms, max ${f0(r.recoveryMs.max)} ms), new connections ${r.newConnections}; sent ${r.published} (acked ${r.acked}, failed ${r.failedSends}); acked ${f0(r.ackedPerSec)}/s while cutting`,
    `ABANDONED SESSIONS ${r.abandonedSessions}, LOST ${r.lost}, DUPLICATED ${r.duplicated}, OUT OF ORDER ${r.outOfOrder}, unexpected session ends ${r.unexpectedSessionEnds}; owed ${r.required}, delivered ${r.delivered}; ${r.settled ? `settled in ${r.settledInMs} ms` : "did NOT settle"}`,
    table([
      ["receiver", "sessions", "owed", "delivered", "delivered/s", "lost", "dup", "order"],
      ...r.receivers.map((x) => [x.userId, x.sessions, x.required, x.delivered, f0(x.deliveredPerSec), x.lost, x.duplicated, x.outOfOrder]),
    ]),
  ];
  if (r.abandonedSessionDetails.length) lines.push(`abandoned sessions (the service still held them): ${r.abandonedSessionDetails.join("; ")}`);
  if (r.unexpectedSessionEndDetails.length) lines.push(`unexpected session ends: ${r.unexpectedSessionEndDetails.join("; ")}`);
  if (r.examples.length) lines.push(`examples:\n  ${r.examples.join("\n  ")}`);
  return lines.join("\n");
}

/** Clients side by side. */
export function formatFlappingComparison(reports: FlappingReport[]): string {
  return table([
    ["client", "protocol", "seconds", "cuts", "recoveries", "recovery p50/max ms", "new conns", "acked/s", "min delivered/s", "abandoned", "lost", "duplicated", "out of order", "unexpected ends"],
    ...reports.map((r) => [
      r.client,
      r.protocol,
      r.seconds,
      r.cuts,
      r.recoveries,
      `${f0(r.recoveryMs.p50)}/${f0(r.recoveryMs.max)}`,
      r.newConnections,
      f0(r.ackedPerSec),
      f0(r.minDeliveredPerSec),
      r.abandonedSessions,
      r.lost,
      r.duplicated,
      r.outOfOrder,
      r.unexpectedSessionEnds,
    ]),
  ]);
}

/** The verdict for our client: nothing abandoned, lost, doubled or reordered, settled, and traffic owed (the same as the random faults'). */
export function flappingFailed(r: FlappingReport): boolean {
  return chaosFailed(r);
}

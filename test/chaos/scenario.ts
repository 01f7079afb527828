/**
 * The chaos scenario, written once and run two ways: a short fixed-seed run inside `npm test`
 * (test/chaos/chaos.test.ts) and the long run `npm run chaos` (scripts/chaos.mjs bundles this
 * file with esbuild and imports it).
 *
 * Several reliable-protocol receivers sit in a group. Publishers send to it: client
 * publishers through `sendToGroup` with acks, and the application server through REST (a
 * group send and a send-to-all). Every message carries `{ p: <publisher id>, n: <counter> }`.
 * Meanwhile faults hit random connections of the hub every 50–500 ms: abrupt socket drops,
 * lost acks, paused delivery (resumed later), recoverable closes (1011) and 1008 closes that
 * end the session and force a brand-new connection.
 *
 * What "must be delivered" means. A publish is *executed* by the service at some instant
 * inside [a, b], where a is just before the publisher called and b is when its ack (or the
 * REST 202) came back. At a and at b the scenario snapshots the service's connections (the
 * emulator runs in this process, so the snapshot is exact). A connection that is a target
 * (in the group, or in the hub for send-to-all) in BOTH snapshots was a target all through
 * [a, b]: clients never leave the group, and a connection id whose session ended never comes
 * back. So the service put the message in that session's reliable buffer, and the session's
 * owner must receive it exactly once, unless the session later ended *legitimately*. The only
 * legitimate end is a 1008 that this scenario injected, and it only injects 1008 into a
 * connection whose socket is attached and open and whose delivery is not paused: everything
 * the session was given before has then been written to that socket ahead of the close frame,
 * so the client must have received it. A session that ends any other way (expiry after a
 * failed recovery, SlowClient, ...) is reported as an unexpected session end, and what it was
 * owed counts as lost. Messages published while a receiver had no session (or was not yet
 * rejoined) are legitimately missed; a send that was never acknowledged may or may not arrive,
 * but never twice.
 *
 * Per receiver the scenario counts: lost (owed but never delivered), duplicated (a
 * publisher/counter pair delivered more than once), out of order (a counter not above the
 * last one delivered from that publisher).
 */
import { EventEmitter } from "node:events";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient as OfficialClient } from "@azure/web-pubsub-client";
import { startEmulator, type Emulator } from "../../emulator/index";
import { WebPubSubClient } from "../../src/index.js";
import { watchAbandoned } from "./abandoned";
import { CHAOS_PROTOCOLS, type ChaosProtocol } from "./protocols";
import { settleDeliveries } from "./settle.js";

export { CHAOS_PROTOCOLS, isChaosProtocol, type ChaosProtocol } from "./protocols";

// ---- seeded randomness ------------------------------------------------------------------

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the client adapter -------------------------------------------------------------------

export interface ChaosClientInit {
  userId: string;
  /** A fresh client access URL; asked once per brand-new connection. */
  getClientAccessUrl: () => Promise<string>;
  ackTimeoutMs: number;
  /** The reliable subprotocol both sides speak (CHAOS_PROTOCOLS). */
  protocol: ChaosProtocol;
  onData(data: unknown): void;
  onConnected(connectionId: string): void;
  onDisconnected(connectionId: string | undefined): void;
}

export interface ChaosClient {
  start(): Promise<void>;
  stop(): Promise<void>;
  joinGroup(group: string): Promise<void>;
  /** Resolves once the service acknowledged the send; rejects when the client gave up on it. */
  sendToGroup(group: string, data: { p: string; n: number }): Promise<void>;
}

export interface ClientAdapter {
  name: string;
  create(init: ChaosClientInit): ChaosClient;
}

/** Our client, with a short ack timeout and retry delay; default recovery and keep-alive. */
export const oursAdapter: ClientAdapter = {
  name: "ours",
  create(init) {
    const client = new WebPubSubClient(
      { getClientAccessUrl: init.getClientAccessUrl },
      { ackTimeoutInMs: init.ackTimeoutMs, messageRetryOptions: { retryDelayInMs: 200 }, protocol: CHAOS_PROTOCOLS[init.protocol].ours() },
    );
    client.on("group-message", (e) => init.onData(e.message.data));
    client.on("server-message", (e) => init.onData(e.message.data));
    client.on("connected", (e) => init.onConnected(e.connectionId));
    client.on("disconnected", (e) => init.onDisconnected(e.connectionId));
    return {
      start: () => client.start(),
      stop: () => client.stop(),
      joinGroup: async (group) => void (await client.joinGroup(group)),
      sendToGroup: async (group, data) => void (await client.sendToGroup(group, data, "json")),
    };
  },
};

/**
 * The official `@azure/web-pubsub-client`, used the way its docs suggest. It has no ack
 * timeout, so a send whose ack is lost would wait forever: the adapter bounds each send
 * with an abort signal (a failed send is "maybe delivered", never required).
 */
export const officialAdapter: ClientAdapter = {
  name: "official",
  create(init) {
    const client = new OfficialClient(
      { getClientAccessUrl: init.getClientAccessUrl },
      { messageRetryOptions: { retryDelayInMs: 200 }, protocol: CHAOS_PROTOCOLS[init.protocol].official() },
    );
    client.on("group-message", (e) => init.onData(e.message.data));
    client.on("server-message", (e) => init.onData(e.message.data));
    client.on("connected", (e) => init.onConnected(e.connectionId));
    client.on("disconnected", (e) => init.onDisconnected(e.connectionId));
    let stopped: Promise<void> | undefined;
    return {
      start: () => client.start(),
      stop: () => {
        stopped ??= new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000);
          client.on("stopped", () => {
            clearTimeout(timer);
            resolve();
          });
          client.stop();
        });
        return stopped;
      },
      joinGroup: async (group) => void (await client.joinGroup(group)),
      sendToGroup: async (group, data) =>
        void (await client.sendToGroup(group, data, "json", { abortSignal: AbortSignal.timeout(init.ackTimeoutMs * 4) })),
    };
  },
};

// ---- options and report -------------------------------------------------------------------

export interface ChaosOptions {
  adapter: ClientAdapter;
  /** Default "json-reliable". */
  protocol?: ChaosProtocol;
  seed: number;
  /** How long faults are injected. */
  seconds: number;
  receivers: number;
  /** Client publishers (`sendToGroup`); the server's two REST publishers come on top. */
  publishers: number;
  faultMinMs?: number;
  faultMaxMs?: number;
  /** Pause between two sends of one client publisher. */
  publishIntervalMs?: number;
  /** Pause between two REST sends of each server publisher. */
  serverIntervalMs?: number;
  ackTimeoutMs?: number;
  /** How long, after the faults stop, everything owed may take to arrive. */
  settleMs?: number;
  progressEveryMs?: number;
  log?: (line: string) => void;
}

export type FaultKind = "drop" | "loseAcks" | "pause" | "close1011" | "close1008";
export const FAULT_KINDS: readonly FaultKind[] = ["drop", "loseAcks", "pause", "close1011", "close1008"];

export interface ParticipantReport {
  userId: string;
  role: "receiver" | "publisher";
  /** Connections the service saw for this client. */
  sessions: number;
  /** `connected` / `disconnected` events the client emitted. */
  connectedEvents: number;
  disconnectedEvents: number;
  required: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

export interface PublisherReport {
  id: string;
  sent: number;
  acked: number;
  failed: number;
  /** (acked message, receiver that had to get it) pairs, and how many of them arrived exactly once. */
  requiredPairs: number;
  exactlyOncePairs: number;
}

export interface ChaosReport {
  client: string;
  protocol: ChaosProtocol;
  seed: number;
  seconds: number;
  faults: Record<FaultKind, number>;
  published: number;
  acked: number;
  failedSends: number;
  required: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Brand-new connections a client opened while the service still held its previous session (abandoned.ts). */
  abandonedSessions: number;
  abandonedSessionDetails: string[];
  /** Sessions that ended other than by an injected 1008 (expiry, SlowClient, ...). */
  unexpectedSessionEnds: number;
  unexpectedSessionEndDetails: string[];
  recoveries: number;
  newConnections: number;
  settledInMs: number;
  settled: boolean;
  participants: ParticipantReport[];
  publishers: PublisherReport[];
  /** Up to 20 examples of lost / duplicated / out-of-order deliveries, for debugging. */
  examples: string[];
}

const GROUP = "chaos";
const ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

interface Published {
  p: string;
  n: number;
  /** userIds that must get it (targets in both snapshots). */
  must: string[];
}

interface Inbox {
  /** publisher → counter → times delivered */
  counts: Map<string, Map<number, number>>;
  last: Map<string, number>;
  delivered: number;
  duplicated: number;
  outOfOrder: number;
  connectedEvents: number;
  disconnectedEvents: number;
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

// ---- the run ------------------------------------------------------------------------------

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const o = {
    faultMinMs: 50,
    faultMaxMs: 500,
    publishIntervalMs: 20,
    serverIntervalMs: 50,
    ackTimeoutMs: 1500,
    settleMs: 60_000,
    progressEveryMs: 10_000,
    protocol: "json-reliable" as ChaosProtocol,
    log: (_: string) => {},
    ...options,
  };
  const name = o.adapter.name;
  const log = (line: string): void => o.log(`[${name}] ${line}`);
  const random = mulberry32(o.seed);
  const hub = "chaos";
  const emu: Emulator = await startEmulator({ port: 0 });
  const rest = new WebPubSubServiceClient(emu.connectionString, hub, { allowInsecureConnection: true });

  // ---- what the service did ----
  const injected1008 = new Set<string>();
  /** Connections whose socket is attached and open as far as the scenario knows. */
  const linkUp = new Set<string>();
  const paused = new Map<string, NodeJS.Timeout>();
  const sessionsOf = new Map<string, number>();
  const unexpectedEnds: string[] = [];
  let recoveries = 0;
  let newConnections = 0;
  let ending = false;
  const started = Date.now();
  const at = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const onConnect = (e: { connectionId: string; userId?: string }): void => {
    linkUp.add(e.connectionId);
    newConnections++;
    if (e.userId) sessionsOf.set(e.userId, (sessionsOf.get(e.userId) ?? 0) + 1);
  };
  const onRecover = (e: { connectionId: string }): void => {
    linkUp.add(e.connectionId);
    recoveries++;
  };
  const onDrop = (e: { connectionId: string }): void => void linkUp.delete(e.connectionId);
  const onDisconnect = (e: { connectionId: string; userId?: string }): void => {
    linkUp.delete(e.connectionId);
    const timer = paused.get(e.connectionId);
    if (timer) clearTimeout(timer);
    paused.delete(e.connectionId);
    if (!injected1008.has(e.connectionId) && !ending) unexpectedEnds.push(`${at()} ${e.userId ?? "?"} ${e.connectionId}`);
  };
  const events = emu.events as EventEmitter;
  const abandoned = watchAbandoned(emu, hub);
  events.on("connect", onConnect);
  events.on("recover", onRecover);
  events.on("drop", onDrop);
  events.on("disconnect", onDisconnect);

  /** connectionId → userId of the hub's connections that are targets now. */
  const snapshot = (group: boolean): Map<string, string> => {
    const m = new Map<string, string>();
    for (const c of emu.connections(hub)) if (c.userId && (!group || c.groups.includes(GROUP))) m.set(c.connectionId, c.userId);
    return m;
  };
  const mustOf = (before: Map<string, string>, after: Map<string, string>): string[] => {
    const users = new Set<string>();
    for (const [id, user] of before) if (after.has(id)) users.add(user);
    return [...users];
  };

  // ---- participants ----
  const inboxes = new Map<string, Inbox>();
  const examples: string[] = [];
  const example = (line: string): void => void (examples.length < 20 && examples.push(`${at()} ${line}`));
  let deliveryListener: (() => void) | undefined;
  const makeInbox = (userId: string): Inbox => {
    const box: Inbox = { counts: new Map(), last: new Map(), delivered: 0, duplicated: 0, outOfOrder: 0, connectedEvents: 0, disconnectedEvents: 0 };
    inboxes.set(userId, box);
    return box;
  };
  const receive = (userId: string, box: Inbox, data: unknown): void => {
    const d = data as { p?: unknown; n?: unknown } | null;
    if (!d || typeof d !== "object" || typeof d.p !== "string" || typeof d.n !== "number") {
      example(`${userId} got an unexpected payload ${JSON.stringify(data)}`);
      return;
    }
    box.delivered++;
    let counts = box.counts.get(d.p);
    if (!counts) box.counts.set(d.p, (counts = new Map()));
    const times = (counts.get(d.n) ?? 0) + 1;
    counts.set(d.n, times);
    if (times > 1) {
      box.duplicated++;
      example(`${userId} got ${d.p}#${d.n} ${times} times`);
    } else {
      const last = box.last.get(d.p) ?? 0;
      if (d.n < last) {
        box.outOfOrder++;
        example(`${userId} got ${d.p}#${d.n} after ${d.p}#${last}`);
      }
    }
    box.last.set(d.p, Math.max(box.last.get(d.p) ?? 0, d.n));
    deliveryListener?.();
  };

  const receiverIds = Array.from({ length: o.receivers }, (_, i) => `r${i}`);
  const publisherIds = Array.from({ length: o.publishers }, (_, i) => `p${i}`);
  const clients = new Map<string, ChaosClient>();
  for (const userId of [...receiverIds, ...publisherIds]) {
    const box = makeInbox(userId);
    clients.set(
      userId,
      o.adapter.create({
        userId,
        getClientAccessUrl: () => emu.getClientAccessUrl(hub, { userId, roles: ROLES }),
        ackTimeoutMs: o.ackTimeoutMs,
        protocol: o.protocol,
        onData: (data) => receive(userId, box, data),
        onConnected: () => void box.connectedEvents++,
        onDisconnected: () => void box.disconnectedEvents++,
      }),
    );
  }

  const published: Published[] = [];
  const pubStats = new Map<string, { sent: number; acked: number; failed: number }>();
  const stopPublishing = new AbortController();
  const faults: Record<FaultKind, number> = { drop: 0, loseAcks: 0, pause: 0, close1011: 0, close1008: 0 };
  let faultTimer: NodeJS.Timeout | undefined;
  let progressTimer: NodeJS.Timeout | undefined;

  const totals = () => {
    let sent = 0;
    let acked = 0;
    let failed = 0;
    for (const s of pubStats.values()) {
      sent += s.sent;
      acked += s.acked;
      failed += s.failed;
    }
    let delivered = 0;
    for (const b of inboxes.values()) delivered += b.delivered;
    return { sent, acked, failed, delivered };
  };

  try {
    log(`seed ${o.seed}, ${o.seconds} s of faults every ${o.faultMinMs}-${o.faultMaxMs} ms, ${o.receivers} receivers, ${o.publishers} client publishers + 2 server publishers`);
    await Promise.all([...clients.values()].map((c) => c.start()));
    await Promise.all(receiverIds.map((id) => clients.get(id)!.joinGroup(GROUP)));

    // ---- publishers ----
    const publish = async (id: string, intervalMs: number, group: boolean, send: (n: number) => Promise<void>): Promise<void> => {
      const stats = { sent: 0, acked: 0, failed: 0 };
      pubStats.set(id, stats);
      for (let n = 1; !stopPublishing.signal.aborted; n++) {
        const before = snapshot(group);
        stats.sent++;
        try {
          await send(n);
        } catch {
          stats.failed++; // not acknowledged: may or may not have been delivered
          await delay(intervalMs, stopPublishing.signal);
          continue;
        }
        stats.acked++;
        published.push({ p: id, n, must: mustOf(before, snapshot(group)) });
        await delay(intervalMs, stopPublishing.signal);
      }
    };
    const loops = [
      ...publisherIds.map((id) => publish(id, o.publishIntervalMs, true, (n) => clients.get(id)!.sendToGroup(GROUP, { p: id, n }))),
      publish("srv-group", o.serverIntervalMs, true, (n) => rest.group(GROUP).sendToAll({ p: "srv-group", n })),
      publish("srv-all", o.serverIntervalMs * 2, false, (n) => rest.sendToAll({ p: "srv-all", n })),
    ];

    // ---- faults ----
    const pick = <T>(items: T[]): T | undefined => (items.length === 0 ? undefined : items[Math.floor(random() * items.length)]);
    const injectFault = (): void => {
      const kind = FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)]!;
      const conns = emu.connections(hub).sort((x, y) => (x.userId ?? "").localeCompare(y.userId ?? "") || x.connectionId.localeCompare(y.connectionId));
      const up = conns.filter((c) => linkUp.has(c.connectionId));
      const param = random();
      try {
        switch (kind) {
          case "drop": {
            const c = pick(up);
            if (!c) return;
            linkUp.delete(c.connectionId);
            emu.faults.drop(c.connectionId);
            break;
          }
          case "loseAcks": {
            const c = pick(conns);
            if (!c) return;
            emu.faults.loseAcks(c.connectionId, 1 + Math.floor(param * 2));
            break;
          }
          case "pause": {
            const c = pick(conns.filter((x) => !paused.has(x.connectionId)));
            if (!c) return;
            const id = c.connectionId;
            emu.faults.pause(id);
            paused.set(
              id,
              setTimeout(() => {
                paused.delete(id);
                try {
                  emu.faults.resume(id);
                } catch {
                  // the session ended meanwhile
                }
              }, 200 + Math.floor(param * 2800)),
            );
            break;
          }
          case "close1011": {
            const c = pick(up);
            if (!c) return;
            linkUp.delete(c.connectionId);
            emu.faults.close(c.connectionId, 1011, "chaos: recoverable close");
            break;
          }
          case "close1008": {
            // Only a connection whose socket is open and not paused: everything its session
            // was given has been written ahead of the close, so nothing it was owed is lost.
            const c = pick(up.filter((x) => !paused.has(x.connectionId)));
            if (!c) return;
            injected1008.add(c.connectionId);
            linkUp.delete(c.connectionId);
            emu.faults.close(c.connectionId, 1008, "chaos: session closed");
            break;
          }
        }
        faults[kind]++;
      } catch (err) {
        log(`fault ${kind} failed: ${String(err)}`);
      }
    };
    const faultsUntil = Date.now() + o.seconds * 1000;
    await new Promise<void>((resolve) => {
      const schedule = (): void => {
        if (Date.now() >= faultsUntil) return resolve();
        faultTimer = setTimeout(
          () => {
            injectFault();
            schedule();
          },
          o.faultMinMs + Math.floor(random() * (o.faultMaxMs - o.faultMinMs + 1)),
        );
      };
      schedule();
      progressTimer = setInterval(() => {
        const t = totals();
        const f = FAULT_KINDS.map((k) => `${k} ${faults[k]}`).join(", ");
        log(`${at()} faults: ${f} | published ${t.sent} (acked ${t.acked}, failed ${t.failed}) | delivered ${t.delivered} | new connections ${newConnections}, recoveries ${recoveries}`);
      }, o.progressEveryMs);
    });
    clearInterval(progressTimer);

    // ---- quiesce: no more faults; resume what is paused; let the publishers finish ----
    for (const [id, timer] of paused) {
      clearTimeout(timer);
      try {
        emu.faults.resume(id);
      } catch {
        // gone
      }
    }
    paused.clear();
    stopPublishing.abort();
    await withTimeout(Promise.all(loops), 60_000, []);
    log(`${at()} faults stopped; waiting up to ${o.settleMs} ms for everything owed to arrive`);

    // ---- settle: wait until every (message, receiver) pair owed has arrived ----
    const owedOutstanding = (): number => {
      let missing = 0;
      for (const m of published) for (const user of m.must) if (!inboxes.get(user)!.counts.get(m.p)?.has(m.n)) missing++;
      return missing;
    };
    const settleStart = Date.now();
    const settled = await settleDeliveries(owedOutstanding, o.settleMs, (hook) => (deliveryListener = hook));
    const settledInMs = Date.now() - settleStart;
    ending = true;

    // ---- report ----
    const required = new Map<string, number>();
    const lost = new Map<string, number>();
    const pairs = new Map<string, { required: number; once: number }>();
    for (const m of published) {
      const pr = pairs.get(m.p) ?? { required: 0, once: 0 };
      pairs.set(m.p, pr);
      for (const user of m.must) {
        required.set(user, (required.get(user) ?? 0) + 1);
        pr.required++;
        const times = inboxes.get(user)!.counts.get(m.p)?.get(m.n) ?? 0;
        if (times === 1) pr.once++;
        if (times === 0) {
          lost.set(user, (lost.get(user) ?? 0) + 1);
          example(`${user} never got ${m.p}#${m.n}`);
        }
      }
    }
    const participants: ParticipantReport[] = [...inboxes].map(([userId, b]) => ({
      userId,
      role: userId.startsWith("r") ? "receiver" : "publisher",
      sessions: sessionsOf.get(userId) ?? 0,
      connectedEvents: b.connectedEvents,
      disconnectedEvents: b.disconnectedEvents,
      required: required.get(userId) ?? 0,
      delivered: b.delivered,
      lost: lost.get(userId) ?? 0,
      duplicated: b.duplicated,
      outOfOrder: b.outOfOrder,
    }));
    const publishers: PublisherReport[] = [...pubStats].map(([id, s]) => ({
      id,
      ...s,
      requiredPairs: pairs.get(id)?.required ?? 0,
      exactlyOncePairs: pairs.get(id)?.once ?? 0,
    }));
    const sum = (k: "required" | "delivered" | "lost" | "duplicated" | "outOfOrder"): number => participants.reduce((a, p) => a + p[k], 0);
    const t = totals();
    return {
      client: name,
      protocol: o.protocol,
      seed: o.seed,
      seconds: o.seconds,
      faults,
      published: t.sent,
      acked: t.acked,
      failedSends: t.failed,
      required: sum("required"),
      delivered: sum("delivered"),
      lost: sum("lost"),
      duplicated: sum("duplicated"),
      outOfOrder: sum("outOfOrder"),
      abandonedSessions: abandoned.list.length,
      abandonedSessionDetails: abandoned.describe(),
      unexpectedSessionEnds: unexpectedEnds.length,
      unexpectedSessionEndDetails: unexpectedEnds.slice(0, 20),
      recoveries,
      newConnections,
      settledInMs,
      settled,
      participants,
      publishers,
      examples,
    };
  } finally {
    ending = true;
    clearTimeout(faultTimer);
    clearInterval(progressTimer);
    stopPublishing.abort();
    for (const timer of paused.values()) clearTimeout(timer);
    await withTimeout(Promise.all([...clients.values()].map((c) => c.stop())), 10_000, []);
    abandoned.stop();
    events.off("connect", onConnect);
    events.off("recover", onRecover);
    events.off("drop", onDrop);
    events.off("disconnect", onDisconnect);
    await emu.close();
  }
}

// ---- printing -----------------------------------------------------------------------------

export function table(rows: Array<Array<string | number>>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === "number" ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join("  ")).join("\n");
}

/** A multi-line summary of one report. */
export function formatReport(r: ChaosReport): string {
  const lines = [
    `== ${r.client} (${r.protocol}): seed ${r.seed}, ${r.seconds} s of faults ==`,
    `faults: ${FAULT_KINDS.map((k) => `${k} ${r.faults[k]}`).join(", ")}; new connections ${r.newConnections}, recoveries ${r.recoveries}`,
    `published ${r.published} (acked ${r.acked}, failed ${r.failedSends}); owed deliveries ${r.required}, delivered ${r.delivered}`,
    `ABANDONED SESSIONS ${r.abandonedSessions}, LOST ${r.lost}, DUPLICATED ${r.duplicated}, OUT OF ORDER ${r.outOfOrder}, unexpected session ends ${r.unexpectedSessionEnds}; ${r.settled ? `settled in ${r.settledInMs} ms` : "did NOT settle"}`,
    table([
      ["client", "sessions", "connected", "disconnected", "owed", "delivered", "lost", "dup", "order"],
      ...r.participants.map((p) => [p.userId, p.sessions, p.connectedEvents, p.disconnectedEvents, p.required, p.delivered, p.lost, p.duplicated, p.outOfOrder]),
    ]),
    table([
      ["publisher", "sent", "acked", "failed", "owed pairs", "exactly once"],
      ...r.publishers.map((p) => [p.id, p.sent, p.acked, p.failed, p.requiredPairs, p.exactlyOncePairs]),
    ]),
  ];
  if (r.abandonedSessionDetails.length) lines.push(`abandoned sessions (the service still held them): ${r.abandonedSessionDetails.join("; ")}`);
  if (r.unexpectedSessionEndDetails.length) lines.push(`unexpected session ends: ${r.unexpectedSessionEndDetails.join("; ")}`);
  if (r.examples.length) lines.push(`examples:\n  ${r.examples.join("\n  ")}`);
  return lines.join("\n");
}

/** What a run's verdict reads: the random-faults and the flapping reports both carry it. */
export type RunVerdict = Pick<ChaosReport, "abandonedSessions" | "lost" | "duplicated" | "outOfOrder" | "unexpectedSessionEnds" | "settled" | "required">;

/** What `npm run chaos` fails ours on (either scenario): anything abandoned, lost, doubled, reordered or ended unexpectedly, no settle, or no traffic owed at all. */
export function chaosFailed(r: RunVerdict): boolean {
  return r.abandonedSessions > 0 || r.lost > 0 || r.duplicated > 0 || r.outOfOrder > 0 || r.unexpectedSessionEnds > 0 || !r.settled || r.required === 0;
}

/** Ours beside the official client, same seed. */
export function formatComparison(reports: ChaosReport[]): string {
  return table([
    ["client", "seed", "faults", "published", "acked", "owed", "delivered", "abandoned", "lost", "duplicated", "out of order", "unexpected ends"],
    ...reports.map((r) => [
      r.client,
      r.seed,
      FAULT_KINDS.reduce((a, k) => a + r.faults[k], 0),
      r.published,
      r.acked,
      r.required,
      r.delivered,
      r.abandonedSessions,
      r.lost,
      r.duplicated,
      r.outOfOrder,
      r.unexpectedSessionEnds,
    ]),
  ]);
}

// Bench row (issue 9): seconds until a client is back after its link is blackholed (the
// socket stays open, no byte passes either way; bench/tcp-proxy.mjs), with default options,
// idle and with an operation waiting for its ack. "Back" is measured at the service: the
// first moment the emulator sees the client again on a new socket (its session recovered,
// or a brand-new connection). Each measurement runs in its own process; the four run at the
// same time (they are idle, so they do not compete for CPU). Measurements are capped at
// BENCH_BLACKHOLE_CAP_S (default 150 s). Raw `ws` has no keep-alive: it never notices, so it
// is not measured.
import { once } from "node:events";
import { isChild, reportFromChild, runInChild, sleep } from "./child.mjs";
import { startTcpProxy } from "./tcp-proxy.mjs";

const HUB = "blackhole";
const ROLES = ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"];
const CAP_S = Number(process.env.BENCH_BLACKHOLE_CAP_S ?? 150);

async function measure(kind, mode, capMs) {
  const { startEmulator, signJwt, DEFAULT_ACCESS_KEY } = await import("../dist/emulator/index.mjs");
  const { WebPubSubClient } = kind === "ours" ? await import("../dist/index.mjs") : await import("@azure/web-pubsub-client");
  const emu = await startEmulator({ port: 0 });
  const proxy = await startTcpProxy(emu.port);
  const userId = `bh-${kind}-${mode}`;
  let credentialCalls = 0;
  // the token's audience is the URL the client asks for: the proxy's
  const url = () => {
    credentialCalls++;
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt({ aud: `http://127.0.0.1:${proxy.port}/client/hubs/${HUB}`, iat: now, exp: now + 3600, sub: userId, role: ROLES }, DEFAULT_ACCESS_KEY);
    return `ws://127.0.0.1:${proxy.port}/client/hubs/${HUB}?access_token=${token}`;
  };
  const client = new WebPubSubClient({ getClientAccessUrl: async () => url() }); // default options
  client.on("stopped", () => {});
  const connected = once(emu.events, "connect");
  await client.start();
  const [{ connectionId }] = await connected;
  await client.joinGroup("g");
  await sleep(2000); // an ordinary idle moment, well inside the keep-alive cycle

  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  const back = new Promise((resolve) => {
    emu.events.on("recover", (e) => e.connectionId === connectionId && resolve({ how: "recovered", s: since() }));
    emu.events.on("connect", (e) => e.userId === userId && resolve({ how: "new connection", s: since() }));
  });
  const holed = proxy.blackhole();
  const op =
    mode === "pending"
      ? client.sendToGroup("g", { n: 1 }, "json").then(
          () => ({ ok: true, s: since() }),
          (e) => ({ ok: false, s: since(), error: e?.name ?? String(e) }),
        )
      : undefined;
  const capped = (p, ms, fallback) => Promise.race([p, sleep(ms).then(() => fallback)]);
  const result = await capped(back, capMs, { how: "not back", s: null });
  const opResult = op ? await capped(op, result.s === null ? 0 : 15_000, { ok: false, s: null, error: "still waiting" }) : undefined;
  void Promise.resolve(client.stop()).catch(() => {});
  await sleep(200);
  await proxy.close();
  await emu.close();
  return { kind, mode, holed, back: result.how, s: result.s, op: opResult, credentialCalls };
}

const KINDS = ["ours", "official"];
const MODES = ["idle", "pending"];

/** Runs the row; returns table rows for bench/resilience.mjs. */
export async function blackholeRows(log) {
  const capMs = CAP_S * 1000;
  log(`blackhole: ${KINDS.join(", ")} × ${MODES.join(", ")} at once, capped at ${CAP_S} s`);
  const jobs = [];
  for (const mode of MODES) for (const kind of KINDS) jobs.push(runInChild(import.meta.url, [kind, mode, String(capMs)], capMs + 60_000).catch((e) => ({ kind, mode, error: e.message })));
  const results = await Promise.all(jobs);
  const show = (r) => (r.error ? "failed" : r.s === null ? `> ${CAP_S}` : r.s.toFixed(1));
  for (const r of results) {
    if (r.error) log(`  blackhole ${r.mode.padEnd(7)} ${r.kind.padEnd(8)} FAILED: ${r.error.split("\n")[0]}`);
    else log(`  blackhole ${r.mode.padEnd(7)} ${r.kind.padEnd(8)} back after ${show(r)} s (${r.back})${r.op ? `; the pending send ${r.op.ok ? "acked" : `failed (${r.op.error})`} after ${r.op.s === null ? "—" : r.op.s.toFixed(1)} s` : ""}`);
  }
  const get = (kind, mode) => results.find((r) => r.kind === kind && r.mode === mode);
  return MODES.map((mode) => {
    const ours = get("ours", mode);
    const limit = mode === "idle" ? 30 : 10;
    const holds = ours.error ? "n/a" : ours.s !== null && ours.s <= limit ? "yes" : "**no**";
    return {
      label: `back after a blackholed link, ${mode === "idle" ? "idle" : "an operation pending"} (s)`,
      ours: show(ours),
      official: show(get("official", mode)),
      raw: "n/a (no keep-alive)",
      target: `≤ ${limit} s`,
      holds,
      failures: results.filter((r) => r.mode === mode && r.error).map((r) => `blackhole ${r.kind} ${r.mode}: ${r.error}`),
    };
  });
}

if (isChild(import.meta.url)) {
  const [kind, mode, capMs] = process.argv.slice(2);
  await reportFromChild(() => measure(kind, mode, Number(capMs)));
}

// Bench row (issue 9): the new-connection storm, default options, two servers:
// - "confirmed": every connection completes the handshake, gets its `connected` frame (so the
//   client's start() resolves) and is closed with 1008 at once;
// - "refused": the upgrade completes and the socket is closed with 1008 at once, no frame (only
//   the very first connection gets a `connected` frame, closed 1008 after 300 ms, so the
//   client is running and must decide how fast to start over).
// Counted: connections opened (and credential calls) in the 10 s after the first close. Raw
// `ws` baseline: a loop that reconnects as soon as the socket closes (what "no backoff"
// costs). Each client runs alone in its own process, one after the other (CPU-bound).
import { WebSocketServer } from "ws";
import { isChild, reportFromChild, runInChild, sleep } from "./child.mjs";

const WINDOW_MS = 10_000;

async function measure(kind, variant) {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false, handleProtocols: (protocols) => [...protocols][0] ?? false });
  await new Promise((resolve) => wss.once("listening", resolve));
  const { port } = wss.address();
  let counting = false;
  let connections = 0;
  let credentialCalls = 0;
  let firstClosed;
  const firstClose = new Promise((resolve) => (firstClosed = resolve));
  let first = true;
  wss.on("connection", (ws) => {
    ws.on("error", () => {});
    if (variant === "confirmed") {
      if (counting) connections++;
      ws.send(JSON.stringify({ type: "system", event: "connected", userId: "storm", connectionId: `storm-${connections}`, reconnectionToken: "t" }));
      ws.close(1008, "The session is gone.");
      if (first) (first = false), firstClosed();
      return;
    }
    if (first) {
      first = false;
      ws.send(JSON.stringify({ type: "system", event: "connected", userId: "storm", connectionId: "storm-1", reconnectionToken: "t" }));
      setTimeout(() => {
        ws.close(1008, "The session is gone.");
        firstClosed();
      }, 300);
      return;
    }
    if (counting) connections++;
    ws.close(1008, "Refused.");
  });
  const url = () => {
    if (counting) credentialCalls++;
    return `ws://127.0.0.1:${port}/client/hubs/storm?access_token=x`;
  };
  let stop;
  if (kind === "raw") {
    const { default: WebSocket } = await import("ws");
    let stopped = false;
    const open = () => {
      if (stopped) return;
      const ws = new WebSocket(url(), "json.reliable.webpubsub.azure.v1", { perMessageDeflate: false });
      ws.on("error", () => {});
      ws.on("close", open);
    };
    open();
    stop = () => void (stopped = true);
  } else {
    const { WebPubSubClient } = kind === "ours" ? await import("../dist/index.mjs") : await import("@azure/web-pubsub-client");
    const client = new WebPubSubClient({ getClientAccessUrl: async () => url() }); // default options
    client.on("stopped", () => {});
    await client.start();
    stop = () => void Promise.resolve(client.stop()).catch(() => {});
  }
  await firstClose;
  counting = true;
  await sleep(WINDOW_MS);
  counting = false;
  stop();
  await sleep(200);
  for (const ws of wss.clients) ws.terminate();
  await new Promise((resolve) => wss.close(resolve));
  return { kind, variant, connections, credentialCalls, seconds: WINDOW_MS / 1000 };
}

const VARIANTS = {
  confirmed: "connections opened in 10 s: server sends `connected`, then closes 1008 at once",
  refused: "connections opened in 10 s: server completes the upgrade and closes 1008 at once",
};

/** Runs the row; returns table rows for bench/resilience.mjs. */
export async function stormRows(log) {
  const rows = [];
  for (const variant of Object.keys(VARIANTS)) {
    const results = [];
    for (const kind of ["ours", "official", "raw"]) {
      try {
        const r = await runInChild(import.meta.url, [kind, variant], WINDOW_MS + 60_000);
        results.push(r);
        log(`  storm ${variant.padEnd(9)} ${kind.padEnd(8)} ${r.connections} connections (${(r.connections / r.seconds).toFixed(1)}/s), ${kind === "raw" ? "no credential" : `${r.credentialCalls} credential calls`} in ${r.seconds} s`);
      } catch (e) {
        results.push({ kind, error: e.message });
        log(`  storm ${variant.padEnd(9)} ${kind.padEnd(8)} FAILED: ${e.message.split("\n")[0]}`);
      }
    }
    const show = (r) => (r.error ? "failed" : String(r.connections));
    const [ours, official, raw] = results;
    // "a few a second at most": 5/s over the 10 s window
    rows.push({
      label: VARIANTS[variant],
      ours: show(ours),
      official: show(official),
      raw: `${show(raw)} (reconnects at once)`,
      target: "≤ 50 (a few a second at most)",
      holds: ours.error ? "n/a" : ours.connections <= 5 * ours.seconds ? "yes" : "**no**",
      failures: results.filter((r) => r.error).map((r) => `storm ${variant} ${r.kind}: ${r.error}`),
    });
  }
  return rows;
}

if (isChild(import.meta.url)) await reportFromChild(() => measure(process.argv[2], process.argv[3]));

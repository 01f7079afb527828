// The local service for the benchmark, in its own process (so its CPU is not the clients').
// Commands arrive over IPC from run.mjs as { rpc, cmd, args } and are answered { rpc, result | error }.
import { startEmulator, testHooks } from "../dist/emulator/index.mjs";

const HUB = "bench";
const ROLES = ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"];
const now = () => performance.timeOrigin + performance.now();

const emu = await startEmulator({ port: 0 });
const hooks = testHooks(emu);
/** Fixed ~100-byte json body for the throughput pusher (built once: the service's cost stays low). */
const PUSH_BODY = Buffer.from(JSON.stringify({ kind: "tick", text: "x".repeat(64), n: 12345 }));
const pushes = new Map(); // connectionId -> { stop() }
const streams = new Map(); // connectionId -> { timer, index, stop() }

const commands = {
  url: () => emu.getClientAccessUrl(HUB, { roles: ROLES }),

  /**
   * Pushes up to `total` messages to one reliable connection as fast as its acks allow:
   * the unacked count never goes above the service's bound. Resolves when all are pushed,
   * `maxMs` passed, or the connection ended, with how many were pushed.
   */
  push({ connectionId, total, maxMs }) {
    return new Promise((resolve) => {
      const started = performance.now();
      const deadline = started + maxMs;
      let pushed = 0;
      let done = false;
      const finish = (why) => {
        if (done) return;
        done = true;
        off?.();
        clearTimeout(timer);
        pushes.delete(connectionId);
        resolve({ pushed, ms: performance.now() - started, why });
      };
      const pump = () => {
        if (done) return;
        if (pushed >= total) return finish("total");
        if (performance.now() > deadline) return finish("time");
        let room = hooks.maxUnacked - hooks.unacked(connectionId);
        while (room-- > 0 && pushed < total) {
          if (!hooks.sendToConnection(connectionId, PUSH_BODY, "json")) return finish("gone");
          pushed++;
        }
        if (pushed >= total) finish("total");
      };
      const off = hooks.onSequenceAck(connectionId, pump);
      const timer = setTimeout(() => finish("time"), maxMs + 50);
      pushes.set(connectionId, { stop: () => finish("stopped") });
      pump();
    });
  },

  stopPush({ connectionId }) {
    pushes.get(connectionId)?.stop();
    return true;
  },

  /** Publishes {"i":n} to the connection every `intervalMs` until stopStream. */
  stream({ connectionId, intervalMs }) {
    const s = { index: 0 };
    s.timer = setInterval(() => {
      s.index++;
      if (!hooks.sendToConnection(connectionId, `{"i":${s.index}}`, "json")) clearInterval(s.timer);
    }, intervalMs);
    streams.set(connectionId, s);
    return true;
  },

  stopStream({ connectionId }) {
    const s = streams.get(connectionId);
    if (s) clearInterval(s.timer);
    streams.delete(connectionId);
    return true;
  },

  /** Abruptly destroys the connection's TCP socket; returns when, and the last index published before. */
  drop({ connectionId }) {
    const s = streams.get(connectionId);
    const lastIndex = s ? s.index : 0;
    const t = now();
    emu.faults.drop(connectionId);
    return { t, lastIndex };
  },

  attached: ({ connectionId }) => hooks.attached(connectionId),
  connections: () => emu.connections(HUB).length,
};

process.on("message", async (msg) => {
  const { rpc, cmd, args } = msg;
  try {
    const fn = commands[cmd];
    if (!fn) throw new Error(`unknown command ${cmd}`);
    const result = await fn(args ?? {});
    process.send({ rpc, result });
  } catch (e) {
    process.send({ rpc, error: String(e?.stack ?? e) });
  }
});
process.on("disconnect", () => {
  void emu.close().finally(() => process.exit(0));
});
process.send({ ready: true, endpoint: emu.endpoint });

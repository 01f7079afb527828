// The local service for the protobuf bench rows, in its own process (its CPU is not the
// clients'). IPC commands { rpc, cmd, args } -> { rpc, result | error }, as bench/service.mjs.
import { startEmulator, testHooks } from "../dist/emulator/index.mjs";
import { PAYLOADS } from "./protobuf-payloads.mjs";

const emu = await startEmulator({ port: 0 });
const hooks = testHooks(emu);
const pushes = new Map();

const commands = {
  url: () => emu.getClientAccessUrl("pbbench", { roles: ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"] }),
  /**
   * Pushes `payload` to one reliable connection as fast as its sequence acks allow, never past
   * the service's bounds: 1000 messages, and (whatever the subprotocol, so every client gets the
   * same cap) at most ~12 MB of frames in flight counting base64 growth (the bound is 16 MB).
   */
  push({ connectionId, payload, total, maxMs }) {
    const { dataType, body } = PAYLOADS[payload];
    const cap = Math.min(hooks.maxUnacked, Math.floor(12e6 / (body.length * 1.4 + 256)));
    return new Promise((resolve) => {
      let pushed = 0;
      let done = false;
      const finish = (why) => {
        if (done) return;
        done = true;
        off();
        clearTimeout(timer);
        pushes.delete(connectionId);
        resolve({ pushed, why });
      };
      const pump = () => {
        if (done) return;
        let room = cap - hooks.unacked(connectionId);
        while (room-- > 0 && pushed < total) {
          if (!hooks.sendToConnection(connectionId, body, dataType)) return finish("gone");
          pushed++;
        }
        if (pushed >= total) finish("total");
      };
      const off = hooks.onSequenceAck(connectionId, pump);
      const timer = setTimeout(() => finish("time"), maxMs);
      pushes.set(connectionId, { stop: () => finish("stopped") });
      pump();
    });
  },
  stopPush({ connectionId }) {
    pushes.get(connectionId)?.stop();
    return true;
  },
};

process.on("message", async ({ rpc, cmd, args, forChild }) => {
  try {
    process.send({ rpc, forChild, result: await commands[cmd](args ?? {}) });
  } catch (e) {
    process.send({ rpc, forChild, error: String(e?.stack ?? e) });
  }
});
process.on("disconnect", () => void emu.close().finally(() => process.exit(0)));
process.send({ ready: true });

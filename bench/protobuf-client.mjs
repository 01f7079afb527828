// One receive measurement for the protobuf rows, in a fresh process:
// `node bench/protobuf-client.mjs <protobuf|json|raw> <payload>` (payload names: protobuf-payloads.mjs).
// The service pushes the payload as fast as sequence acks allow; the result is the receive rate,
// client CPU per message, and WebSocket payload bytes per message, counted on the socket.
import WebSocket from "ws";
import { reportFromChild } from "./child.mjs";
import { RawClient } from "./raw-client.mjs";
import { service } from "./service-rpc.mjs";

const [kind, payload] = process.argv.slice(2);
const TOTAL = Number(process.env.PB_BENCH_TOTAL ?? 30_000);
const MAX_MS = Number(process.env.PB_BENCH_MS ?? 3000);
const now = () => performance.now();

const counter = { bytes: 0 };
/** `ws` that counts the payload bytes of every message it receives. */
class CountingWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { perMessageDeflate: false });
    this.on("message", (d) => (counter.bytes += d.byteLength ?? d.length));
  }
}

async function connect(url) {
  if (kind === "raw") {
    const c = new RawClient(url);
    await c.start();
    c.ws.on("message", (d) => (counter.bytes += d.length));
    return { connectionId: c.connectionId, onServer: (fn) => (c.onServer = fn), stop: () => c.stop() };
  }
  const { WebPubSubClient, WebPubSubJsonReliableProtocol } = await import("../dist/index.mjs");
  const { WebPubSubProtobufReliableProtocol } = await import(process.env.PB_BENCH_PROTOBUF_ENTRY);
  const protocol = kind === "protobuf" ? WebPubSubProtobufReliableProtocol() : WebPubSubJsonReliableProtocol();
  const c = new WebPubSubClient(url, { protocol, WebSocket: CountingWebSocket });
  await c.start();
  return { connectionId: c.connectionId, onServer: (fn) => c.on("server-message", (e) => fn(e.message.data)), stop: () => c.stop() };
}

await reportFromChild(async () => {
  const c = await connect(await service("url"));
  let n = 0;
  let first = 0;
  let end = 0;
  let cpu0;
  let bytes0 = 0;
  let bytes1 = 0;
  let count = 0;
  let finish;
  const done = new Promise((r) => (finish = r));
  const stopAt = () => {
    if (end) return;
    end = now();
    bytes1 = counter.bytes;
    count = n;
    finish();
  };
  const startBytes = counter.bytes;
  c.onServer(() => {
    if (n === 0) {
      first = now();
      cpu0 = process.cpuUsage();
      bytes0 = startBytes;
      setTimeout(stopAt, MAX_MS);
    }
    if (++n === TOTAL) stopAt();
  });
  const push = service("push", { connectionId: c.connectionId, payload, total: TOTAL, maxMs: MAX_MS + 2000 });
  await done;
  const cpu = process.cpuUsage(cpu0);
  await service("stopPush", { connectionId: c.connectionId });
  await push;
  await c.stop();
  return { rate: count / ((end - first) / 1000), cpuUs: (cpu.user + cpu.system) / count, bytesPerMsg: (bytes1 - bytes0) / count, count };
});

/**
 * The attackers and the (slow) event handler, in their own process, so that the good client's
 * round trips (in the parent) measure the service and not this work. Protocol with
 * `harness.ts` over IPC: it sends `{ op: "handler", url }` once the event handler listens,
 * then waits for `{ op: "attack", ... }`, runs the attacks for `durationMs`, answers
 * `{ op: "done", stats, errors }` and exits.
 */
import { setMaxListeners } from "node:events";
import { ATTACKS, slowEventHandler, type AttackContext } from "./attacks";

interface AttackOrder {
  op: "attack";
  attacks: string[];
  durationMs: number;
  intensity: number;
  url: string;
  endpoint: string;
  accessKey: string;
}

const handler = await slowEventHandler(Number(process.env.HN_HANDLER_DELAY_MS ?? 200));
process.send!({ op: "handler", url: handler.url });
process.once("message", (order: AttackOrder) => {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every request and socket of every attack listens to it
  const stats: Record<string, number> = {};
  const ctx: AttackContext = { endpoint: order.endpoint, accessKey: order.accessKey, url: async () => order.url, signal: controller.signal, intensity: order.intensity, stats };
  const errors: string[] = [];
  const running = order.attacks.map((name) => ATTACKS[name]!(ctx).catch((err: unknown) => void errors.push(`${name}: ${String(err)}`)));
  setTimeout(() => {
    controller.abort();
    void Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 3000))]).then(() => {
      stats.handlerEvents = handler.events();
      process.send!({ op: "done", stats, errors }, () => process.exit(0));
    });
  }, order.durationMs);
});
process.on("disconnect", () => process.exit(0));

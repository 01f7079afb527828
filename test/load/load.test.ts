// The small load run inside `npm test`; `npm run load` is the full one (5,000 connections,
// fan-out to 1,000).
import { expect, it } from "vitest";
import { formatLoad, runLoad } from "./load";

it("the service holds 300 connections and fans a group send out to 100 members exactly once", async () => {
  const r = await runLoad({ connections: 300, fanout: 100, rounds: 3 });
  console.log(formatLoad(r));
  expect(r.connected).toBe(300);
  expect(r.exactlyOnce).toBe(true);
  expect(r.strayDeliveries).toBe(0);
  expect(r.fanoutMs).toHaveLength(3);
}, 60_000);

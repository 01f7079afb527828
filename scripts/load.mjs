#!/usr/bin/env node
// npm run load -- [--connections 5000] [--fanout 1000] [--rounds 5] [--concurrency 200]
// The service (in a child process) holds N concurrent connections; a group send fans out to
// M members; prints the service's memory per connection and the fan-out times.
import { parseArgs } from "node:util";
import { importTs } from "./bundle-ts.mjs";

const { values: a } = parseArgs({
  options: {
    connections: { type: "string", default: "5000" },
    fanout: { type: "string", default: "1000" },
    rounds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "200" },
  },
});
const num = (name) => {
  const n = Number(a[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
};
const { runLoad, formatLoad } = await importTs("test/load/load.ts", "load");
const report = await runLoad({
  connections: num("connections"),
  fanout: num("fanout"),
  rounds: num("rounds"),
  concurrency: num("concurrency"),
  log: (line) => console.log(line),
});
console.log(formatLoad(report));
const ok = report.connected === report.connections && report.exactlyOnce && report.strayDeliveries === 0;
console.log(ok ? "load: PASSED" : "load: FAILED");
process.exit(ok ? 0 : 1);

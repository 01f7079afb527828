// Runs the bundled worker in workerd through miniflare (Node 22+). env: MINIFLARE (its
// entry file), WORKER (the bundle), WPS_URL.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { Miniflare } = await import(pathToFileURL(process.env.MINIFLARE).href);
const mf = new Miniflare({
  modules: [{ type: "ESModule", path: "worker.mjs", contents: readFileSync(process.env.WORKER, "utf8") }],
  compatibilityDate: "2025-01-01",
  bindings: { WPS_URL: process.env.WPS_URL },
});
try {
  const res = await mf.dispatchFetch("http://localhost/");
  const text = await res.text();
  console.log(text);
  if (!res.ok) process.exitCode = 1;
} finally {
  await mf.dispose();
}

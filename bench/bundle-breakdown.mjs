// Where the browser bundle's bytes come from, per source module: `node bench/bundle-breakdown.mjs`.
// Initial load vs lazy chunks (bench/bundle-size.mjs). Bundles src/index.ts directly (with the browser WebSocket picker, as rollup does) and the official package.
import { measureBundle } from "./bundle-size.mjs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const browserSwap = {
  name: "browser-swap",
  setup(b) {
    b.onResolve({ filter: /\/default-websocket(\.js)?$/ }, (a) => ({ path: join(a.resolveDir, a.path.replace(/(\.js)?$/, ".browser.ts")) }));
  },
};
for (const [name, from] of [["ours (src/index.ts)", join(root, "src/index.ts")], ["official", "@azure/web-pubsub-client"]]) {
  const r = await measureBundle(from, { resolveDir: root, plugins: [browserSwap] });
  console.log(`${name}: ${r.min} B minified, ${r.gzip} B gzip (initial load); lazy chunks: ${r.lazyChunks}, ${r.lazy.min} B minified, ${r.lazy.gzip} B gzip`);
  for (const [k, v] of r.inputs.slice(0, 20)) console.log(`  ${String(v).padStart(6)} B  ${k.replace(/^.*node_modules\//, "")}`);
  if (r.lazyInputs.length) console.log("  lazy:");
  for (const [k, v] of r.lazyInputs.slice(0, 8)) console.log(`  ${String(v).padStart(6)} B  ${k.replace(/^.*node_modules\//, "")}`);
}

// Where the browser bundle's bytes come from, per source module: `node bench/bundle-breakdown.mjs`.
// Bundles src/index.ts directly (with the browser WebSocket picker, as rollup does) and the official package.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const browserSwap = {
  name: "browser-swap",
  setup(b) {
    b.onResolve({ filter: /\/default-websocket(\.js)?$/ }, (a) => ({ path: join(a.resolveDir, a.path.replace(/(\.js)?$/, ".browser.ts")) }));
  },
};
for (const [name, from] of [["ours (src/index.ts)", join(root, "src/index.ts")], ["official", "@azure/web-pubsub-client"]]) {
  const r = await build({
    stdin: { contents: `import { WebPubSubClient } from ${JSON.stringify(from)}; globalThis.C = WebPubSubClient;`, resolveDir: root, loader: "js" },
    bundle: true, minify: true, format: "esm", platform: "browser", write: false, metafile: true, logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' }, plugins: [browserSwap],
  });
  const code = r.outputFiles[0].contents;
  console.log(`${name}: ${code.length} B minified, ${gzipSync(code, { level: 9 }).length} B gzip`);
  const inputs = Object.entries(Object.values(r.metafile.outputs)[0].inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
  for (const [k, v] of inputs.slice(0, 20)) console.log(`  ${String(v.bytesInOutput).padStart(6)} B  ${k.replace(/^.*node_modules\//, "")}`);
}

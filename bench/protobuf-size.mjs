// What the protobuf entry adds to an app: `node bench/protobuf-size.mjs`. Bundles (esbuild,
// browser, minified, gzip -9) an app that imports the client, with and without the protobuf
// protocol, and prints the difference. Also exported for bench/run.mjs.
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

async function size(contents) {
  const r = await build({
    stdin: { contents, resolveDir: root, loader: "js" },
    bundle: true, minify: true, format: "esm", platform: "browser", write: false, logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' }, plugins: [browserSwap],
  });
  const code = r.outputFiles[0].contents;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const client = JSON.stringify(join(root, "src/index.ts"));
const protobuf = JSON.stringify(join(root, "src/protobuf/index.ts"));

/** Sizes of the client alone, the client with the protobuf protocol, and the difference. */
export async function protobufEntrySize() {
  const base = await size(`import { WebPubSubClient } from ${client}; globalThis.C = new WebPubSubClient("ws://h/x");`);
  const withPb = await size(
    `import { WebPubSubClient } from ${client}; import { WebPubSubProtobufReliableProtocol, WebPubSubProtobufProtocol } from ${protobuf};` +
      ` globalThis.C = new WebPubSubClient("ws://h/x", { protocol: WebPubSubProtobufReliableProtocol() }); globalThis.P = WebPubSubProtobufProtocol;`,
  );
  const alone = await size(`import * as pb from ${protobuf}; globalThis.P = pb;`);
  return { base, withPb, added: { min: withPb.min - base.min, gzip: withPb.gzip - base.gzip }, entryAlone: alone };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await protobufEntrySize();
  console.log(`client alone:           ${s.base.min} B min, ${s.base.gzip} B min+gz`);
  console.log(`client + protobuf:      ${s.withPb.min} B min, ${s.withPb.gzip} B min+gz`);
  console.log(`added by protobuf:      ${s.added.min} B min, ${s.added.gzip} B min+gz (budget 2560 B)`);
  console.log(`whole protobuf entry:   ${s.entryAlone.min} B min, ${s.entryAlone.gzip} B min+gz (every export, no client)`);
}

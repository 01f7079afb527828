// What an app's bundler ships for `import { WebPubSubClient } from "…"; new WebPubSubClient(…)`:
// esbuild, bundle + minify, ESM for browsers, with code splitting on (as Vite, webpack and
// esbuild apps build), so a dynamic `import()` becomes a chunk loaded only when used.
// `initial` is the entry chunk plus every chunk it imports statically (what every page
// loads); `lazy` is the rest (loaded on demand: shared connections, group streams).
import { build } from "esbuild";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { gzipSync } from "node:zlib";

/** `from` is a module specifier or path; `plugins` e.g. the browser WebSocket swap. */
export async function measureBundle(from, { resolveDir, plugins = [] } = {}) {
  const r = await build({
    stdin: { contents: `import { WebPubSubClient } from ${JSON.stringify(from)};\nglobalThis.C = WebPubSubClient;\n`, resolveDir, loader: "js" },
    // write: false: nothing is written, `outdir` only names the chunks
    bundle: true, minify: true, format: "esm", platform: "browser", splitting: true, outdir: join(tmpdir(), "bundle-size"), write: false, metafile: true, logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' }, plugins,
  });
  const files = new Map(r.outputFiles.map((f) => [f.path, f.contents]));
  const outputs = r.metafile.outputs; // keyed by paths relative to the working directory
  const code = (k) => files.get(isAbsolute(k) ? k : join(process.cwd(), k)) ?? new Uint8Array();
  const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint !== undefined);
  const initial = new Set();
  const visit = (k) => {
    if (initial.has(k)) return;
    initial.add(k);
    for (const i of outputs[k].imports) if (i.kind === "import-statement" && outputs[i.path]) visit(i.path);
  };
  visit(entry);
  const size = (keys) => {
    const js = keys.filter((k) => k.endsWith(".js")).map(code);
    return { min: js.reduce((n, c) => n + c.length, 0), gzip: js.reduce((n, c) => n + gzipSync(c, { level: 9 }).length, 0) };
  };
  const lazy = Object.keys(outputs).filter((k) => !initial.has(k));
  const inputsOf = (keys) => {
    const m = new Map();
    for (const k of keys) for (const [file, v] of Object.entries(outputs[k].inputs)) m.set(file, (m.get(file) ?? 0) + v.bytesInOutput);
    return [...m].sort((a, b) => b[1] - a[1]);
  };
  return { ...size([...initial]), lazy: size(lazy), lazyChunks: lazy.filter((k) => k.endsWith(".js")).length, inputs: inputsOf([...initial]), lazyInputs: inputsOf(lazy) };
}

// Bundles the SPA with esbuild: src/main.js (+ the chat UI and CSS) → public/app.js, public/app.css.
//   node examples/spa/build.mjs
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/**
 * @param {{ outdir?: string, minify?: boolean }} [options]
 * @returns {Promise<import("esbuild").BuildResult & { metafile: import("esbuild").Metafile }>}
 */
export async function buildSpa({ outdir = resolve(HERE, "public"), minify = true } = {}) {
  return esbuild.build({
    absWorkingDir: resolve(HERE, "../.."), // metafile paths relative to the repo root
    entryPoints: { app: resolve(HERE, "src/main.js") },
    outdir,
    bundle: true,
    format: "esm",
    platform: "browser", // picks the package's "browser" export: no `ws`, no Node built-ins
    target: ["es2020"],
    minify,
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildSpa();
  for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith(".map")) console.log(`${file}  ${(bytes / 1024).toFixed(1)} kB`);
  }
}

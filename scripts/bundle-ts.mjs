// Bundles a TypeScript entry with esbuild's JS API and imports it (there is no tsx/ts-node).
// Packages stay external and resolve from node_modules: the bundle is written under
// node_modules/.cache so Node finds them from there.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Bundles `entry` (relative to the repo root) and returns its module namespace. */
export async function importTs(entry, name = entry.replace(/[^A-Za-z0-9]+/g, "-")) {
  const outDir = join(root, "node_modules", ".cache", "webpubsub-scripts");
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node18",
    packages: "external",
    sourcemap: "inline",
    logLevel: "warning",
  });
  return import(pathToFileURL(outfile).href);
}

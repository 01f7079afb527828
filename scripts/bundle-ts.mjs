// Bundles a TypeScript entry with esbuild's JS API and imports it (there is no tsx/ts-node).
// Packages stay external and resolve from node_modules: the bundle is written under
// node_modules/.cache so Node finds them from there.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

/** The repo root, found by walking up: this file may itself run from inside a bundle. */
function findRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, "scripts", "bundle-ts.mjs"))) return dir;
  }
  return resolve(".");
}

const root = findRoot();

/**
 * Bundles `entry` (relative to the repo root) into one .mjs under node_modules/.cache and
 * returns its path (one per process: the caller removes it when done).
 */
export async function bundleTs(entry, name = entry.replace(/[^A-Za-z0-9]+/g, "-")) {
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
  return outfile;
}

/** Bundles `entry` and imports it; the bundle is removed once imported (the module stays loaded). */
export async function importTs(entry, name) {
  const file = await bundleTs(entry, name);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
}

// Where things are, and a clear failure when the build the browser tests load is missing.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));
export const PAGES = fileURLToPath(new URL("../pages/", import.meta.url));
export const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

/** Throws, naming the fix, when dist/ lacks a file the browser tests load. */
export function requireDist(files = ["webpubsub-client.umd.min.js", "browser/index.mjs", "emulator/index.mjs"]) {
  const missing = files.filter((f) => !existsSync(DIST + f));
  if (missing.length) {
    throw new Error(
      `dist/${missing.join(", dist/")} missing: the browser tests load the built package. ` +
        "Run `npm run build` first (`npm test` does it for you).",
    );
  }
}

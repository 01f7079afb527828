// The browser bundle's initial load (an app that imports and constructs WebPubSubClient,
// esbuild bundle + minify with code splitting, gzip; bench/bundle-size.mjs, as `npm run
// bench` measures it) stays small against the official 1.1.0 client's, measured in the
// same run. Needs `npm run build` first (npm test does it).
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { measureBundle } from "../../bench/bundle-size.mjs";

const root = new URL("../../", import.meta.url).pathname;
const entry = `${root}dist/browser/index.mjs`;

/**
 * The bound on ours / official (gzip of the initial load). The target is 0.70 (issue 11);
 * measured 0.715 (10,264 / 14,348 B) when this bound was set, with the build's short internal
 * names (scripts/internal-props.mjs), so the bound holds that with a little room for merges,
 * and fails the 0.734 it was at without them.
 */
const MAX_RATIO = 0.725;

describe("browser bundle size", () => {
  it(`the initial load is at most ${MAX_RATIO}x the official client's, and the lazy features stay out of it`, async () => {
    if (!existsSync(entry)) throw new Error("dist/browser/index.mjs is missing: run `npm run build` first");
    const [ours, official] = await Promise.all([measureBundle(entry, { resolveDir: root }), measureBundle("@azure/web-pubsub-client", { resolveDir: root })]);
    expect(ours.gzip / official.gzip).toBeLessThanOrEqual(MAX_RATIO);
    // shareConnection and group streams are chunks of their own, loaded on first use
    expect(ours.lazyChunks).toBeGreaterThanOrEqual(2);
    expect(ours.inputs.map(([file]) => file)).not.toContainEqual(expect.stringMatching(/chunks\/(shared|streams)/));
    // one file, exporting only the public API: the lazy chunks are handed what they use of the
    // main code (shared/deps.ts, StreamDeps in streams/lazy.ts); a static import of it would
    // add exports to the entry, or split it into a re-exporting entry plus a common chunk
    expect(ours.inputs.map(([file]) => file).filter((f) => f.startsWith("dist/"))).toEqual(["dist/browser/index.mjs"]);
    for (const chunk of ["shared.mjs", "streams-streams.mjs"]) {
      expect(readFileSync(`${root}dist/browser/chunks/${chunk}`, "utf8"), chunk).not.toMatch(/^import .* from '\.\.\/[^']*';$/m);
    }
  }, 60_000);
});

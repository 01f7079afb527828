// Runs once before any browser test file loads: fail at once, with the fix, when the build
// or Chromium is missing (instead of one confusing import error per file).
import { findChromium } from "./chromium.mjs";
import { requireDist } from "./paths.mjs";

export default function setup(): void {
  requireDist();
  findChromium();
}

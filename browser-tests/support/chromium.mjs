// Finds and launches the Chromium the browser tests run in. A missing browser is an error
// that names the fix — the browser tests never skip silently.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

const FIX =
  "Install it with `apt-get install -y chromium` (Debian/Ubuntu), or point CHROMIUM_PATH at a Chromium/Chrome binary " +
  "(e.g. `CHROMIUM_PATH=/path/to/chrome npm run test:browser`).";

/** CHROMIUM_PATH, else /usr/bin/chromium, else Playwright's own download if there is one. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but no file is there. ${FIX}`);
    return fromEnv;
  }
  const candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
  try {
    candidates.push(chromium.executablePath());
  } catch {
    // playwright-core has no browser of its own installed
  }
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) throw new Error(`Chromium not found (looked at ${candidates.join(", ")}). ${FIX}`);
  return found;
}

/** @param {import("playwright-core").LaunchOptions} [options] */
export async function launchChromium(options = {}) {
  const executablePath = findChromium();
  try {
    return await chromium.launch({ executablePath, args: CHROMIUM_ARGS, ...options });
  } catch (err) {
    throw new Error(`Chromium at ${executablePath} failed to start: ${err?.message ?? err}. ${FIX}`);
  }
}

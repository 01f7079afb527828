// The browser suite: Playwright-driven Chromium against the built package (dist/) and the
// local Web PubSub service. Run with `npm run test:browser` (after `npm run build`).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["browser-tests/**/*.test.ts"],
    environment: "node",
    globalSetup: ["browser-tests/support/global-setup.ts"],
    pool: "forks",
    // Each file runs its own Chromium; two at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});

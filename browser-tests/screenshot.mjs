// Writes docs/chat.png: the chat example (what `npm start` serves) with two users talking.
//   npm run screenshot        (needs dist/: npm run build)
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startChat } from "../examples/chat/server.mjs";
import { converse, joinChat } from "./support/chat-driver.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { watchPage } from "./support/page-watch.mjs";
import { requireDist, ROOT } from "./support/paths.mjs";

/**
 * Runs the conversation and saves a screenshot of alice's page to `file`.
 * @returns {Promise<string[]>} console errors and uncaught exceptions seen on the pages
 */
export async function captureChat(file = resolve(ROOT, "docs/chat.png")) {
  requireDist();
  const chat = await startChat({ port: 0 });
  const browser = await launchChromium();
  const problems = [];
  try {
    const pages = {};
    for (const user of ["alice", "bob"]) {
      // One context per user, as two separate browsers would be.
      const context = await browser.newContext({ viewport: { width: 900, height: 620 }, deviceScaleFactor: 1 });
      pages[user] = await context.newPage();
      problems.push(watchPage(pages[user], user));
      await joinChat(pages[user], chat.url, user);
    }
    await converse(pages);
    await pages.alice.getByTestId("text").fill("Typing the next one…");
    await pages.alice.getByTestId("text").blur();
    await mkdir(dirname(file), { recursive: true });
    await pages.alice.screenshot({ path: file });
    for (const page of Object.values(pages)) await page.context().close();
    return problems.flat();
  } finally {
    await browser.close();
    await chat.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = resolve(process.argv[2] ?? resolve(ROOT, "docs/chat.png"));
  const problems = await captureChat(file);
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`wrote ${file}`);
}

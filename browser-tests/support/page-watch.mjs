// Records what a page reports as going wrong: console errors and uncaught exceptions.
// Every browser test asserts that both lists are empty at the end.

/**
 * @param {import("playwright-core").Page} page
 * @param {string} [label] names the page in the messages (useful with two pages)
 */
export function watchPage(page, label = "page") {
  /** @type {string[]} */
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      const where = msg.location();
      problems.push(`[${label}] console.error: ${msg.text()}${where?.url ? ` (${where.url}:${where.lineNumber})` : ""}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`[${label}] uncaught: ${err.stack ?? err.message}`));
  page.on("crash", () => problems.push(`[${label}] crashed`));
  return problems;
}

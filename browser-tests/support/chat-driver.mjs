// Drives the chat example's UI (examples/chat, examples/spa) like a person would.

/** Opens the chat at `url` in `page` and joins as `user`; resolves once connected. */
export async function joinChat(page, url, user) {
  await page.goto(url);
  await page.getByTestId("user").fill(user);
  await page.getByTestId("user").press("Enter");
  await page.locator('[data-testid="state"][data-state="connected"]').waitFor();
  await page.getByTestId("login").waitFor({ state: "hidden" });
}

/** Types and sends a line; resolves once the service acked it (no longer "pending"). */
export async function say(page, text) {
  await page.getByTestId("text").fill(text);
  await page.getByTestId("text").press("Enter");
  await page.locator(".msg.mine:not(.pending)", { hasText: text }).last().waitFor();
}

/** Resolves once `page` shows a message from `from` with `text`. */
export async function waitForMessage(page, from, text) {
  await page.locator(`.msg:not(.mine)[data-from="${from}"]`, { hasText: text }).last().waitFor();
}

/** What the page shows: [{ from, text, mine }] in order. */
export function messagesOn(page) {
  return page.$$eval(".msg", (rows) =>
    rows.map((r) => ({
      from: r.getAttribute("data-from"),
      text: r.querySelector(".text")?.textContent ?? "",
      mine: r.classList.contains("mine"),
    })),
  );
}

/** A short conversation between two joined pages; each line is seen by the other before the next. */
export const CONVERSATION = [
  ["alice", "Hi Bob! Is the local Web PubSub service up?"],
  ["bob", "It is: npm start brought up the service and this page."],
  ["alice", "Nice. No Azure account needed for development, then."],
  ["bob", "Right, and with a connection string the same page talks to Azure."],
  ["alice", "Let's ship it."],
];

export async function converse(pages, lines = CONVERSATION) {
  for (const [from, text] of lines) {
    await say(pages[from], text);
    for (const [name, page] of Object.entries(pages)) if (name !== from) await waitForMessage(page, from, text);
  }
}

/** Starts recording every value the state badge takes (however briefly) into window.__states. */
export async function recordStates(page) {
  await page.evaluate(() => {
    const badge = document.querySelector('[data-testid="state"]');
    window.__states = [badge.dataset.state];
    new MutationObserver(() => {
      const s = badge.dataset.state;
      if (window.__states.at(-1) !== s) window.__states.push(s);
    }).observe(badge, { attributes: true, attributeFilter: ["data-state"] });
  });
}

export const recordedStates = (page) => page.evaluate(() => window.__states);

// The SharedWorker's credential requests (src/shared/cred-requests.ts): bounded, and a request
// that was aborted or whose tab went away is forgotten at once, so it never holds a slot.
import { describe, expect, it } from "vitest";
import { CredRequests, MAX_CRED_REQUESTS } from "../../src/shared/cred-requests.js";
import type { MessagePortLike } from "../../src/shared/worker-boot.js";

const port = (): MessagePortLike => ({}) as MessagePortLike;

function requests() {
  const sent: Array<[MessagePortLike, { t: string; id: number }]> = [];
  const creds = new CredRequests((p, m) => void sent.push([p, m as { t: string; id: number }]));
  return { creds, sent };
}

describe("credential requests", () => {
  it("asks the port, resolves with its answer, ignores answers from other ports and late ones", async () => {
    const { creds, sent } = requests();
    const a = port();
    const got = creds.ask(a);
    const [[to, m]] = sent;
    expect([to, m.t]).toEqual([a, "cred"]);
    creds.answer(port(), m.id, "wss://other", ""); // not the port asked
    creds.answer(a, m.id, "wss://url", "");
    creds.answer(a, m.id, "wss://again", ""); // already answered
    await expect(got).resolves.toBe("wss://url");
    expect(creds.size).toBe(0);
  });

  it("a failed answer rejects with the tab's message; no port rejects at once", async () => {
    const { creds, sent } = requests();
    const a = port();
    const got = creds.ask(a);
    creds.answer(a, sent[0][1].id, undefined, "credential failed");
    await expect(got).rejects.toThrow("credential failed");
    await expect(creds.ask(undefined)).rejects.toThrow("No tab is left");
  });

  it(`at most ${MAX_CRED_REQUESTS} wait; aborted requests free their slot at once and ignore a late answer`, async () => {
    const { creds, sent } = requests();
    const a = port();
    const aborts = Array.from({ length: MAX_CRED_REQUESTS }, () => new AbortController());
    const asked = aborts.map((c) => creds.ask(a, c.signal));
    await expect(creds.ask(a)).rejects.toThrow("Too many");
    for (const c of aborts) c.abort();
    for (const p of asked) await expect(p).rejects.toThrow("aborted");
    expect(creds.size).toBe(0);
    creds.answer(a, sent[0][1].id, "wss://late", "");
    // the slots are free again: a new request is sent
    const next = creds.ask(a);
    creds.answer(a, sent.at(-1)![1].id, "wss://next", "");
    await expect(next).resolves.toBe("wss://next");
  });

  it("a tab that goes away fails its own requests only", async () => {
    const { creds, sent } = requests();
    const [a, b] = [port(), port()];
    const fromA = creds.ask(a);
    const fromB = creds.ask(b);
    creds.forget(a);
    await expect(fromA).rejects.toThrow("The tab went away.");
    creds.answer(b, sent[1][1].id, "wss://b", "");
    await expect(fromB).resolves.toBe("wss://b");
  });
});

// Minimal reproductions of client bugs the fuzz and chaos runs found. Each is `it.fails`:
// it passes while the bug is there and starts failing once src/ is fixed — then turn it
// into a plain `it` (and drop the matching exclusion in client-hostile-server.test.ts).
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { WebPubSubClient } from "../../src/index.js";
import { fakeRuntime, settle } from "../helpers/fake-runtime.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

// Bug 1: a data message that arrives before the `connected` frame (a buggy or hostile
// server) is tracked by the sequence acker, which arms its 1 s ack timer. When start() then
// fails (the socket closes before `connected`), the failure path never cancels or resets the
// acker, so the stopped client keeps a timer; the acker re-arms it every second because the
// ack cannot be written, so a stopped client keeps a Node process alive forever.
it("a failed start() leaves no timer behind, even after a message arrived before `connected`", async () => {
  const rt = fakeRuntime();
  const client = new WebPubSubClient("wss://h/client/hubs/hub?access_token=abc", {}, rt);
  const started = client.start().catch(() => "failed");
  await settle();
  rt.last().receive({ type: "message", from: "group", group: "g", dataType: "text", data: "early", sequenceId: 1 });
  rt.last().drop(1006);
  expect(await started).toBe("failed");
  expect(client.state).toBe("stopped");
  await vi.advanceTimersByTimeAsync(10_000);
  expect(vi.getTimerCount()).toBe(0);
});

// Minimal reproductions of client bugs the fuzz and chaos runs found, kept as regression
// tests. A newly found, still open one goes in as `it.fails` (it passes while the bug is
// there) and becomes a plain `it` with the fix.
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { WebPubSubClient } from "../../src/index.js";
import { fakeRuntime, settle } from "../helpers/fake-runtime.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

// Bug 1 (fixed in 75e4274): a data message that arrives before the `connected` frame (a buggy or hostile
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

// Bug 2 (fixed in 3b10edb): the recovery window (30 s) is kept across a recovered link until a frame arrives on
// it, to pace sockets that open and close at once. PROTOCOL §5 says the service *may* send a
// `connected` frame on recovery; when it does not (and nothing else arrives, e.g. a quiet
// group, or the emulator's `faults.pause` holding that frame), a link that then lives for a
// long time and drops later gets no recovery attempt at all: more than 30 s after the first
// drop, the client abandons a session that is still alive and starts a brand-new connection,
// so the session's buffered messages are lost.
it("a recovered link that lived 40 s and then drops is recovered again, not abandoned", async () => {
  const rt = fakeRuntime();
  const client = new WebPubSubClient("wss://h/client/hubs/hub?access_token=abc", {}, rt);
  const started = client.start();
  await settle();
  rt.last().accept("c1", "t1");
  await started;
  rt.last().drop(1006);
  await settle();
  rt.last().recover(); // recovered; the service sent no `connected` frame and has no data yet
  await settle();
  expect(client.state).toBe("connected");
  await vi.advanceTimersByTimeAsync(40_000); // alive (pings go out; the 120 s timeout is far)
  expect(client.state).toBe("connected");
  const sockets = rt.sockets.length;
  rt.last().drop(1006);
  await settle();
  expect(client.state).toBe("recovering");
  expect(rt.sockets).toHaveLength(sockets + 1);
  expect(rt.last().url).toContain("awps_connection_id=c1");
  await client.stop();
});

// Bug 3 (fixed in 3b10edb): recovery attempts are paced by the wall clock — the wait before the next attempt is
// `lastRecoveryAttempt + 1 s - now` and is not capped. When the wall clock goes back (NTP
// correction, the user sets the time, a VM snapshot restored) after an attempt, the next drop
// waits as long as the clock went back — here 10 minutes — before trying to recover, far
// past the service's 30 s session lifetime. Found by the clock-jump property in
// time-faults.test.ts (seed 1, 1000 runs).
it("after the wall clock goes back 10 minutes, a drop is recovered within a second", async () => {
  const rt = fakeRuntime();
  const client = new WebPubSubClient("wss://h/client/hubs/hub?access_token=abc", {}, rt);
  const started = client.start();
  await settle();
  rt.last().accept("c1", "t1");
  await started;
  rt.last().drop(1006);
  await settle();
  rt.last().recover(); // recovered
  await settle();
  rt.last().receive({ type: "system", event: "connected", connectionId: "c1", reconnectionToken: "t2" });
  expect(client.state).toBe("connected");
  vi.setSystemTime(Date.now() - 10 * 60_000); // the wall clock is corrected backwards
  const sockets = rt.sockets.length;
  rt.last().drop(1006);
  await vi.advanceTimersByTimeAsync(1000);
  expect(rt.sockets).toHaveLength(sockets + 1);
  await client.stop();
});

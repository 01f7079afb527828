// The recovery policy as a table: situation → decision (src/core/recovery-policy.ts).
import { describe, expect, it } from "vitest";
import { RecoveryPolicy } from "../../src/core/recovery-policy.js";
import { RECONNECT_RETRY_DEFAULTS, RetryPolicy } from "../../src/core/retry-policy.js";

const fixed = new RetryPolicy({ retryDelayInMs: 1000 }, RECONNECT_RETRY_DEFAULTS, () => 0.5, "r");
const expo = new RetryPolicy({ mode: "Exponential", retryDelayInMs: 1000, maxRetryDelayInMs: 8000 }, RECONNECT_RETRY_DEFAULTS, () => 0.5, "r");
const policy = (retry = fixed, random = () => 0.5) => new RecoveryPolicy(30_000, 1000, retry, random);

describe("recovery delay (same session)", () => {
  it.each([
    // [situation, link last up at, failures in a row, now, delay (-1: give the session up)]
    ["just dropped after being up", 0, 0, 0, 0],
    ["dropped 10 s after being up, no attempt failed yet", 0, 0, 10_000, 0],
    ["one attempt failed", 0, 1, 100, 125],
    ["two failed", 0, 2, 100, 250],
    ["three failed", 0, 3, 100, 500],
    ["many failed: capped at the retry delay", 0, 12, 100, 500],
    ["the wait never passes the window's end", 0, 12, 29_900, 100],
    ["30 s since the link was last up", 0, 3, 30_000, -1],
    ["30 s since, even with no failure counted", 0, 0, 30_001, -1],
    ["a confirmed link restarts the window", 25_000, 0, 40_000, 0],
  ])("%s", (_why, upAt, failures, now, expected) => {
    const p = policy();
    p.up(upAt);
    for (let i = 0; i < failures; i++) p.recoveryFailed();
    expect(p.recoveryDelay(now)).toBe(expected);
  });

  it("full jitter: the delay is random below the ceiling", () => {
    for (const r of [0, 0.25, 0.999]) {
      const p = policy(fixed, () => r);
      p.up(0);
      for (let i = 0; i < 3; i++) p.recoveryFailed();
      expect(p.recoveryDelay(0)).toBe(Math.floor(r * 1000));
    }
  });

  it("a confirmed link clears the failures", () => {
    const p = policy();
    p.up(0);
    p.recoveryFailed();
    p.recoveryFailed();
    p.up(500);
    expect(p.recoveryDelay(600)).toBe(0);
  });
});

describe("reconnect delay (brand-new connections)", () => {
  it.each([
    // [situation, mode, connection lived ms (or -1: none confirmed), failed attempts after it, delay]
    ["after a healthy connection: at once", fixed, 5_000, 0, 0],
    ["a connection that died within 1 s counts as a failure", fixed, 300, 0, 1000],
    ["failed attempts wait the retry delay (Fixed)", fixed, 5_000, 2, 1000],
    ["died young, then two failed attempts", fixed, 300, 2, 1000],
    ["Exponential: jittered even the first", expo, 5_000, 0, 500],
    ["Exponential: grows with the failures", expo, 300, 2, 0.5 * 4000],
    ["Exponential: capped", expo, 300, 9, 0.5 * 8000],
  ])("%s", (_why, retry, lived, failed, expected) => {
    const p = policy(retry);
    p.connected(0);
    p.lost(lived);
    for (let i = 0; i < failed; i++) p.connectFailed();
    expect(p.reconnectDelay()).toBe(expected);
  });

  it("a healthy connection resets the failures", () => {
    const p = policy();
    p.connectFailed();
    p.connectFailed();
    p.connected(10_000);
    p.lost(12_000);
    expect(p.reconnectDelay()).toBe(0);
  });
});

// The pure parts of shareConnection, as tables.
import { describe, expect, it } from "vitest";
import { GroupCounts } from "../../src/shared/group-counts.js";
import { parseSnapshot, RELOAD_MAX_AGE_MS } from "../../src/shared/reload-store.js";
import { readConnectedFrame } from "../../src/shared/session-transport.js";
import { PendingOps, TabIds, type PendingOp } from "../../src/shared/tab-ops.js";
import { withoutSessionParams } from "../../src/utils/url.js";
import { parseWire } from "../../src/shared/wire.js";

describe("parseWire", () => {
  const good = [
    { t: "hello", from: "a", groups: ["g"] },
    { t: "op", from: "a", id: 1, op: { kind: "joinGroup", group: "g", ackId: 5 } },
    { t: "op", from: "a", id: 2, op: { kind: "sendToGroup", group: "g", dataType: "binary", data: new Uint8Array(2), noEcho: true } },
    { t: "op", from: "a", id: 3, op: { kind: "invoke", event: "e", dataType: "json", data: { x: 1 }, invocationId: "a.1" } },
    { t: "abort", from: "a", id: 3 },
    { t: "bye", from: "a" },
    { t: "who", holder: "h" },
    { t: "state", holder: "h", state: "connected", connectionId: "c", session: { url: "ws://x", connectionId: "c", reconnectionToken: "t" } },
    { t: "data", holder: "h", m: { kind: "groupData", group: "g", dataType: "text", data: "x", sequenceId: 3 } },
    { t: "data", holder: "h", m: { kind: "serverData", dataType: "binary", data: new ArrayBuffer(1) } },
    { t: "event", holder: "h", name: "recovered", e: { connectionId: "c" } },
    { t: "result", holder: "h", to: "a", id: 1, ok: true, isDuplicated: false },
    { t: "result", holder: "h", to: "a", id: 1, ok: false, error: { type: "send", message: "m", detail: { name: "Forbidden", message: "no" } } },
    { t: "ended", holder: "h" },
  ];
  it.each(good.map((m) => [m.t, m]))("accepts a well-formed %s", (_t, m) => expect(parseWire(m)).toBe(m));

  const bad: unknown[] = [
    undefined, null, 0, "hello", [], {}, { t: "nope" },
    { t: "hello", from: "", groups: [] },
    { t: "hello", from: "a".repeat(5000), groups: [] },
    { t: "hello", from: "a", groups: Array.from({ length: 1001 }, (_, i) => `g${i}`) },
    { t: "hello", from: "a", groups: [1] },
    { t: "op", from: "a", id: -1, op: { kind: "joinGroup", group: "g", ackId: 1 } },
    { t: "op", from: "a", id: 1.5, op: { kind: "joinGroup", group: "g", ackId: 1 } },
    { t: "op", from: "a", id: 1, op: { kind: "joinGroup", group: "g" } },
    { t: "op", from: "a", id: 1, op: { kind: "sendToGroup", group: "g", dataType: "text", data: 5, noEcho: false } },
    { t: "op", from: "a", id: 1, op: { kind: "sendToGroup", group: "g", dataType: "binary", data: "x", noEcho: false } },
    { t: "op", from: "a", id: 1, op: { kind: "sendEvent", event: "e", dataType: "weird", data: "x" } },
    { t: "op", from: "a", id: 1, op: { kind: "cancelInvocation", invocationId: "x" } },
    { t: "state", holder: "h", state: "stopped" },
    { t: "state", holder: "h", state: "connected", session: { url: "ws://x" } },
    { t: "data", holder: "h", m: { kind: "groupData", dataType: "text", data: "x" } },
    { t: "data", holder: "h", m: { kind: "serverData", dataType: "text", data: "x", sequenceId: -1 } },
    { t: "event", holder: "h", name: "toString", e: {} },
    { t: "result", holder: "h", to: "a", id: 1, ok: false, error: { type: "boom", message: "m" } },
    { t: "result", holder: "h", to: "a", id: 1, ok: "yes", isDuplicated: false },
    { t: "needUrl", holder: "h", to: "a" },
    new Proxy({}, { get: () => { throw new Error("hostile"); } }),
  ];
  it.each(bad.map((m, i) => [i, m]))("drops malformed message #%i", (_i, m) => expect(parseWire(m)).toBeUndefined());
});

describe("GroupCounts", () => {
  it("asks the service to leave only when the last tab leaves, and forgets a tab that went away", () => {
    const c = new GroupCounts();
    expect(c.join("a", "g")).toBe(true);
    expect(c.join("b", "g")).toBe(false);
    expect(c.join("b", "h")).toBe(true);
    expect(c.wantedByOthers("a", "g")).toBe(true);
    expect(c.leave("a", "g")).toBe(false);
    expect(c.wantedByOthers("b", "g")).toBe(false);
    expect([...c.tabsIn("g")]).toEqual(["b"]);
    expect(c.removeTab("b").sort()).toEqual(["g", "h"]);
    expect(c.groups()).toEqual([]);
    expect(c.leave("z", "nothing")).toBe(true);
  });

  it("drops a group for every tab at once (the service refused it)", () => {
    const c = new GroupCounts();
    c.join("a", "g");
    c.join("b", "g");
    c.join("b", "h");
    c.drop("g");
    expect([...c.tabsIn("g")]).toEqual([]);
    expect(c.groups()).toEqual(["h"]);
    expect(c.join("a", "g")).toBe(true); // the next tab to want it asks the service again
  });
});

describe("TabIds over PendingOps", () => {
  const op = (tabAckId?: number, tabInvocationId?: string): PendingOp => ({
    op: { kind: "sendEvent", event: "e", dataType: "text", data: "x" },
    tabAckId,
    tabInvocationId,
    resolve: () => {},
    reject: () => {},
  });
  it("an id is taken while an operation carries it, free again once the last one settles; ackIds and invocationIds do not mix", () => {
    const pending = new PendingOps();
    const ids = new TabIds(pending);
    pending.set(1, op(1)).set(2, op(undefined, "1")).set(3, op(1));
    expect(() => ids.checkKeyFree(1)).toThrow(RangeError);
    expect(() => ids.checkKeyFree("1")).toThrow(RangeError);
    expect(() => ids.checkKeyFree(2)).not.toThrow();
    expect(ids.nextAckId()).toBe(2); // 1 is pending
    expect(ids.nextInvocationId()).toBe("2");
    pending.delete(1);
    expect(() => ids.checkKeyFree(1)).toThrow(RangeError); // op 3 still carries it
    pending.delete(3);
    pending.delete(3); // twice: no harm
    expect(() => ids.checkKeyFree(1)).not.toThrow();
    pending.set(2, op(7)); // replaced: "1" is no longer carried
    expect(() => ids.checkKeyFree("1")).not.toThrow();
    expect(() => ids.checkKeyFree(7)).toThrow(RangeError);
    pending.clear();
    expect(() => ids.checkKeyFree(7)).not.toThrow();
  });
});

describe("reload snapshot", () => {
  const now = 1_000_000;
  const ok = { session: { url: "ws://h/client/hubs/x", connectionId: "c", reconnectionToken: "t" }, lastSeq: 4, groups: ["g"], takenAt: now - 1000 };
  it.each([
    ["a fresh snapshot", JSON.stringify(ok), true],
    ["one without a session (a follower's)", JSON.stringify({ ...ok, session: undefined }), true],
    ["null", null, false],
    ["not JSON", "{", false],
    ["too old", JSON.stringify({ ...ok, takenAt: now - RELOAD_MAX_AGE_MS - 1 }), false],
    ["from the future", JSON.stringify({ ...ok, takenAt: now + 5 }), false],
    ["a negative sequence id", JSON.stringify({ ...ok, lastSeq: -1 }), false],
    ["a bad group", JSON.stringify({ ...ok, groups: [""] }), false],
    ["a session without a token", JSON.stringify({ ...ok, session: { url: "u", connectionId: "c" } }), false],
  ])("%s", (_name, raw, valid) => expect(parseSnapshot(raw as string | null, now) !== undefined).toBe(valid));
});

describe("session transport helpers", () => {
  it.each([
    ["ws://h/client/hubs/x?access_token=abc", "ws://h/client/hubs/x"],
    ["ws://h/x?a=1&access_token=abc&b=2", "ws://h/x?a=1&b=2"],
    ["ws://h/x?access_token=abc&b=2", "ws://h/x?b=2"],
    ["ws://h/x?b=2&access_token=abc", "ws://h/x?b=2"],
    ["ws://h/x?awps_connection_id=c&awps_reconnection_token=t", "ws://h/x"],
    ["ws://h/x?access%5Ftoken=abc&b=2", "ws://h/x?b=2"],
    ["ws://h/x", "ws://h/x"],
  ])("strips the access token from %s", (url, want) => expect(withoutSessionParams(url)).toBe(want));

  it("reads connected frames and nothing else", () => {
    expect(readConnectedFrame('{"type":"system","event":"connected","connectionId":"c","reconnectionToken":"t"}')).toEqual({
      connectionId: "c",
      userId: undefined,
      reconnectionToken: "t",
    });
    expect(readConnectedFrame('{"type":"message","from":"server","dataType":"text","data":"\\"connected\\""}')).toBeUndefined();
    expect(readConnectedFrame("not json connected")).toBeUndefined();
    expect(readConnectedFrame(new ArrayBuffer(3))).toBeUndefined();
  });
});

import { describe, expect, test } from "vitest";
import { buildConnectionString, parseConnectionString } from "../../emulator/auth/connection-string";
import { audienceMatches, signJwt, stringListClaim, verifyJwt } from "../../emulator/auth/jwt";
import { compileFilter, FilterError } from "../../emulator/rest/odata";
import { dataTypeFromContentType, payloadFromFrameData, payloadJsonFragment } from "../../emulator/protocol/payload";
import { PermissionSet } from "../../emulator/auth/permissions";
import { pageOf } from "../../emulator/rest/paging";
import { GroupPattern } from "../../emulator/auth/group-pattern";
import { ReliableSession } from "../../emulator/sessions/reliable-session";

describe("connection strings", () => {
  test("parse: case-insensitive keys, https assumed, Port overrides", () => {
    expect(parseConnectionString("endpoint=http://localhost:8080;accesskey=k;version=1.0;")).toEqual({ endpoint: "http://localhost:8080", accessKey: "k", version: "1.0" });
    expect(parseConnectionString("Endpoint=host.example;AccessKey=a=b;Port=9000")).toEqual({ endpoint: "https://host.example:9000", accessKey: "a=b" });
    expect(() => parseConnectionString("AccessKey=k")).toThrow(/Endpoint/);
    expect(() => parseConnectionString("Endpoint=http://x")).toThrow(/AccessKey/);
    expect(buildConnectionString("http://h:1", "k")).toBe("Endpoint=http://h:1;AccessKey=k;Version=1.0;");
  });
});

describe("JWT", () => {
  test("round trip, tampering, exp/nbf, audience normalisation, list claims", () => {
    const token = signJwt({ aud: "http://H:1/client/hubs/Chat/", exp: 2000, nbf: 1000 }, "key");
    expect(verifyJwt(token, "key", 1500)).toMatchObject({ ok: true, claims: { exp: 2000 } });
    expect(verifyJwt(token, "key", 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect(verifyJwt(token, "key", 999)).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid yet/) });
    expect(verifyJwt(token, "other", 1500).ok).toBe(false);
    const [h, p, s] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ aud: "x", exp: 9e9 })).toString("base64url");
    expect(verifyJwt(`${h}.${forged}.${s}`, "key", 1500).ok).toBe(false);
    expect(verifyJwt(`${h}.${p}`, "key").ok).toBe(false);
    expect(audienceMatches("http://h:1/client/hubs/chat", ["ws://h:1/CLIENT/hubs/chat/"])).toBe(true);
    expect(audienceMatches(["x", "https://h:1/client/hubs/chat?x=1"], ["http://h:1/client/hubs/chat"])).toBe(true);
    expect(audienceMatches("http://h:2/client/hubs/chat", ["http://h:1/client/hubs/chat"])).toBe(false);
    expect(audienceMatches(undefined, ["http://h:1"])).toBe(false);
    expect(stringListClaim({ a: "x", b: ["y", 1, "z"] }, "a", "b")).toEqual(["x", "y", "z"]);
  });
});

describe("OData filters", () => {
  const s = { userId: "u1", connectionId: "c1", groups: new Set(["g1", "it's"]) };
  test.each([
    ["userId eq 'u1'", true],
    ["userId ne 'u1'", false],
    ["'g1' in groups", true],
    ["'it''s' in groups", true],
    ["not ('g2' in groups) and connectionId eq 'c1'", true],
    ["userId eq 'x' or 'g2' in groups", false],
    ["userId eq null", false],
    ["(userId eq 'x' or userId eq 'u1') and not connectionId ne 'c1'", true],
    ["userId gt 'a'", true],
  ])("%s -> %s", (filter, expected) => {
    expect(compileFilter(filter)(s)).toBe(expected);
  });
  test("errors", () => {
    for (const bad of ["userId", "userId == 'x'", "name eq 'x'", "'x' in groups extra", "(userId eq 'x'", "userId eq 'open"]) {
      expect(() => compileFilter(bad)).toThrow(FilterError);
    }
  });
});

describe("payloads", () => {
  test("frame data and content types", () => {
    expect(payloadFromFrameData("text", 1)).toMatch(/string/);
    expect(payloadFromFrameData("binary", "AQ=")).toMatch(/base64/);
    const p = payloadFromFrameData("json", { a: "\u2028" });
    expect(typeof p === "object" && payloadJsonFragment(p)).toBe('{"a":"\u2028"}');
    expect(dataTypeFromContentType("text/plain; charset=utf-8")).toBe("text");
    expect(dataTypeFromContentType("application/json")).toBe("json");
    expect(dataTypeFromContentType(undefined)).toBe("binary");
    expect(dataTypeFromContentType("application/xml")).toBeUndefined();
  });
});

describe("permissions and sessions", () => {
  test("roles, grants and revokes", () => {
    const p = new PermissionSet(["webpubsub.joinLeaveGroup.a", "webpubsub.sendToGroup", "other"]);
    expect(p.allows("joinLeaveGroup", "a")).toBe(true);
    expect(p.allows("joinLeaveGroup", "b")).toBe(false);
    expect(p.allows("sendToGroup", "anything")).toBe(true);
    p.revoke("sendToGroup");
    expect(p.allows("sendToGroup", "anything")).toBe(false);
    p.grant("joinLeaveGroup");
    expect(p.has("joinLeaveGroup")).toBe(true);
  });

  test("sequence ids, ack, bound", () => {
    const s = new ReliableSession();
    for (let i = 0; i < 1000; i++) expect(s.push((id) => `m${id}`)).toBe(`m${i + 1}`);
    expect(s.push((id) => `m${id}`)).toBeUndefined();
    s.ack(998);
    expect(s.unacked()).toEqual(["m999", "m1000"]);
    expect(s.tokenMatches(s.reconnectionToken)).toBe(true);
    expect(s.tokenMatches("x")).toBe(false);
  });

  test("paging: sorted by connection id, pages of maxPageSize, top over all pages, tokens survive members leaving", () => {
    const m = (ids: string[]): Array<{ connectionId: string }> => ids.map((connectionId) => ({ connectionId }));
    const all = m(["d", "a", "c", "b", "e"]);
    const p1 = pageOf(all, { maxPageSize: 2 });
    expect(p1.items.map((x) => x.connectionId)).toEqual(["a", "b"]);
    const p2 = pageOf(m(["a", "c", "d", "e"]), { maxPageSize: 2, continuationToken: p1.continuationToken! }); // b left
    expect(p2.items.map((x) => x.connectionId)).toEqual(["c", "d"]);
    const p3 = pageOf(all, { maxPageSize: 2, continuationToken: p2.continuationToken! });
    expect([p3.items.map((x) => x.connectionId), p3.continuationToken]).toEqual([["e"], undefined]);
    const t1 = pageOf(all, { maxPageSize: 2, top: 3 });
    const t2 = pageOf(all, { maxPageSize: 2, continuationToken: t1.continuationToken! });
    expect([t2.items.map((x) => x.connectionId), t2.continuationToken]).toEqual([["c"], undefined]);
    expect(pageOf(all, { top: 0 }).items).toEqual([]);
    expect(() => pageOf(all, { continuationToken: "garbage" })).toThrow(/continuationToken/);
  });

  test("wildcard group patterns: * within a segment, ** across, ? one non-dot character, case-sensitive", () => {
    const cases: Array<[string, string, boolean]> = [
      ["room.*", "room.a", true],
      ["room.*", "room.a.b", false],
      ["room.*", "room.", true],
      ["room.**", "room.a.b", true],
      ["**", "", true],
      ["*", "a.b", false],
      ["r?om", "room", true],
      ["r?om", "r.om", false],
      ["a*b*c", "axxbyyc", true],
      ["a*b*c", "axxbyy", false],
      ["Room", "room", false],
      ["a.b", "a.b", true],
      ["**.end", "x.y.end", true],
      ["**.end", "end", false],
    ];
    for (const [pattern, group, want] of cases) expect([pattern, group, new GroupPattern(pattern).matches(group)]).toEqual([pattern, group, want]);
    // no backtracking blow-up on a hostile group name
    expect(new GroupPattern("*a*a*a*a*a*a*a*a*b").matches("a".repeat(1024))).toBe(false);
    const perms = new PermissionSet(["webpubsub.sendToGroups.chat.*", "webpubsub.joinLeaveGroups.**.public"]);
    expect([perms.allows("sendToGroup", "chat.1"), perms.allows("sendToGroup", "chat.1.x"), perms.allows("joinLeaveGroup", "a.b.public"), perms.allows("joinLeaveGroup", "chat.1")]).toEqual([true, false, true, false]);
  });
});

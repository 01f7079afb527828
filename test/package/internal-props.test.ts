// The build shortens the SDK's internal property names (scripts/internal-props.mjs, used by
// rollup.config.mjs). A wrong "internal" breaks the package where a name meets a user, the
// wire, another tab or a library, so each rule of the analysis is checked on a fixture, and
// the SDK's own result on the names that must never change. The built files are checked to
// carry the short names (needs `npm run build` first; npm test does it).
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyse, internalPropertyNames, shortNames } from "../../scripts/internal-props.mjs";

const root = new URL("../../", import.meta.url).pathname;
const fixture = `${root}test/package/fixtures/props/`;

describe("internal property names", () => {
  it("a fixture: what only the sources use is renamed, everything that meets the outside is kept", () => {
    const r = analyse({ tsconfig: `${fixture}tsconfig.json`, src: `${fixture}src`, entries: [`${fixture}src/index.ts`], keepFiles: [`${fixture}src/wire.ts`] });
    const named = [...r.all].filter((n) => /^(kept|renamed)/.test(n) || n === "once").sort();
    expect(named.filter((n) => r.internal.has(n))).toEqual(["renamedDetail", "renamedField", "renamedMethod"]);
    expect(named.filter((n) => !r.internal.has(n))).toEqual(
      ["keptArgument", "keptBagged", "keptByIndex", "keptByIndexToo", "keptCount", "keptDestructured", "keptEnumMember", "keptExport", "keptGlobal", "keptHeld", "keptIn", "keptInArray", "keptInLiteral", "keptJson", "keptListed", "keptNested", "keptOption", "keptOwned", "keptParsed", "keptPayload", "keptPicked", "keptQuoted", "keptReflected", "keptResult", "keptSignalLike", "keptTested", "keptThrown", "keptWireKey", "once"],
    );
    // the public class's method is API; `ab` is too short to gain anything
    expect(r.kept.get("keptCount")).toBe("part of the public API");
    expect(r.internal.has("ab")).toBe(false);
    // each rule, with the reason it gives
    for (const [name, why] of [
      ["keptGlobal", "an outside value seen through a cast"],
      ["keptNested", "an outside value seen through a cast"],
      ["once", "a key of a type declared outside the sources"],
      ["keptSignalLike", "cast to an outside type"],
      ["keptJson", "a key of an any/unknown value"],
      ["keptPayload", "handed to outside code"],
      ["keptHeld", "handed to outside code"],
      ["keptInLiteral", "handed to outside code"],
      ["keptInArray", "handed to outside code"],
      ["keptParsed", "takes an outside value"],
      ["keptBagged", "cast to an outside type"],
      ["keptQuoted", "a quoted key"],
      ["keptIn", "spelled as a string key"],
      ["keptByIndex", "read by a computed key"],
      ["keptOwned", "read by a computed key"],
      ["keptPicked", "read by a computed key"],
      ["keptListed", "passed to Object.keys"],
      ["keptTested", "tested by a computed `in`"],
      ["keptReflected", "handed to outside code"],
      ["keptThrown", "thrown to outside code"],
      ["keptArgument", "an argument of unknown origin"],
      ["message", "overrides a member declared outside the sources"],
      ["keptExport", "a module's export"],
      ["keptDestructured", "a module's export"],
      ["keptEnumMember", "an enum member"],
      ["keptWireKey", `a key in ${fixture}src/wire.ts`],
      ["keptOption", "part of the public API"],
    ]) {
      expect([name, r.kept.get(name)]).toEqual([name, why]);
    }
  });

  it("short names are new to the sources, most used first", () => {
    const r = { internal: new Map([["often", 9], ["rare", 1]]), all: new Set(["often", "rare", "a", "c"]), kept: new Map([["b", "x"]]) };
    expect(shortNames(r)).toEqual({ often: "d", rare: "e" });
  });

  it("the SDK: API, wire, DOM and cross-tab names are kept; engine internals are renamed", () => {
    const { names } = internalPropertyNames(root);
    for (const kept of [
      // the protocol interface and options a user implements or passes
      "writeMessage", "parseMessages", "isReliableSubProtocol", "name", "logger", "protocol", "timers", "clock", "now", "wall",
      "autoReconnect", "autoRejoinGroups", "reconnectRetryOptions", "maxRetries", "getClientAccessUrl", "abortSignal",
      // the wire (JSON frames and protobuf) and event payloads
      "kind", "type", "ackId", "sequenceId", "invocationId", "connectionId", "reconnectionToken", "dataType", "data", "group", "streamId",
      // DOM and runtime objects seen through own types
      "persisted", "postMessage", "locks", "request", "onmessage", "navigator", "visibilityState", "freeze",
      // what lazy chunks export, and what crosses tabs and reloads
      "sharedEngine", "groupStreams", "session", "state",
      // mitt, bundled
      "all", "on", "off", "emit",
    ]) {
      expect(names, kept).not.toHaveProperty(kept);
    }
    for (const internal of ["outbox", "confirmed", "farewell", "extensions", "acker", "ackCounter", "checkKeyFree", "sendRaw"]) {
      expect(names, internal).toHaveProperty(internal);
    }
  });

  it("the built files carry the short names", () => {
    const file = `${root}dist/browser/index.mjs`;
    if (!existsSync(file)) throw new Error("dist/browser/index.mjs is missing: run `npm run build` first");
    const code = readFileSync(file, "utf8");
    expect(code).not.toMatch(/\.outbox\b/);
    expect(code).toMatch(/\.writeMessage\(/);
  });
});

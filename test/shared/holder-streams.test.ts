// The holder's stream routing on a fake engine: frames of the tab that owns a stream go to
// the socket, answers go to that tab only, a tab that goes away has its streams aborted (again
// after a drop, if the drop lost the abort), and a new holder aborts the streams of the
// previous holder's tab when that tab vanished without a word.
import { describe, expect, it } from "vitest";
import type { EngineExtension, EngineHost } from "../../src/core/extension.js";
import { HolderStreams, PUBLISHER_GONE } from "../../src/shared/holder-streams.js";
import type { WebPubSubMessage } from "../../src/types/messages.js";
import type { WireMessage } from "../../src/shared/wire.js";

function setup(id = "holder") {
  const sent: WebPubSubMessage[] = [];
  const posted: WireMessage[] = [];
  const relayed: WebPubSubMessage[] = [];
  let x: EngineExtension = {};
  let up = true;
  const engine: EngineHost = {
    get linkUp() {
      return up;
    },
    sendRaw: (m) => up && (sent.push(m), true),
    addExtension: (e) => ((x = e), () => {}),
  };
  let resuming = false;
  const hs = new HolderStreams({ id, engine, post: (m) => posted.push(m), relay: (m) => relayed.push(m), resuming: () => resuming });
  return {
    hs,
    sent,
    posted,
    relayed,
    service: (m: object) => x.onMessage!(m as WebPubSubMessage),
    linkUp: (recovered = false) => ((up = true), x.onLinkUp!({ connectionId: "c", recovered })),
    linkDown: () => ((up = false), x.onLinkDown!()),
    resume: (on: boolean) => void (resuming = on),
    lost: () => x.onSessionLost!(new Error("Session lost.")),
  };
}

const start = (id: string) => ({ kind: "sendToGroup" as const, group: "g", noEcho: false, stream: { streamId: id } });
const data = (id: string, seq: number) => ({ kind: "streamData" as const, streamId: id, streamSequenceId: seq, dataType: "text" as const, data: `${seq}` });
const frames = (posted: WireMessage[], to: string) => posted.filter((p) => p.t === "sframe" && p.to === to).map((p) => (p as { m: unknown }).m);

describe("HolderStreams", () => {
  it("routes each stream's answers to the tab that opened it, and consumes them", () => {
    const t = setup();
    t.hs.frame("a", start("sa"));
    t.hs.frame("b", start("sb"));
    t.hs.frame("a", data("sa", 1));
    expect(t.sent).toEqual([start("sa"), start("sb"), data("sa", 1)]);
    expect(t.service({ kind: "streamAck", streamId: "sa", expectedSequenceId: 2 })).toBe(true);
    expect(t.service({ kind: "streamNack", streamId: "sb", expectedSequenceId: 1, name: "TransientError" })).toBe(true);
    expect(t.service({ kind: "streamAck", streamId: "unknown", expectedSequenceId: 1 })).toBe(true); // no owner: dropped
    expect(frames(t.posted, "a")).toEqual([{ kind: "streamAck", streamId: "sa", expectedSequenceId: 2 }]);
    expect(frames(t.posted, "b")).toEqual([{ kind: "streamNack", streamId: "sb", expectedSequenceId: 1, name: "TransientError" }]);
    // closed: the id is free again, and later answers for it reach nobody
    t.service({ kind: "streamClosed", streamId: "sa" });
    t.service({ kind: "streamAck", streamId: "sa", expectedSequenceId: 9 });
    expect(frames(t.posted, "a")).toHaveLength(2);
    t.hs.frame("b", start("sa"));
    expect(t.sent.at(-1)).toEqual(start("sa"));
  });

  it("refuses a start under another tab's open id, and drops another tab's frames for it", () => {
    const t = setup();
    t.hs.frame("a", start("s"));
    t.hs.frame("b", start("s"));
    t.hs.frame("b", data("s", 1));
    t.hs.frame("b", { kind: "streamEnd", streamId: "s" });
    expect(t.sent).toEqual([start("s")]);
    expect(frames(t.posted, "b")).toEqual([{ kind: "streamClosed", streamId: "s", error: { name: "BadRequest", message: expect.stringContaining("Another tab") } }]);
  });

  it("passes fragments on as group messages of the holder (its de-dup), and leaves other messages to the engine", () => {
    const t = setup();
    const fragment = { kind: "groupData", group: "g", dataType: "text", data: "x", sequenceId: 3, stream: { streamId: "s", streamSequenceId: 1 } };
    expect(t.service(fragment)).toBe(true);
    expect(t.service({ kind: "groupData", group: "g", dataType: "text", data: "plain", sequenceId: 4 })).toBe(false);
    expect(t.service({ kind: "ack", ackId: 1, success: true })).toBe(false);
    expect(t.relayed).toEqual([fragment]);
  });

  it("aborts the streams of a tab that went away, and again after a drop that may have lost the abort", () => {
    const t = setup();
    t.hs.frame("a", start("s1"));
    t.hs.frame("a", start("s2"));
    t.hs.frame("b", start("s3"));
    t.sent.length = 0;
    t.linkDown();
    t.hs.tabGone("a"); // the link is down: nothing can be written yet
    expect(t.sent).toEqual([]);
    t.linkUp(true);
    const abort = (id: string) => ({ kind: "streamEnd", streamId: id, error: { message: expect.any(String), userErrorCode: PUBLISHER_GONE } });
    expect(t.sent).toEqual([abort("s1"), abort("s2")]);
    t.service({ kind: "streamClosed", streamId: "s1" });
    t.sent.length = 0;
    t.linkUp(true);
    expect(t.sent).toEqual([abort("s2")]); // s1 is closed; s2's close has not come yet
    expect(frames(t.posted, "a")).toEqual([]); // nobody to tell
  });

  it("tells every tab about link up (a takeover's first one counts as a recovery), link down, and a lost session", () => {
    const t = setup();
    t.linkUp(false);
    t.resume(true);
    t.linkUp(false);
    t.resume(false);
    t.linkDown();
    t.hs.frame("a", start("s"));
    t.lost();
    expect(t.posted.filter((p) => p.t !== "sframe")).toEqual([
      { t: "link", holder: "holder", up: true, recovered: false, connectionId: "c" },
      { t: "link", holder: "holder", up: true, recovered: true, connectionId: "c" },
      { t: "link", holder: "holder", up: false },
      { t: "lost", holder: "holder", message: "Session lost." },
    ]);
    t.hs.frame("b", start("s")); // the lost session took every stream with it: the id is free
    expect(frames(t.posted, "b")).toEqual([]);
  });

  it("keeps the tabs told which streams its own tab has open; a new holder aborts those of a vanished holder tab", () => {
    const t = setup("h1");
    t.hs.frame("h1", start("mine"));
    t.hs.frame("other", start("theirs"));
    t.service({ kind: "streamClosed", streamId: "mine" });
    t.hs.frame("h1", start("mine2"));
    expect(t.posted.filter((p) => p.t === "owned")).toEqual([
      { t: "owned", holder: "h1", ids: ["mine"] },
      { t: "owned", holder: "h1", ids: [] },
      { t: "owned", holder: "h1", ids: ["mine2"] },
    ]);
    // h1 vanishes; the tab that takes over got ["mine2"] last
    const next = setup("h2");
    next.hs.orphans(["mine2"]);
    next.hs.adopt("other", ["theirs"]);
    next.linkUp(false);
    expect(next.sent).toEqual([{ kind: "streamEnd", streamId: "mine2", error: { message: expect.any(String), userErrorCode: PUBLISHER_GONE } }]);
    next.hs.frame("other", data("theirs", 5));
    expect(next.sent.at(-1)).toEqual(data("theirs", 5));
  });
});

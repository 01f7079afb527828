// A session handed from one engine to another (another tab, or the page after a reload):
// snapshot() holds what recovery needs and no access token; resume() recovers it without
// the credential, delivers nothing twice, keeps groups and ackIds, and falls back to a
// brand-new connection when the service refuses it.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { hostOf } from "../../src/core/engine-access.js";
import { WebPubSubClient, WebPubSubJsonProtocol } from "../../src/index.js";
import { fakeRuntime, recordEvents, settle, type FakeRuntime, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=secret.jwt.x&extra=1";
let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

async function sessionWithHistory() {
  const getClientAccessUrl = vi.fn(async () => URL_);
  const a = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
  const started = a.start();
  await settle();
  const s = rt.last();
  s.accept("c1", "t1", "u1");
  await started;
  const join = a.joinGroup("g");
  s.ack(1);
  await join;
  const chosen = a.sendEvent("e", "x", "text", { ackId: 40 });
  s.ack(40);
  await chosen;
  s.receive({ type: "message", from: "group", group: "g", dataType: "text", data: "m1", sequenceId: 1 });
  s.receive({ type: "message", from: "group", group: "g", dataType: "text", data: "m2", sequenceId: 2 });
  return { a, s, getClientAccessUrl };
}

describe("session snapshot", () => {
  it("is undefined without a session, and never holds the access token", async () => {
    expect(hostOf(new WebPubSubClient(URL_, {}, rt)).snapshot()).toBeUndefined();
    expect(hostOf(new WebPubSubClient(URL_, { protocol: WebPubSubJsonProtocol() }, rt)).snapshot()).toBeUndefined();
    const { a } = await sessionWithHistory();
    const snap = hostOf(a).snapshot()!;
    expect(snap).toMatchObject({
      url: "wss://h/client/hubs/hub?extra=1",
      protocol: "json.reliable.webpubsub.azure.v1",
      connectionId: "c1",
      reconnectionToken: "t1",
      userId: "u1",
      lastSequenceId: 2,
      groups: ["g"],
      pending: [],
    });
    expect(Math.max(...snap.usedAckIds)).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify(snap)).not.toContain("secret");
    expect(typeof snap.takenAt).toBe("number");
    await a.stop();
  });

  it("resume recovers the session: no credential, no rejoin, nothing delivered twice, ackIds not repeated", async () => {
    const { a, s } = await sessionWithHistory();
    const snap = JSON.parse(JSON.stringify(hostOf(a).snapshot()));
    s.abort(); // the old page is gone without a goodbye
    const getClientAccessUrl = vi.fn(async () => URL_);
    const b = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
    const events = recordEvents(b);
    const resumed = hostOf(b).resume(snap);
    await settle();
    const r = rt.last();
    const u = new URL(r.url);
    expect(u.searchParams.get("awps_connection_id")).toBe("c1");
    expect(u.searchParams.get("awps_reconnection_token")).toBe("t1");
    expect(u.searchParams.get("access_token")).toBeNull();
    r.open();
    // the service resends what was not acknowledged: 1 and 2 were delivered already
    for (const id of [1, 2, 3]) r.receive({ type: "message", from: "group", group: "g", dataType: "text", data: `m${id}`, sequenceId: id });
    await resumed;
    await settle();
    expect(b.state).toBe("connected");
    expect(b.connectionId).toBe("c1");
    expect(b.userId).toBe("u1");
    expect(getClientAccessUrl).not.toHaveBeenCalled();
    expect(r.framesOfType("joinGroup")).toEqual([]);
    expect(events.filter(([n]) => n === "group-message").map(([, e]) => e.message.data)).toEqual(["m3"]);
    expect(events.filter(([n]) => n === "connected")).toEqual([["connected", { connectionId: "c1", userId: "u1" }]]);
    expect(r.framesOfType("sequenceAck").map((f) => f.sequenceId)).toEqual([2]); // at once: the position it resumed from
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.framesOfType("sequenceAck").map((f) => f.sequenceId)).toEqual([2, 3]);
    const next = b.sendEvent("e", "y", "text");
    expect(r.framesOfType("event")[0].ackId).toBeGreaterThan(40);
    r.ack(r.framesOfType("event")[0].ackId);
    await next;
    // the resumed client recovers later drops like any other
    r.drop(1006);
    await settle();
    expect(rt.last().url).toContain("awps_connection_id=c1");
    await b.stop();
    await a.stop();
  });

  it("resume refused with 1008 falls back to a brand-new connection through the credential, rejoining the groups", async () => {
    const { a, s } = await sessionWithHistory();
    const snap = hostOf(a).snapshot()!;
    s.abort();
    const getClientAccessUrl = vi.fn(async () => URL_);
    const b = new WebPubSubClient({ getClientAccessUrl }, {}, rt);
    const events = recordEvents(b);
    const resumed = hostOf(b).resume(snap);
    await settle();
    rt.last().open();
    rt.last().drop(1008, "The connection could not be recovered.");
    await settle();
    expect(getClientAccessUrl).toHaveBeenCalledTimes(1);
    const fresh = rt.last();
    expect(fresh.url).toBe(URL_);
    fresh.accept("c2", "t2");
    await resumed;
    expect(b.connectionId).toBe("c2");
    expect(fresh.framesOfType("joinGroup").map((f) => f.group)).toEqual(["g"]);
    fresh.receive({ type: "message", from: "group", group: "g", dataType: "text", data: "new", sequenceId: 1 });
    expect(events.filter(([n]) => n === "group-message").map(([, e]) => e.message.data)).toEqual(["new"]);
    expect(names(events)).not.toContain("recovered");
    await b.stop();
    await a.stop();
  });

  it("resume needs a stopped client, and stop() during it settles it", async () => {
    const { a } = await sessionWithHistory();
    const snap = hostOf(a).snapshot()!;
    await expect(hostOf(a).resume(snap)).rejects.toThrow(/stopped/);
    const b = new WebPubSubClient(URL_, {}, rt);
    const resumed = hostOf(b).resume(snap).catch((e) => e);
    await settle();
    await b.stop();
    expect(await resumed).toBeInstanceOf(Error);
    expect(b.state).toBe("stopped");
    await a.stop();
  });
});

const names = (events: Array<[string, unknown]>): string[] => events.map(([n]) => n);

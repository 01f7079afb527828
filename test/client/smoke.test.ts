import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WebPubSubClient } from "../../src/index.js";
import { fakeRuntime } from "../helpers/fake-runtime.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("smoke", () => {
  it("connects, joins, sends, receives, recovers", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient("wss://x/client/hubs/h?access_token=abc", {}, rt);
    const started = client.start();
    expect(client.state).toBe("connecting");
    await vi.advanceTimersByTimeAsync(0);
    rt.last().accept("c1", "t1", "u1");
    await started;
    expect(client.state).toBe("connected");
    expect(client.connectionId).toBe("c1");
    const join = client.joinGroup("g");
    const f = rt.last().framesOfType("joinGroup")[0];
    expect(f).toEqual({ type: "joinGroup", group: "g", ackId: 1 });
    rt.last().ack(1);
    await expect(join).resolves.toEqual({ ackId: 1, isDuplicated: false });
    const got: unknown[] = [];
    client.on("group-message", (e) => got.push(e.message.data));
    rt.last().receive({ type: "message", from: "group", group: "g", dataType: "text", data: "a", sequenceId: 1 });
    rt.last().receive({ type: "message", from: "group", group: "g", dataType: "text", data: "a", sequenceId: 1 });
    expect(got).toEqual(["a"]);
    const send = client.sendToGroup("g", "hi", "text");
    rt.last().drop(1006);
    expect(client.state).toBe("recovering");
    await vi.advanceTimersByTimeAsync(0);
    const rec = rt.last();
    expect(rec.url).toContain("awps_connection_id=c1");
    rec.recover();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.state).toBe("connected");
    expect(rec.framesOfType("sendToGroup")).toHaveLength(1);
    expect(rec.framesOfType("sequenceAck")).toEqual([{ type: "sequenceAck", sequenceId: 1 }]);
    rec.ack(2, { name: "Duplicate", message: "dup" });
    await expect(send).resolves.toEqual({ ackId: 2, isDuplicated: false });
    const stopped = client.stop();
    await stopped;
    expect(client.state).toBe("stopped");
  });
});

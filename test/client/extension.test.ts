// The seam internal features build on (src/core/extension.ts): hooks arrive at the right
// moments, consumed data messages are not emitted, and sendRaw writes only on a live link.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Engine as EngineClass } from "../../src/core/engine.js";
import type { EngineExtension, EngineHost } from "../../src/core/extension.js";
import { WebPubSubClient } from "../../src/index.js";
import { fakeRuntime, liveClient, settle, type FakeRuntime, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime.js";

const URL_ = "wss://h/client/hubs/hub?access_token=abc";

// The engine behind each client, as the client made it (the package has no way to reach it).
const engines = vi.hoisted(() => [] as EngineHost[]);
vi.mock("../../src/core/engine.js", async (importOriginal) => {
  const m = await importOriginal<{ Engine: typeof EngineClass }>();
  class Engine extends m.Engine {
    constructor(...args: ConstructorParameters<typeof EngineClass>) {
      super(...args);
      engines.push(this);
    }
  }
  return { ...m, Engine };
});
/** The engine seam of the client constructed last. */
const lastHost = (): EngineHost => engines.at(-1)!;
let rt: FakeRuntime;
useFakeTimersAndRejectionGuard();
beforeEach(() => void (rt = fakeRuntime()));

function recorder(consume?: (m: any) => boolean) {
  const log: Array<[string, any?]> = [];
  const ext: EngineExtension = {
    onMessage: (m) => (log.push(["message", m.kind]), consume?.(m) ?? false),
    onLinkUp: (info) => void log.push(["up", info]),
    onLinkDown: () => void log.push(["down"]),
    onSessionLost: (e) => void log.push(["lost", e instanceof Error]),
  };
  return { log, ext };
}

describe("engine seam", () => {
  it("onLinkUp, onMessage after de-dup, consumption, onLinkDown, recovered link, onSessionLost", async () => {
    const client = new WebPubSubClient(URL_, {}, rt);
    const host = lastHost();
    expect(host.linkUp).toBe(false);
    const { log, ext } = recorder((m) => m.kind === "groupData" && m.group === "mine");
    host.addExtension(ext);
    const emitted: string[] = [];
    client.on("group-message", (e) => void emitted.push(e.message.group));
    const started = client.start();
    await settle();
    const s = rt.last();
    s.accept("c1", "t1");
    await started;
    expect(host.linkUp).toBe(true);
    s.receive({ type: "message", from: "group", group: "mine", dataType: "text", data: "a", sequenceId: 1 });
    s.receive({ type: "message", from: "group", group: "other", dataType: "text", data: "b", sequenceId: 2 });
    s.receive({ type: "message", from: "group", group: "other", dataType: "text", data: "b", sequenceId: 2 }); // duplicate
    expect(emitted).toEqual(["other"]);
    expect(host.sendRaw({ kind: "ping" })).toBe(true);
    expect(s.framesOfType("ping")).toHaveLength(1);
    s.drop(1006);
    expect(host.linkUp).toBe(false);
    expect(host.sendRaw({ kind: "ping" })).toBe(false);
    await settle();
    rt.last().accept("c1", "t2");
    await settle();
    expect(host.linkUp).toBe(true);
    await client.stop();
    expect(log).toEqual([
      ["up", { connectionId: "c1", recovered: false }], // the connected frame confirms the link
      ["message", "connected"],
      ["message", "groupData"], // the duplicate never reaches an extension
      ["message", "groupData"],
      ["down"],
      ["up", { connectionId: "c1", recovered: true }], // the first frame on the recovery socket
      ["message", "connected"],
      ["message", "pong"], // the answer to the ping sent at open
      ["down"],
      ["lost", true],
    ]);
  });

  it("a throwing extension cannot break delivery; a removed one hears nothing", async () => {
    const { client, socket } = await liveClient(rt, URL_);
    const host = lastHost();
    const remove = host.addExtension({ onMessage: () => { throw new Error("boom"); } });
    const { log, ext } = recorder();
    const removeRecorder = host.addExtension(ext);
    removeRecorder();
    const got: unknown[] = [];
    client.on("server-message", (e) => void got.push(e.message.data));
    socket.receive({ type: "message", from: "server", dataType: "text", data: "x", sequenceId: 1 });
    expect(got).toEqual(["x"]);
    expect(log).toEqual([]);
    remove();
    await client.stop();
  });
});

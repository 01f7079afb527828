// The abandoned-session oracle (abandoned.ts) must see a client that starts over while the
// service still holds its session, and must not blame one whose session the service ended.
import { afterEach, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/index";
import { WebPubSubClient } from "../../src/index.js";
import { nextEvent } from "../emulator/helpers";
import { watchAbandoned } from "./abandoned";

const HUB = "abandon";
let emu: Emulator | undefined;
const clients: WebPubSubClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await emu?.close();
  emu = undefined;
});

async function connect(userId: string): Promise<WebPubSubClient> {
  const e = emu!;
  // autoReconnect off: the test alone decides when a new connection is opened
  const c = new WebPubSubClient({ getClientAccessUrl: () => e.getClientAccessUrl(HUB, { userId }) }, { autoReconnect: false });
  clients.push(c);
  await c.start();
  return c;
}

const nextEmuEvent = (name: string) => nextEvent<{ connectionId: string }>(emu!.events, name);

it("counts a new connection opened while the user's previous session is held", async () => {
  emu = await startEmulator({ port: 0 });
  const watch = watchAbandoned(emu, HUB);
  const a = await connect("u1");
  await connect("u2"); // another user: never counted against u1
  // the held session: attached ...
  await connect("u1");
  expect(watch.list.map((x) => [x.userId, x.heldConnectionId, x.heldAttached])).toEqual([["u1", a.connectionId, true]]);
  // ... and dropped, waiting for a recovery
  const b = clients[2]!;
  const dropped = nextEmuEvent("drop");
  emu.faults.drop(b.connectionId!);
  await dropped;
  await connect("u1");
  expect(watch.list.map((x) => [x.userId, x.heldConnectionId, x.heldAttached])).toEqual([
    ["u1", a.connectionId, true],
    ["u1", b.connectionId, false],
  ]);
  expect(watch.describe()).toHaveLength(2);
  watch.stop();
});

it("does not count a session the service ended (1008) or the client left (close 1000)", async () => {
  emu = await startEmulator({ port: 0 });
  const watch = watchAbandoned(emu, HUB);
  const a = await connect("u1");
  const ended = nextEmuEvent("disconnect");
  emu.faults.close(a.connectionId!, 1008, "gone");
  await ended;
  const b = await connect("u1");
  const left = nextEmuEvent("disconnect");
  await b.stop();
  await left;
  await connect("u1");
  expect(watch.list).toEqual([]);
  watch.stop();
});

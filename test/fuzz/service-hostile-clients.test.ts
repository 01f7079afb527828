// The local service against random and hostile clients: raw `ws` clients on every
// subprotocol (and none, and unknown ones) sending garbage text, binary, invalid UTF-8, odd
// and almost-right JSON frames, oversized and deeply nested messages, floods of groups and
// acks. After each batch a well-behaved client in the same hub must still be served (its
// send is acknowledged and echoed), the REST API must answer, and once the hostile clients
// are gone no connection of theirs is left behind.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startEmulator, type Emulator } from "../../emulator/index";
import { HandshakeError, JSON_PROTOCOL, open, RELIABLE_PROTOCOL, type TestClient } from "../emulator/helpers";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const RUNS = Number(process.env.FUZZ_SERVICE_RUNS ?? 40);
const HUB = "fuzz";
const GOOD_GROUP = "good-only-group";
const ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

let emu: Emulator;
let good: TestClient;
let goodAckId = 0;
/** Lines where the service's safety nets caught an exception: there must be none. */
const internalErrors: string[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    sessionTtlMs: 200,
    logger: (line) => void (/error handling|internal error|threw|handshake failed/i.test(line) && internalErrors.push(line)),
  });
  good = await open(await emu.getClientAccessUrl(HUB, { userId: "good", roles: ROLES }), JSON_PROTOCOL);
  await good.next(); // connected
  expect((await good.request({ type: "joinGroup", group: GOOD_GROUP, ackId: ++goodAckId })).success).toBe(true);
});
afterAll(async () => {
  good?.close();
  await emu?.close();
});

/** The well-behaved client is still served: its send is acknowledged and comes back. */
async function goodClientIsServed(): Promise<void> {
  const ackId = ++goodAckId;
  const ack = await good.request({ type: "sendToGroup", group: GOOD_GROUP, ackId, dataType: "text", data: `ping ${ackId}` });
  expect(ack).toEqual({ type: "ack", ackId, success: true });
  const echo = await good.nextWhere((f) => f.type === "message" && f.data === `ping ${ackId}`);
  expect(echo.group).toBe(GOOD_GROUP);
  expect(good.closed).toBeUndefined();
  expect(internalErrors).toEqual([]);
  const health = await fetch(`${emu.endpoint}/api/health`, { method: "HEAD" });
  expect(health.status).toBe(200);
}

const odd = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer(), fc.double(), fc.constantFrom(-1, 0, 2 ** 53, 1e300, "", " ", "g", GOOD_GROUP.slice(0, 4)));
const clientFrame = fc
  .record(
    {
      type: fc.oneof(
        fc.constantFrom("joinGroup", "leaveGroup", "sendToGroup", "event", "sequenceAck", "ping", "invoke", "cancelInvocation", "invokeResponse", "nope", "__proto__"),
        fc.jsonValue(),
      ),
      group: fc.oneof(fc.constantFrom("g", "", "   ", "x".repeat(2000)), odd),
      event: fc.oneof(fc.constantFrom("e", "connect", ""), odd),
      ackId: fc.oneof(fc.integer({ min: 0, max: 20 }), odd),
      noEcho: fc.oneof(fc.boolean(), odd),
      dataType: fc.oneof(fc.constantFrom("text", "json", "binary", "protobuf"), odd),
      data: fc.oneof(fc.constantFrom("aGk=", "not base64!", ""), odd),
      sequenceId: fc.oneof(fc.integer({ min: 0, max: 5000 }), odd),
      invocationId: fc.oneof(fc.constantFrom("1", "2", ""), odd),
      target: odd,
    },
    { requiredKeys: [] },
  )
  .map((f) => JSON.stringify(f));

type Payload = { text: string } | { binary: Uint8Array };
const payload: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 3, arbitrary: clientFrame.map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }).map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((binary) => ({ binary })) },
  // JSON frames as UTF-8 binary frames, sometimes with invalid UTF-8 glued on
  { weight: 1, arbitrary: fc.tuple(clientFrame, fc.boolean()).map(([t, broken]) => ({ binary: Buffer.concat([Buffer.from(t), broken ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0)]) })) },
  { weight: 1, arbitrary: fc.constantFrom<Payload>({ text: `{"type":"sendToGroup","group":"g","dataType":"json","data":${"[".repeat(100_000)}${"]".repeat(100_000)}}` }, { text: "x".repeat(1024 * 1024 + 10) }, { text: "" }, { binary: new Uint8Array(0) }) },
);

const session = fc.record({
  protocol: fc.constantFrom<string | undefined>(JSON_PROTOCOL, RELIABLE_PROTOCOL, undefined, "made.up.protocol", "protobuf.reliable.webpubsub.azure.v1"),
  roles: fc.constantFrom(ROLES, [] as string[]),
  payloads: fc.array(payload, { maxLength: 12 }),
  closeWith: fc.constantFrom("close", "terminate", "leaveOpen"),
});

async function runHostile(sessions: Array<{ protocol?: string; roles: string[]; payloads: Payload[]; closeWith: string }>): Promise<void> {
  const opened: TestClient[] = [];
  for (const s of sessions) {
    let c: TestClient;
    try {
      c = await open(await emu.getClientAccessUrl(HUB, { roles: s.roles }), s.protocol);
    } catch (err) {
      expect(err).toBeInstanceOf(HandshakeError);
      continue;
    }
    opened.push(c);
    for (const p of s.payloads) {
      if (c.ws.readyState !== WebSocket.OPEN) break;
      if ("text" in p) c.ws.send(p.text);
      else c.ws.send(p.binary, { binary: true });
    }
    if (s.closeWith === "close") c.close();
    else if (s.closeWith === "terminate") c.ws.terminate();
  }
  // whatever they sent has been handled before the good client's request is (one socket each,
  // but the service handles frames in arrival order per process): check it is still served
  await goodClientIsServed();
  for (const c of opened) c.ws.terminate();
}

it("keeps serving a well-behaved client while random, hostile clients connect and send garbage", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(session, { minLength: 1, maxLength: 4 }), (sessions) => runHostile(sessions)),
    { seed: SEED, numRuns: RUNS },
  );
  // every hostile connection goes away (dropped reliable sessions expire after sessionTtlMs)
  await new Promise<void>((resolve) => {
    const done = (): void => {
      emu.events.off("disconnect", check);
      clearTimeout(timer);
      resolve();
    };
    const check = (): void => void (emu.connections(HUB).length <= 1 && done());
    const timer = setTimeout(done, 5000); // then the assertion below says what is left
    emu.events.on("disconnect", check);
    check();
  });
  expect(emu.connections(HUB).map((c) => c.userId)).toEqual(["good"]);
  await goodClientIsServed();
}, 60_000);

it("a reliable client that acks ids it never got is closed 1008; others are not disturbed", async () => {
  const url = await emu.getClientAccessUrl(HUB, { roles: ROLES });
  const c = await open(url, RELIABLE_PROTOCOL);
  await c.next();
  c.send({ type: "sequenceAck", sequenceId: 0 }); // legal: nothing acknowledged yet
  c.send({ type: "sequenceAck", sequenceId: 99999 }); // never sent: a protocol violation
  expect((await c.waitClose()).code).toBe(1008);
  await goodClientIsServed();
});

it("a reliable client that floods groups and repeats every ackId does not disturb others", async () => {
  const url = await emu.getClientAccessUrl(HUB, { roles: ROLES });
  const c = await open(url, RELIABLE_PROTOCOL);
  await c.next();
  for (let i = 0; i < 500; i++) c.send({ type: "joinGroup", group: `flood-${i}`, ackId: i });
  for (let i = 0; i < 500; i++) c.send({ type: "joinGroup", group: `flood-${i}`, ackId: i }); // all duplicates
  await goodClientIsServed();
  c.ws.terminate();
});

it("a message beyond the WebSocket limit (16 MB) closes only that client", async () => {
  const c = await open(await emu.getClientAccessUrl(HUB, { roles: ROLES }), JSON_PROTOCOL);
  await c.next();
  c.ws.send(Buffer.alloc(17 * 1024 * 1024, 0x61));
  const closed = await c.waitClose(10_000);
  expect(closed.code).toBe(1009);
  await goodClientIsServed();
});

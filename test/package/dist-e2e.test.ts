// The built files themselves, end to end against the local service: the Node ESM build (with
// its lazy chunks) and the CommonJS build (chunks inlined), on every subprotocol. The
// suites under test/ run the sources; what the build changes (short internal names,
// chunking) is checked here: data of every type, an abrupt drop of both sides (recovered on
// the reliable protocols, reconnected and rejoined on the others), a group stream across
// the lazy chunk, and a clean stop. Needs `npm run build` first (npm test does it).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it, onTestFinished } from "vitest";
import type { Emulator } from "../../emulator/index";
import { withEmulator } from "../emulator/helpers";

const root = new URL("../../", import.meta.url).pathname;
const require = createRequire(import.meta.url);
const WAIT_MS = 10_000;

type Pkg = typeof import("../../src/index.js");
type Proto = typeof import("../../src/protobuf/index.js");
type Client = InstanceType<Pkg["WebPubSubClient"]>;

const builds: Array<[string, () => Promise<[Pkg, Proto]>]> = [
  ["ESM", async () => [await import(`${root}dist/index.mjs`), await import(`${root}dist/protobuf/index.mjs`)]],
  ["CommonJS", async () => [require(`${root}dist/index.cjs`), require(`${root}dist/protobuf/index.cjs`)]],
];
const protocols: Array<[string, (p: Pkg, pb: Proto) => ReturnType<Pkg["WebPubSubJsonProtocol"]>, boolean]> = [
  ["json", (p) => p.WebPubSubJsonProtocol(), false],
  ["json.reliable", (p) => p.WebPubSubJsonReliableProtocol(), true],
  ["protobuf", (_, pb) => pb.WebPubSubProtobufProtocol(), false],
  ["protobuf.reliable", (_, pb) => pb.WebPubSubProtobufReliableProtocol(), true],
];

/** Resolves with the next `event` of `client` (rejects after WAIT_MS). */
function next(client: Client, event: "connected" | "recovered"): Promise<{ connectionId: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${WAIT_MS} ms`)), WAIT_MS);
    client.once(event, (e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

/** Group messages' data as they arrive; `until(n)` resolves once n arrived. */
function collect(client: Client): { got: unknown[]; until(n: number): Promise<void> } {
  const got: unknown[] = [];
  let wake = (): void => {};
  client.on("group-message", (e) => {
    const d = e.message.data;
    got.push(d instanceof ArrayBuffer ? [...new Uint8Array(d)] : d);
    wake();
  });
  const until = (n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} messages arrived: ${JSON.stringify(got)}`)), WAIT_MS);
      const check = (): void => {
        if (got.length >= n) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake = check;
      check();
    });
  return { got, until };
}

async function started(emu: Emulator, pkg: Pkg, protocol: ReturnType<Pkg["WebPubSubJsonProtocol"]>, userId: string): Promise<{ client: Client; connectionId: string }> {
  const url = await emu.getClientAccessUrl("hub", { userId, roles: ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"] });
  const client = new pkg.WebPubSubClient(url, { protocol, reconnectRetryOptions: { retryDelayInMs: 50 } });
  onTestFinished(() => client.stop());
  const connected = next(client, "connected");
  await client.start();
  return { client, connectionId: (await connected).connectionId };
}

describe("the built client, end to end", () => {
  for (const [build, load] of builds) {
    for (const [name, protocolOf, reliable] of protocols) {
      it(`${build}, ${name}: every data type, an abrupt drop of both sides, a group stream, stop`, async () => {
        if (!existsSync(`${root}dist/index.mjs`)) throw new Error("dist/ is missing: run `npm run build` first");
        const [pkg, pb] = await load();
        const emu = await withEmulator(onTestFinished);
        const a = await started(emu, pkg, protocolOf(pkg, pb), "alice");
        const b = await started(emu, pkg, protocolOf(pkg, pb), "bob");
        const got = collect(b.client);
        await a.client.joinGroup("room");
        await b.client.joinGroup("room");
        expect(await a.client.sendToGroup("room", "text", "text", { ackId: 7 })).toEqual({ ackId: 7, isDuplicated: false });
        await a.client.sendToGroup("room", { n: 1 }, "json");
        await a.client.sendToGroup("room", new Uint8Array([1, 2]).buffer, "binary");
        await got.until(3);

        // both sockets die without a close frame
        const back = reliable ? [next(a.client, "recovered"), next(b.client, "recovered")] : [next(a.client, "connected"), next(b.client, "connected")];
        emu.faults.drop(a.connectionId);
        emu.faults.drop(b.connectionId);
        const [ra, rb] = await Promise.all(back);
        // the reliable protocols keep the session; the others get a new one, and have rejoined
        // "room" by the time `connected` is emitted
        expect(ra.connectionId === a.connectionId).toBe(reliable);
        expect(rb.connectionId === b.connectionId).toBe(reliable);
        await a.client.sendToGroup("room", "after", "text");
        await got.until(4);

        // a group stream: the writer and reader live in the lazy chunk (inlined in CommonJS)
        const fragments: unknown[] = [];
        const ended = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`stream: ${fragments.length} fragments`)), WAIT_MS);
          b.client.onGroupStream(async (stream) => {
            for await (const m of stream) fragments.push(m.data);
            clearTimeout(timer);
            resolve();
          });
        });
        const writer = await a.client.openGroupStream("room");
        for (const part of ["s1", "s2", "s3"]) await writer.write(part, "text");
        await writer.end();
        await ended;
        expect(fragments).toEqual(["s1", "s2", "s3"]);

        expect(got.got).toEqual(["text", { n: 1 }, [1, 2], "after"]);
        await Promise.all([a.client.stop(), b.client.stop()]);
        expect([a.client.state, b.client.state]).toEqual(["stopped", "stopped"]);
      }, 30_000);
    }
  }
});

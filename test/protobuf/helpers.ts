// Shared by the protobuf suites: the protocols under test, live clients on a local emulator,
// and waiting for the n-th event (no polling, no sleeps).
import { onTestFinished } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index";
import { WebPubSubClient, WebPubSubJsonReliableProtocol, type WebPubSubClientOptions } from "../../src/index";
import { WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index";
import type { WebPubSubClientProtocol } from "../../src/types/messages";

export const ALL_ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];

/** The reliable protocols every scenario runs on. */
export const RELIABLE_PROTOCOLS: Array<[string, () => WebPubSubClientProtocol]> = [
  ["json-reliable", WebPubSubJsonReliableProtocol],
  ["protobuf-reliable", WebPubSubProtobufReliableProtocol],
];

export async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator(options);
  onTestFinished(() => emu.close());
  return emu;
}

/** Records the arguments of one event; `until(n)` resolves when the n-th has arrived. */
export function recorder<T>(on: (listener: (e: T) => void) => void, timeoutMs = 10_000): T[] & { until(n: number): Promise<T[]> } {
  const got = [] as unknown as T[] & { until(n: number): Promise<T[]> };
  const waiters: Array<{ n: number; resolve(v: T[]): void }> = [];
  on((e) => {
    got.push(e);
    for (const w of waiters.filter((w) => got.length >= w.n)) w.resolve(got);
  });
  got.until = (n) =>
    got.length >= n
      ? Promise.resolve(got)
      : new Promise<T[]>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} events arrived`)), timeoutMs);
          waiters.push({ n, resolve: (v) => (clearTimeout(timer), resolve(v)) });
        });
  return got;
}

/** A started client of ours on `emu`, stopped after the test. */
export async function startClient(
  emu: Emulator,
  protocol: WebPubSubClientProtocol,
  opts: { userId?: string; roles?: string[]; hub?: string } & WebPubSubClientOptions = {},
): Promise<WebPubSubClient & { connectionId: string }> {
  const { userId, roles = ALL_ROLES, hub = "chat", ...options } = opts;
  const url = await emu.getClientAccessUrl(hub, { roles, ...(userId ? { userId } : {}) });
  const client = new WebPubSubClient(url, { protocol, reconnectRetryOptions: { retryDelayInMs: 50 }, ...options });
  onTestFinished(() => client.stop());
  await client.start();
  return client as WebPubSubClient & { connectionId: string };
}

/** Bytes of an ArrayBuffer as a plain array, for comparisons. */
export const bytes = (b: unknown): number[] => [...new Uint8Array(b as ArrayBuffer)];

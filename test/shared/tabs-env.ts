// The set-up every Node test of shared connections repeats: one local service for the file,
// Node's BroadcastChannel, an in-memory Web Locks API and sessionStorage on `globalThis`,
// and the clients ("tabs") a test made stopped after it (the storage cleared with them).
import { afterAll, afterEach, beforeAll } from "vitest";
import { startEmulator, type Emulator } from "../../emulator/index.js";
import type { WebPubSubClient } from "../../src/index.js";
import { FakeLocks, FakeSessionStorage } from "./fake-locks.js";

export interface TabsEnv {
  /** The file's service (set in beforeAll). */
  emu: Emulator;
  /** Every client a test made; stopped after each test. */
  clients: WebPubSubClient[];
  /** A shareConnection key not used before in this file. */
  key(): string;
}

export function tabsEnv(prefix: string): TabsEnv {
  let n = 0;
  const env: TabsEnv = { emu: undefined as unknown as Emulator, clients: [], key: () => `${prefix}${++n}` };
  beforeAll(async () => {
    env.emu = await startEmulator({ port: 0 });
    Object.defineProperty(globalThis, "navigator", { value: { locks: new FakeLocks() }, configurable: true, writable: true });
    Object.defineProperty(globalThis, "sessionStorage", { value: new FakeSessionStorage(), configurable: true, writable: true });
  });
  afterEach(async () => {
    await Promise.all(env.clients.splice(0).map((c) => c.stop()));
    (globalThis as unknown as { sessionStorage: FakeSessionStorage }).sessionStorage.map.clear();
  });
  afterAll(async () => {
    await env.emu.close();
  });
  return env;
}

// An in-memory Web Locks API (exclusive locks only), for the shared-connection tests in Node.
import type { LockOptions, Locks } from "../../src/shared/platform.js";

interface Waiter {
  callback: (lock: unknown) => Promise<void>;
  settle: (error?: unknown) => void;
  aborted: () => boolean;
}

export class FakeLocks implements Locks {
  readonly #held = new Set<string>();
  readonly #queues = new Map<string, Waiter[]>();

  held(name: string): boolean {
    return this.#held.has(name);
  }

  request(name: string, options: LockOptions, callback: (lock: unknown) => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (options.ifAvailable && (this.#held.has(name) || (this.#queues.get(name)?.length ?? 0) > 0)) {
        Promise.resolve(callback(null)).then(() => resolve(), reject);
        return;
      }
      const waiter: Waiter = {
        callback,
        settle: (error) => (error === undefined ? resolve() : reject(error)),
        aborted: () => options.signal?.aborted === true,
      };
      options.signal?.addEventListener("abort", () => {
        const q = this.#queues.get(name);
        const i = q?.indexOf(waiter) ?? -1;
        if (i >= 0) {
          q!.splice(i, 1);
          reject(new Error("AbortError"));
        }
      });
      let q = this.#queues.get(name);
      if (!q) this.#queues.set(name, (q = []));
      q.push(waiter);
      this.#next(name);
    });
  }

  #next(name: string): void {
    if (this.#held.has(name)) return;
    const q = this.#queues.get(name);
    const waiter = q?.shift();
    if (!waiter) return;
    this.#held.add(name);
    queueMicrotask(() => {
      Promise.resolve()
        .then(() => waiter.callback({ name }))
        .then(
          () => waiter.settle(),
          (error) => waiter.settle(error ?? new Error("lock callback failed")),
        )
        .finally(() => {
          this.#held.delete(name);
          this.#next(name);
        });
    });
  }
}

export class FakeSessionStorage {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

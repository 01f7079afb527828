// The wait between two attempts: a timer, then until the network is online. Going online
// (or the page becoming active again) and stop() end the wait at once.
import type { Timers } from "./runtime.js";

export class Waiter {
  online = true;
  #wake?: () => void;
  readonly #timers: Timers;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: unknown;
      const done = (): void => {
        this.#timers.clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const elapsed = (): void => void (this.online && done()); // offline: setOnline(true) ends it
      this.#wake = done;
      if (ms > 0) timer = this.#timers.setTimeout(elapsed, ms);
      else elapsed();
    });
  }

  wake(): void {
    this.#wake?.();
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (online) this.wake();
  }
}

// The SharedWorker's requests for client access URLs: the credential is a page's function, so
// the worker asks a tab over its port (`cred`) and waits for `credOk` / `credFail`. At most
// MAX_CRED_REQUESTS wait at once; one whose caller aborted, or whose tab went away, is
// settled and forgotten at once (a late answer to it is ignored).
import type { AbortSignalLike } from "../types/options.js";
import type { MessagePortLike } from "./worker-boot.js";

/** Most credential requests the worker waits on at once. */
export const MAX_CRED_REQUESTS = 64;

interface Request {
  port: MessagePortLike;
  resolve(url: string): void;
  reject(e: Error): void;
}

export class CredRequests {
  readonly #waiting = new Map<number, Request>();
  #counter = 0;
  readonly #send: (port: MessagePortLike, m: unknown) => void;

  constructor(send: (port: MessagePortLike, m: unknown) => void) {
    this.#send = send;
  }

  /** How many wait for their answer. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Asks the tab behind `port` (none: no tab is left) for a URL. */
  ask(port: MessagePortLike | undefined, signal?: AbortSignalLike): Promise<string> {
    return new Promise((resolve, reject) => {
      if (!port) return reject(new Error("No tab is left to provide a client access URL."));
      if (this.#waiting.size >= MAX_CRED_REQUESTS) return reject(new Error("Too many client access URL requests."));
      const id = ++this.#counter;
      this.#waiting.set(id, { port, resolve, reject });
      signal?.addEventListener("abort", () => this.#settle(id, undefined, "aborted"), { once: true });
      this.#send(port, { t: "cred", id });
    });
  }

  /** The answer of the tab behind `port` to request `id`; anything else is ignored. */
  answer(port: MessagePortLike, id: number, url: string | undefined, message: string): void {
    if (this.#waiting.get(id)?.port === port) this.#settle(id, url, message);
  }

  /** The tab behind `port` went away: its requests fail. */
  forget(port: MessagePortLike): void {
    for (const [id, r] of this.#waiting) if (r.port === port) this.#settle(id, undefined, "The tab went away.");
  }

  #settle(id: number, url: string | undefined, message: string): void {
    const r = this.#waiting.get(id);
    if (!r) return;
    this.#waiting.delete(id);
    if (url !== undefined) r.resolve(url);
    else r.reject(new Error(message));
  }
}

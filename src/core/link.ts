// One socket, from open to close: opens it, owns the deadline for the service to confirm
// it, and reports frames and the close. A socket is only "up" once the service confirmed
// it with a frame (a refused recovery opens and is then closed with 1008).
import { ConnectionError } from "../errors/connection-error.js";
import type { Runtime, Transport } from "./runtime.js";

export interface LinkEvents {
  onOpen(link: Link): void;
  onFrame(link: Link, data: string | ArrayBuffer): void;
  /** A confirmed link closed. An unconfirmed one rejects `ready` instead. */
  onClose(link: Link, code: number, reason: string): void;
}

export class Link {
  /** Resolves once `confirm()` is called; rejects when the socket fails before that. */
  declare readonly ready: Promise<void>;
  confirmed = false;
  /** The service's `disconnected` reason, quoted when the attempt fails. */
  declare farewell?: string;
  #socket?: Transport;
  #settle?: (error?: Error) => void;

  declare readonly url: string;
  declare readonly recover: boolean;

  constructor(rt: Runtime, url: string, recover: boolean, subprotocol: string, timeoutMs: number, events: LinkEvents) {
    this.url = url;
    this.recover = recover;
    const { timers } = rt;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = timers.setTimeout(() => this.fail(new ConnectionError(`No confirmation within ${timeoutMs} ms.`)), timeoutMs);
      this.#settle = (error) => {
        this.#settle = undefined;
        timers.clearTimeout(timer);
        if (error) {
          this.#socket?.abort();
          reject(error);
        } else resolve();
      };
    });
    this.ready.catch(() => {}); // the opener may have stopped listening
    try {
      this.#socket = rt.transport(url, subprotocol, {
        onOpen: () => events.onOpen(this),
        onMessage: (data) => events.onFrame(this, data),
        onClose: (code, reason) => {
          const why = this.farewell || reason;
          if (this.#settle) this.fail(new ConnectionError(`Closed before connected (code ${code}: ${why})`, code, reason));
          else events.onClose(this, code, reason);
        },
      });
    } catch (error) {
      this.fail(new ConnectionError(`Cannot open a WebSocket: ${(error as Error)?.message}`));
    }
  }

  /** The service confirmed the session on this socket. */
  confirm(): void {
    this.confirmed = true;
    this.#settle?.();
  }

  /** Ends the attempt with `error` (no further events); no-op once confirmed. */
  fail(error: Error): void {
    this.#settle?.(error);
  }

  /** Writes a frame; false when the socket cannot take it. */
  send(data: string | ArrayBuffer): boolean {
    try {
      this.#socket!.send(data);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    try {
      this.#socket?.close(1000, "");
    } catch {
      this.abort();
    }
  }

  /** Drops the socket at once; no further events arrive (`ready` rejects if pending). */
  abort(): void {
    if (this.#settle) this.fail(new ConnectionError("aborted"));
    else this.#socket?.abort();
  }
}

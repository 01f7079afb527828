// Reliable subprotocols: drop what was seen already, and tell the service what arrived
// so it can free its buffer (1000 messages or 16 MB): once a second when it changed, at
// once when the largest id is ACK_JUMP above the last acked one or ACK_BYTES arrived since
// it. One timer at most; nothing per message but a few compares.
import type { Link } from "./outbox.js";
import type { Timers } from "./runtime.js";

/** Ack at once when this far behind: the service holds at most 1000 unacked messages. */
export const ACK_JUMP = 300;
export const ACK_INTERVAL_MS = 1000;
export const ACK_BYTES = 4 * 1024 * 1024;

export class SequenceAcker {
  #largest = 0;
  #acked = 0;
  #bytes = 0;
  #timer: unknown;

  readonly #timers: Timers;
  readonly #link: Pick<Link, "sendRaw">;

  constructor(timers: Timers, link: Pick<Link, "sendRaw">) {
    this.#timers = timers;
    this.#link = link;
  }

  get lastReceived(): number {
    return this.#largest;
  }

  /** Counts the size of a frame that arrived. */
  received(bytes: number): void {
    this.#bytes += bytes;
  }

  /** Returns false for a duplicate (an id not above the largest seen) or an invalid id. */
  accept(sequenceId: number): boolean {
    if (!Number.isSafeInteger(sequenceId) || sequenceId <= this.#largest) return false;
    this.#largest = sequenceId;
    if (sequenceId - this.#acked >= ACK_JUMP || this.#bytes >= ACK_BYTES) this.flush();
    else if (this.#timer === undefined) this.#arm();
    return true;
  }

  /** Sends the largest id now if it changed since the last ack (or `force`). */
  flush(force = false): void {
    this.cancel();
    if (this.#largest === 0 || (!force && this.#largest === this.#acked)) return;
    if (this.#link.sendRaw({ kind: "sequenceAck", sequenceId: this.#largest })) {
      this.#acked = this.#largest;
      this.#bytes = 0;
    }
    // The link is not writable yet (connecting): try again on the usual cadence.
    else this.#arm();
  }

  /** Stops the timer (link down). What was not acked is sent on `flush(true)` after recovery. */
  cancel(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A brand-new connection numbers from 1 again; a resumed session from `position`. */
  reset(position = 0): void {
    this.cancel();
    this.#largest = position;
    this.#acked = this.#bytes = 0;
  }

  #arm(): void {
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, ACK_INTERVAL_MS);
  }
}

// The SharedWorker's engine must not tell the service "received" (`sequenceAck`) for a
// message no tab has delivered yet: when the worker goes away (a lone tab reloads, and the
// browser ends the worker with it), the service resends exactly what was not acknowledged,
// so a message that was still on its way to the tab would otherwise be lost. This transport
// wrapper sits under the engine and holds its acks back to what the tabs reported delivered
// (`allow`), within a bound, so the service's own buffer (1000 messages, 16 MB) never fills
// because of a tab that stopped reporting. JSON subprotocols only: binary frames pass as they are.
import type { Transport, TransportFactory } from "../transport/transport.js";

/** Most messages an ack is held behind the engine's; beyond, the engine's ack goes out as is. */
export const MAX_HELD_ACKS = 500;
/** Most bytes received while an ack is held; beyond, the engine's ack goes out as is. */
export const MAX_HELD_BYTES = 8 * 1024 * 1024;

/** The sequence id of an outgoing JSON `sequenceAck` frame, else undefined. */
export function ackOf(data: unknown): number | undefined {
  if (typeof data !== "string" || !data.includes('"sequenceAck"')) return undefined;
  try {
    const f = JSON.parse(data) as { type?: unknown; sequenceId?: unknown };
    return f?.type === "sequenceAck" && typeof f.sequenceId === "number" && Number.isSafeInteger(f.sequenceId) ? f.sequenceId : undefined;
  } catch {
    return undefined;
  }
}

const size = (data: string | ArrayBuffer): number => (typeof data === "string" ? data.length : data.byteLength);

export class AckGate {
  /** What the tabs delivered (on this connection's numbering). */
  #allowed: number;
  /** The largest id the engine asked to acknowledge. */
  #wanted = 0;
  /** The last ack sent on the current socket. */
  #sent = 0;
  #heldBytes = 0;
  #socket?: Transport;

  constructor(delivered = 0) {
    this.#allowed = delivered;
  }

  get allowed(): number {
    return this.#allowed;
  }

  /** The tabs have delivered every message up to `seq`. */
  allow(seq: number): void {
    this.#allowed = seq;
    this.#flush();
  }

  wrap(inner: TransportFactory): TransportFactory {
    return (url, subprotocol, handlers) => {
      if (!url.includes("awps_connection_id=")) {
        // A brand-new connection numbers from 1: nothing of the old one counts.
        this.#allowed = this.#wanted = this.#heldBytes = 0;
      }
      this.#sent = 0;
      const socket = inner(url, subprotocol, {
        onOpen: () => handlers.onOpen(),
        onMessage: (data) => {
          if (this.#wanted > this.#sent) this.#heldBytes += size(data);
          handlers.onMessage(data);
        },
        onClose: (code, reason) => handlers.onClose(code, reason),
      });
      this.#socket = socket;
      return {
        send: (data) => {
          const seq = ackOf(data);
          if (seq === undefined) return socket.send(data);
          this.#wanted = seq;
          this.#flush();
        },
        close: (code, reason) => socket.close(code, reason),
        abort: () => socket.abort(),
      };
    };
  }

  #flush(): void {
    let target = Math.min(this.#wanted, this.#allowed);
    if (this.#wanted - target > MAX_HELD_ACKS || this.#heldBytes > MAX_HELD_BYTES) target = this.#wanted;
    if (target <= this.#sent || !this.#socket) return;
    try {
      this.#socket.send(JSON.stringify({ type: "sequenceAck", sequenceId: target }));
    } catch {
      return; // the socket is closing: the next one acks again
    }
    this.#sent = target;
    if (target === this.#wanted) this.#heldBytes = 0;
  }
}

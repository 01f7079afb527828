/** One WebSocket of a connection (a reliable connection may have several over its life, one at a time). */
import { WebSocket } from "ws";
import type { Codec, WireData } from "../protocol/codec";

/** What the service decided when it started closing this socket. */
export type SocketFate = "open" | "keepSession" | "endSession" | "replaced";

/** Close reasons are limited to 123 bytes by RFC 6455. */
function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}

export class ClientSocket {
  fate: SocketFate = "open";

  constructor(
    readonly ws: WebSocket,
    /** Encodes the `disconnected` frame (simple clients get none). */
    readonly codec: Codec,
  ) {}

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(data: WireData): void {
    if (this.isOpen) this.ws.send(data);
  }

  /** Sends the `disconnected` system frame (PubSub subprotocols), then a close frame. */
  close(code: number, message: string, fate: SocketFate): void {
    if (this.fate === "open") this.fate = fate;
    if (!this.isOpen) {
      if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
      return;
    }
    const disconnected = this.codec.encode({ type: "disconnected", message });
    if (disconnected !== undefined) this.ws.send(disconnected);
    this.ws.close(code, closeReason(message));
  }

  /** Destroys the TCP socket without a close frame. */
  terminate(fate: SocketFate): void {
    if (this.fate === "open") this.fate = fate;
    this.ws.terminate();
  }
}

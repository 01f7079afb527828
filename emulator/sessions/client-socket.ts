/** One WebSocket of a connection (a reliable connection may have several over its life, one at a time). */
import { WebSocket } from "ws";
import { clip, MAX_REASON_CHARS, utf8Prefix } from "../protocol/clip";
import type { Codec, WireData } from "../protocol/codec";

/** What the service decided when it started closing this socket. */
export type SocketFate = "open" | "keepSession" | "endSession" | "replaced";

/** After the service closes a socket, how long the client has to answer the close before the TCP connection is destroyed. */
export const CLOSE_HANDSHAKE_MS = 2000;

/** Close reasons are limited to 123 bytes by RFC 6455. */
function closeReason(reason: string): string {
  return utf8Prefix(reason, 123);
}

export class ClientSocket {
  fate: SocketFate = "open";
  /** Frames handed to `ws` whose write has not completed yet (the outgoing-frames bound counts these). */
  queuedFrames = 0;
  private readonly written = (): void => void this.queuedFrames--;

  constructor(
    readonly ws: WebSocket,
    /** Encodes the `disconnected` frame (simple clients get none). */
    readonly codec: Codec,
  ) {}

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(data: WireData): void {
    if (!this.isOpen) return;
    this.cork();
    this.queuedFrames++;
    this.ws.send(data, this.written);
  }

  private corked = false;

  /**
   * Frames written in the same tick (a burst of acks, pongs, or one fan-out) leave in one
   * write to the kernel instead of one each: uncorked on the next tick.
   */
  private cork(): void {
    if (this.corked) return;
    const tcp = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void; destroyed: boolean } })._socket;
    if (!tcp || tcp.destroyed) return;
    this.corked = true;
    tcp.cork();
    process.nextTick(() => {
      this.corked = false;
      tcp.uncork();
    });
  }

  /** Answers a WebSocket-level ping (counted like every other frame). */
  pong(data: Buffer): void {
    if (!this.isOpen) return;
    this.cork();
    this.queuedFrames++;
    this.ws.pong(data, undefined, this.written);
  }

  /** A WebSocket-level ping from the service (keep-alive). */
  ping(): void {
    if (!this.isOpen) return;
    this.queuedFrames++;
    this.ws.ping(undefined, undefined, this.written);
  }

  /**
   * Sends the `disconnected` system frame (PubSub subprotocols), then a close frame; a client
   * that has not completed the close within {@link CLOSE_HANDSHAKE_MS} is cut off.
   */
  close(code: number, message: string, fate: SocketFate): void {
    if (this.fate === "open") this.fate = fate;
    if (!this.isOpen) {
      if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
      return;
    }
    const reason = clip(message, MAX_REASON_CHARS);
    const disconnected = this.codec.encode({ type: "disconnected", message: reason });
    if (disconnected !== undefined) this.ws.send(disconnected);
    this.ws.close(code, closeReason(reason));
    const ws = this.ws;
    setTimeout(() => {
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    }, CLOSE_HANDSHAKE_MS).unref();
  }

  /** Destroys the TCP socket without a close frame. */
  terminate(fate: SocketFate): void {
    if (this.fate === "open") this.fate = fate;
    this.ws.terminate();
  }
}

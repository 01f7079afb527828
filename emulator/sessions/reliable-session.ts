/** Reliable session state (PROTOCOL §5): sequence ids, the unacknowledged buffer, recovery token and expiry. */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { wireBytes, type WireData } from "../protocol/codec";

export const MAX_UNACKED_MESSAGES = 1000;
export const MAX_UNACKED_BYTES = 16 * 1024 * 1024;

interface Unacked {
  sequenceId: number;
  frame: WireData;
  bytes: number;
}

export class ReliableSession {
  readonly reconnectionToken = randomBytes(24).toString("base64url");
  private nextSequenceId = 1;
  private readonly buffer: Unacked[] = [];
  private bufferedBytes = 0;
  private expiryTimer: NodeJS.Timeout | undefined;

  /**
   * Numbers and buffers the next message. Returns its frame, or `undefined` when keeping
   * it would exceed the bound (the caller then ends the session as a slow client).
   */
  push(build: (sequenceId: number) => WireData): WireData | undefined {
    const sequenceId = this.nextSequenceId++;
    const frame = build(sequenceId);
    const bytes = wireBytes(frame);
    if (this.buffer.length + 1 > MAX_UNACKED_MESSAGES || this.bufferedBytes + bytes > MAX_UNACKED_BYTES) return undefined;
    this.buffer.push({ sequenceId, frame, bytes });
    this.bufferedBytes += bytes;
    return frame;
  }

  /** `sequenceAck N`: forget every message with an id ≤ N. */
  ack(sequenceId: number): void {
    let drop = 0;
    while (drop < this.buffer.length && this.buffer[drop]!.sequenceId <= sequenceId) {
      this.bufferedBytes -= this.buffer[drop]!.bytes;
      drop++;
    }
    if (drop > 0) this.buffer.splice(0, drop);
  }

  /** Every unacknowledged frame, oldest first, with its original sequence id. */
  unacked(): WireData[] {
    return this.buffer.map((m) => m.frame);
  }

  get unackedCount(): number {
    return this.buffer.length;
  }

  get unackedBytes(): number {
    return this.bufferedBytes;
  }

  /** The id the next message will get. */
  get nextId(): number {
    return this.nextSequenceId;
  }

  tokenMatches(token: string): boolean {
    const a = Buffer.from(token);
    const b = Buffer.from(this.reconnectionToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  startExpiry(ms: number, onExpire: () => void): void {
    this.cancelExpiry();
    this.expiryTimer = setTimeout(onExpire, ms);
    this.expiryTimer.unref();
  }

  cancelExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }
}

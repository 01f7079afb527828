// How a tab's operation becomes a channel operation, and how its answer becomes the result
// or error the caller sees (with the caller's own ackId or invocationId, never the wire's).
import { AbortError, InvocationError, SendMessageError } from "./deps.js";
import type { WebPubSubResult } from "../types/events.js";
import type { WebPubSubMessage } from "../types/messages.js";
import type { ErrorInfo, TabOp } from "./wire.js";

/** Caller ackIds remembered for retries with the same ackId (oldest forgotten first). */
export const MAX_REMEMBERED_ACK_IDS = 10_000;

export interface PendingOp {
  op: TabOp;
  tabAckId?: number;
  tabInvocationId?: string;
  resolve(value: WebPubSubResult & { invocationId?: string; dataType?: unknown; data?: unknown }): void;
  reject(error: Error): void;
}

/**
 * A fresh ackId for the wire, in [2^32, 2^53): holders and tabs pick them at random so that
 * two of them (or a holder and the one before it, on the same connection) never reuse one
 * the service would answer `Duplicate` without doing the work.
 */
export function randomWireAckId(random: () => number): number {
  return 2 ** 32 + Math.floor(random() * (2 ** 53 - 2 ** 33));
}

/**
 * The ackIds on the wire for a tab's ackIds: random in [2^32, 2^53), so the tabs of one
 * connection never collide, and the same for a retry with the same ackId.
 */
export class WireAckIds {
  readonly #map = new Map<number, number>();
  readonly #random: () => number;
  constructor(random: () => number) {
    this.#random = random;
  }
  for(tabAckId: number): number {
    let wire = this.#map.get(tabAckId);
    if (wire === undefined) {
      wire = randomWireAckId(this.#random);
      this.#map.set(tabAckId, wire);
      if (this.#map.size > MAX_REMEMBERED_ACK_IDS) this.#map.delete(this.#map.keys().next().value!);
    }
    return wire;
  }
}

/** The channel form of the facade's message, or undefined for a kind a shared connection does not carry. */
export function tabOpFor(message: WebPubSubMessage, wireAckId: number | undefined, wireInvocationId: string): TabOp | undefined {
  const m = message as WebPubSubMessage & Record<string, unknown>;
  switch (m.kind) {
    case "joinGroup":
    case "leaveGroup":
      return wireAckId === undefined ? undefined : { kind: m.kind, group: m.group as string, ackId: wireAckId };
    case "sendToGroup":
      return { kind: "sendToGroup", group: m.group as string, dataType: m.dataType as never, data: m.data, noEcho: m.noEcho === true, ackId: wireAckId };
    case "sendEvent":
      return { kind: "sendEvent", event: m.event as string, dataType: m.dataType as never, data: m.data, ackId: wireAckId };
    case "invoke":
      return { kind: "invoke", event: m.event as string, dataType: m.dataType as never, data: m.data, invocationId: wireInvocationId };
    default:
      return undefined;
  }
}

/** An error raised in the tab itself (stopped, aborted, not cloneable). */
export function localError(text: string, tabAckId: number | undefined, tabInvocationId: string | undefined): Error {
  return tabInvocationId !== undefined ? new InvocationError(text, { invocationId: tabInvocationId }) : new SendMessageError(text, { ackId: tabAckId });
}

/** The holder's error, rebuilt as the class the caller expects, with the caller's ids. */
export function remoteError(info: ErrorInfo, p: PendingOp): Error {
  const errorDetail = info.detail;
  if (info.type === "invoke" || p.tabInvocationId !== undefined) {
    return new InvocationError(info.message, { invocationId: p.tabInvocationId ?? "", errorDetail });
  }
  if (info.type === "send" || p.tabAckId !== undefined) return new SendMessageError(info.message, { ackId: p.tabAckId, errorDetail });
  return info.type === "abort" ? new AbortError(info.message) : new Error(info.message);
}

/**
 * The unanswered operations by channel id, also indexed by the caller's ackIds and
 * invocationIds, so that checking an id is one lookup and not a scan on every send.
 */
export class PendingOps extends Map<number, PendingOp> {
  /** Caller id → how many pending operations carry it. */
  readonly #keys = new Map<number | string, number>();

  override set(id: number, p: PendingOp): this {
    this.delete(id);
    super.set(id, p);
    for (const k of [p.tabAckId, p.tabInvocationId]) if (k !== undefined) this.#keys.set(k, (this.#keys.get(k) ?? 0) + 1);
    return this;
  }
  override delete(id: number): boolean {
    const p = this.get(id);
    if (!p) return false;
    super.delete(id);
    for (const k of [p.tabAckId, p.tabInvocationId]) {
      if (k === undefined) continue;
      const n = this.#keys.get(k)! - 1;
      if (n > 0) this.#keys.set(k, n);
      else this.#keys.delete(k);
    }
    return true;
  }
  override clear(): void {
    super.clear();
    this.#keys.clear();
  }
  /** True when a pending operation carries `key` as its ackId or invocationId. */
  hasKey(key: number | string): boolean {
    return this.#keys.has(key);
  }
}

/** The tab's own ackIds and invocationIds, as the facade takes them from an engine's outbox. */
export class TabIds {
  #ackCounter = 0;
  #invocationCounter = 0;
  readonly #pending: PendingOps;
  constructor(pending: PendingOps) {
    this.#pending = pending;
  }
  nextAckId(): number {
    do this.#ackCounter++;
    while (this.#has(this.#ackCounter));
    return this.#ackCounter;
  }
  /** The caller chose `ackId`: automatic ids continue above it. */
  usedAckId(ackId: number): void {
    if (ackId > this.#ackCounter) this.#ackCounter = ackId;
  }
  nextInvocationId(): string {
    let id: string;
    do id = String(++this.#invocationCounter);
    while (this.#has(id));
    return id;
  }
  checkKeyFree(key: number | string | undefined): void {
    if (key !== undefined && this.#has(key)) throw new RangeError(`${key} is already the id of a pending operation`);
  }
  #has(key: number | string): boolean {
    return this.#pending.hasKey(key);
  }
}

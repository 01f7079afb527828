// Ack and invocation tracking. Every operation goes through here: it is written at once
// when the link is up, queued in order when it is not, kept until its ack (or invoke
// response) arrives, resent with the SAME ackId after an ack timeout or a transient error,
// and resent again after a recovery, so the service's de-duplication makes it exactly-once.
// One timer serves every pending operation.
import { InvocationError } from "../errors/invocation-error.js";
import { SendMessageError } from "../errors/send-message-error.js";
import type { InvokeEventResult, WebPubSubResult } from "../types/events.js";
import type { AckMessage, AckMessageError, InvokeResponseMessage, WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import { frameBytes } from "../utils/validate.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { Clock, Timers } from "./runtime.js";

const TRANSIENT = new Set(["InternalServerError", "Timeout"]);
/** Frames above the service's limit are refused before they are sent. */
export const MAX_FRAME_BYTES = 1 << 20;
const TIMEOUT: AckMessageError = { name: "Timeout", message: "no ack" };

export interface Operation {
  readonly message: WebPubSubMessage;
  /** The message encoded once, at submit. */
  frame: string | ArrayBuffer;
  readonly ackId?: number;
  readonly invocationId?: string;
  /** join/leave: safe to send again on a brand-new connection. */
  readonly idempotent: boolean;
  readonly resolve: (value: WebPubSubResult & InvokeEventResult) => void;
  readonly reject: (error: Error) => void;
  /** Removes the abort listener; set by the caller. */
  cleanup?: () => void;
  attempts: number;
  retries: number;
  phase: "queued" | "awaiting" | "backoff";
  due: number;
}

export interface Link {
  /** Writes a message; false when there is no open link. */
  write(message: WebPubSubMessage): boolean;
  /** Writes an encoded frame; `answered`: the service will answer it (ack, response). */
  send(frame: string | ArrayBuffer, answered: boolean): boolean;
}

export class Outbox {
  readonly #queue: Operation[] = [];
  readonly #pending = new Map<number | string, Operation>();
  /** Keys (ackIds, invocationIds) of every unfinished operation, queued or pending. */
  readonly #live = new Set<number | string>();
  #up = false;
  #timer: unknown;
  #timerDue = Infinity;
  ackCounter = 0;
  #invocationCounter = 0;

  readonly #link: Link;
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #retry: RetryPolicy;
  readonly #ackTimeoutMs: number;
  readonly #encode: (message: WebPubSubMessage) => string | ArrayBuffer;

  constructor(
    link: Link,
    timers: Timers,
    clock: Clock,
    retry: RetryPolicy,
    ackTimeoutMs: number,
    encode: (message: WebPubSubMessage) => string | ArrayBuffer,
  ) {
    this.#encode = encode;
    this.#link = link;
    this.#timers = timers;
    this.#clock = clock;
    this.#retry = retry;
    this.#ackTimeoutMs = ackTimeoutMs;
  }

  /** True when `key` (an ackId or invocationId) belongs to an unfinished operation. */
  has(key: number | string): boolean {
    return this.#live.has(key);
  }

  /** True while an operation waits for its answer. */
  waiting(): boolean {
    return this.#pending.size > 0;
  }

  /** Every unfinished operation's message, sent ones first. */
  messages(): WebPubSubMessage[] {
    return [...this.#pending.values(), ...this.#queue].map((op) => op.message);
  }

  nextAckId(): number {
    do this.ackCounter++;
    while (this.#live.has(this.ackCounter));
    return this.ackCounter;
  }

  /** The caller chose `ackId`: automatic ids never repeat it (they continue above it). */
  usedAckId(ackId: number): void {
    if (ackId > this.ackCounter) this.ackCounter = ackId;
  }

  nextInvocationId(): string {
    let id: string;
    do id = String(++this.#invocationCounter);
    while (this.#live.has(id));
    return id;
  }

  /** A caller-chosen ackId or invocationId must not belong to an unfinished operation. */
  checkKeyFree(key: number | string | undefined): void {
    if (key !== undefined && this.#live.has(key)) throw new RangeError(`${key} is in use by a pending operation`);
  }

  /**
   * An operation: `ackId`/`invocationId` mark an answered one; without them it resolves as
   * soon as the frame is written. Encoded once here; a frame over 1 MB is refused.
   */
  add(message: WebPubSubMessage, signal: AbortSignalLike | undefined, front: boolean, refused?: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const op = {
        message,
        frame: "",
        ackId: (message as { ackId?: number }).ackId,
        invocationId: message.kind === "invoke" ? message.invocationId : undefined,
        idempotent: message.kind === "joinGroup" || message.kind === "leaveGroup",
        resolve,
        reject,
        attempts: 0,
        retries: 0,
        phase: "queued",
        due: 0,
      } as Operation;
      const fail = (why: string, detail?: AckMessageError): void => reject(operationError(op, why, detail));
      if (refused) return fail(refused);
      if (signal?.aborted) return fail(ABORTED, ABORT_DETAIL);
      let bytes: number;
      try {
        bytes = frameBytes((op.frame = this.#encode(message)));
      } catch (e) {
        return fail(`Cannot encode: ${(e as Error)?.message ?? e}`);
      }
      if (bytes > MAX_FRAME_BYTES) return reject(new RangeError(`A ${bytes}-byte frame is over the 1 MB limit.`));
      if (signal) {
        const onAbort = (): void => void this.abort(op, ABORTED);
        signal.addEventListener("abort", onAbort, { once: true });
        op.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      this.#submit(op, front);
    });
  }

  #submit(op: Operation, front: boolean): void {
    const key = keyOf(op);
    if (key !== undefined) this.#live.add(key);
    if (this.#up && (front || this.#queue.length === 0) && this.#transmit(op)) return;
    op.phase = "queued";
    if (front) this.#queue.unshift(op);
    else this.#queue.push(op);
  }

  /**
   * The link is up: resend what awaits an ack (the service de-duplicates by ackId), then
   * drain the queue in order. Invocations already sent are not sent twice (nothing
   * de-duplicates them); they keep waiting for their response until their deadline.
   */
  resume(): void {
    this.#up = true;
    this.#cancelTimer();
    const again: Operation[] = [];
    let next = Infinity;
    for (const [key, op] of this.#pending) {
      if (op.invocationId !== undefined) next = Math.min(next, op.due);
      else {
        this.#pending.delete(key);
        // A resend after a recovery is a retry like any other.
        if (op.phase !== "awaiting") again.push(op);
        else if (op.retries++ < this.#retry.maxRetries) again.push(op);
        else this.#noAck(op);
      }
    }
    if (next < Infinity) this.#arm(next);
    let i = 0;
    for (; i < again.length; i++) if (!this.#transmit(again[i])) break;
    if (i < again.length) this.#queue.unshift(...again.slice(i));
    let sent = 0;
    while (sent < this.#queue.length && this.#transmit(this.#queue[sent])) sent++;
    this.#queue.splice(0, sent);
  }

  /** The link is down; what is pending waits for `resume()`. */
  pause(): void {
    this.#up = false;
    this.#cancelTimer();
  }

  /** The connection is gone for good: only join/leave can safely go again on a new one. */
  sessionLost(): void {
    const requeue: Operation[] = [];
    for (const op of this.#pending.values()) {
      if (op.idempotent) requeue.push(op);
      else this.#fail(op, "The connection was lost before the ack; it may or may not have been delivered.");
    }
    this.#pending.clear();
    this.#queue.unshift(...requeue);
  }

  failAll(message: string): void {
    const all = [...this.#pending.values(), ...this.#queue];
    this.#pending.clear();
    this.#queue.length = 0;
    this.#cancelTimer();
    for (const op of all) this.#fail(op, message);
  }

  /** Withdraws an operation whose caller aborted it; returns whether it was still pending. */
  abort(op: Operation, message: string): boolean {
    const key = keyOf(op);
    const queued = this.#queue.indexOf(op);
    if (queued >= 0) this.#queue.splice(queued, 1);
    else if (key === undefined || this.#pending.get(key) !== op) return false;
    else {
      this.#pending.delete(key);
      if (op.invocationId !== undefined) this.#link.write({ kind: "cancelInvocation", invocationId: op.invocationId });
    }
    this.#fail(op, message, ABORT_DETAIL);
    return true;
  }

  onAck(ack: AckMessage): void {
    const op = this.#pending.get(ack.ackId);
    if (!op || op.invocationId !== undefined) return;
    this.#pending.delete(ack.ackId);
    const error = ack.error;
    if (ack.success) return this.#settle(op, { ackId: op.ackId, isDuplicated: false });
    const name = error?.name ?? "Unknown";
    // A Duplicate answering our own resend means the first send went through.
    if (name === "Duplicate") return this.#settle(op, { ackId: op.ackId, isDuplicated: op.attempts === 1 });
    if (TRANSIENT.has(name) && op.retries < this.#retry.maxRetries) {
      op.retries++;
      this.#wait(op, "backoff", this.#retry.delay(op.retries));
      return;
    }
    this.#fail(op, `Refused: ${name} ${error?.message ?? ""}`, error);
  }

  onInvokeResponse(res: InvokeResponseMessage): void {
    const op = this.#pending.get(res.invocationId);
    if (!op || op.invocationId === undefined) return;
    this.#pending.delete(res.invocationId);
    if (res.success) {
      this.#settle(op, { invocationId: res.invocationId, dataType: res.dataType, data: res.data, isDuplicated: false });
    } else {
      this.#fail(op, `Invocation failed: ${res.error?.name}`, res.error);
    }
  }

  /** Writes `op`; false when the link is down. An op that cannot be encoded fails here. */
  #transmit(op: Operation): boolean {
    const key = keyOf(op);
    if (!this.#link.send(op.frame, key !== undefined)) return false;
    op.attempts++;
    if (key === undefined) this.#settle(op, { isDuplicated: false });
    else this.#wait(op, "awaiting", this.#ackTimeoutMs);
    return true;
  }

  #wait(op: Operation, phase: Operation["phase"], ms: number): void {
    op.phase = phase;
    op.due = this.#clock.now() + ms;
    this.#pending.set(keyOf(op)!, op);
    if (this.#up && op.due < this.#timerDue) this.#arm(op.due);
  }

  #arm(due: number): void {
    this.#cancelTimer();
    this.#timerDue = due;
    this.#timer = this.#timers.setTimeout(() => this.#onTimer(), Math.max(0, due - this.#clock.now()));
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const now = this.#clock.now();
    const due: Operation[] = [];
    let next = Infinity;
    for (const op of this.#pending.values()) {
      if (op.due <= now) due.push(op);
      else next = Math.min(next, op.due);
    }
    for (const op of due) this.#expire(op);
    if (this.#up) {
      for (const op of this.#pending.values()) next = Math.min(next, op.due);
      if (next < Infinity) this.#arm(next);
    }
  }

  /** An answer is overdue (or a backoff ended): resend with the same id, or give up. */
  #expire(op: Operation): void {
    const key = keyOf(op)!;
    if (op.invocationId !== undefined) {
      this.#pending.delete(key);
      this.#link.write({ kind: "cancelInvocation", invocationId: op.invocationId });
      this.#fail(op, `No invokeResponse within ${this.#ackTimeoutMs} ms.`, {
        name: "Timeout",
        message: "no invokeResponse",
      });
      return;
    }
    if (op.phase === "awaiting") {
      if (op.retries >= this.#retry.maxRetries) {
        this.#pending.delete(key);
        this.#noAck(op);
        return;
      }
      op.retries++;
    }
    this.#pending.delete(key);
    if (!this.#transmit(op)) this.#pending.set(key, op);
  }

  #noAck(op: Operation): void {
    this.#fail(op, `No ack after ${op.attempts} attempts.`, TIMEOUT);
  }

  #settle(op: Operation, value: WebPubSubResult & Partial<InvokeEventResult>): void {
    this.#finish(op);
    op.resolve(value as WebPubSubResult & InvokeEventResult);
  }

  #finish(op: Operation): void {
    const key = keyOf(op);
    if (key !== undefined) this.#live.delete(key);
    op.cleanup?.();
  }

  #fail(op: Operation, message: string, errorDetail?: AckMessageError): void {
    this.#finish(op);
    op.reject(operationError(op, message, errorDetail));
  }
}

export const ABORTED = "Aborted; if already sent, it may still take effect.";
export const ABORT_DETAIL: AckMessageError = { name: "AbortError", message: "aborted" };

/** The error an operation fails with: it carries the operation's ackId or invocationId. */
export function operationError(op: Operation, message: string, errorDetail?: AckMessageError): Error {
  return op.invocationId !== undefined
    ? new InvocationError(message, { invocationId: op.invocationId, errorDetail })
    : new SendMessageError(message, { ackId: op.ackId, errorDetail });
}

function keyOf(op: Operation): number | string | undefined {
  return op.ackId ?? op.invocationId;
}

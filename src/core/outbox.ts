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
import { onAbort } from "../utils/on-abort.js";
import { frameBytes } from "../utils/validate.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { Clock, Timers } from "./runtime.js";

const TRANSIENT = ["InternalServerError", "Timeout"];
/** Frames above the service's limit are refused before they are sent. */
export const MAX_FRAME_BYTES = 1 << 20;
const TIMEOUT: AckMessageError = { name: "Timeout", message: "no ack" };
export const ABORTED = "Aborted; if already sent, it may still take effect.";
export const ABORT_DETAIL: AckMessageError = { name: "AbortError", message: "aborted" };

type Result = WebPubSubResult & Partial<InvokeEventResult>;

/** One operation. */
interface Op {
  /** The message encoded once, at submit. */
  frame: string | ArrayBuffer;
  /** The ackId, or the invocationId of an invocation; none for fire-and-forget. */
  id?: number | string;
  /** An invocation. */
  invoke: boolean;
  /** join/leave: safe to send again on a brand-new connection. */
  rejoin: boolean;
  ok(value: Result): void;
  no(error: Error): void;
  /** Removes the abort listener. */
  detach?: () => void;
  /** Writes so far. */
  writes: number;
  /** Retries so far. */
  retries: number;
  /** 0 queued, 1 awaiting its answer, 2 backing off before a resend. */
  phase: 0 | 1 | 2;
  /** When the answer is overdue or the backoff ends (monotonic ms). */
  due: number;
}

export interface Encoder {
  writeMessage(message: WebPubSubMessage): string | ArrayBuffer;
}

export interface Link {
  /** Writes a message; false when there is no open link. */
  sendRaw(message: WebPubSubMessage): boolean;
  /** Writes an encoded frame; `answered`: the service will answer it (ack, response). */
  send(frame: string | ArrayBuffer, answered: boolean): boolean;
}

/**
 * A class, not closures: its methods are shared by every client, and an idle client holds
 * one object with a few fields instead of a closure per helper.
 */
export class Outbox {
  ackCounter = 0;
  #queue: Op[] = [];
  readonly #pending = new Map<number | string, Op>();
  /** Keys (ackIds, invocationIds) of every unfinished operation, queued or pending. */
  readonly #live = new Set<number | string>();
  #up = false;
  #timer: unknown;
  #timerDue = Infinity;
  #invocations = 0;
  readonly #link: Link;
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #retry: RetryPolicy;
  readonly #ackTimeoutMs: number;
  readonly #protocol: Encoder;

  constructor(link: Link, timers: Timers, clock: Clock, retry: RetryPolicy, ackTimeoutMs: number, protocol: Encoder) {
    this.#link = link;
    this.#timers = timers;
    this.#clock = clock;
    this.#retry = retry;
    this.#ackTimeoutMs = ackTimeoutMs;
    this.#protocol = protocol;
  }

  /** True while an operation waits for its answer. */
  waiting(): boolean {
    return this.#pending.size > 0;
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
    do id = String(++this.#invocations);
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
  add(message: WebPubSubMessage, signal: AbortSignalLike | undefined, front: boolean, refused?: string): Promise<Result> {
    return new Promise((ok, no) => {
      const invoke = message.kind === "invoke";
      const id = invoke ? message.invocationId : (message as { ackId?: number }).ackId;
      const op: Op = { frame: "", id, invoke, rejoin: message.kind === "joinGroup" || message.kind === "leaveGroup", ok, no, writes: 0, retries: 0, phase: 0, due: 0 };
      const refuse = (why: string, detail?: AckMessageError): void => no(operationError(op, why, detail));
      if (refused) return refuse(refused);
      if (signal?.aborted) return refuse(ABORTED, ABORT_DETAIL);
      let bytes: number;
      try {
        bytes = frameBytes((op.frame = this.#protocol.writeMessage(message)));
      } catch (e) {
        return refuse(`Cannot encode: ${(e as Error)?.message ?? e}`);
      }
      if (bytes > MAX_FRAME_BYTES) return no(new RangeError(`A ${bytes}-byte frame is over the 1 MB limit.`));
      op.detach = onAbort(signal, () => this.#abort(op));
      if (id !== undefined) this.#live.add(id);
      if (!(this.#up && (front || !this.#queue.length) && this.#transmit(op))) {
        if (front) this.#queue.unshift(op);
        else this.#queue.push(op);
      }
    });
  }

  /**
   * The link is up: resend what awaits an ack (the service de-duplicates by ackId), then
   * drain the queue in order. Invocations already sent are not sent twice (nothing
   * de-duplicates them); they keep waiting for their response until their deadline.
   */
  resume(): void {
    this.#up = true;
    this.#cancelTimer();
    const again: Op[] = [];
    for (const op of this.#pending.values()) {
      if (op.invoke) continue;
      this.#pending.delete(op.id!);
      // A resend after a recovery is a retry like any other.
      if (op.phase !== 1 || op.retries++ < this.#retry.maxRetries) again.push(op);
      else this.#noAck(op);
    }
    this.#rearm();
    const queue = (this.#queue = [...again, ...this.#queue]);
    let sent = 0;
    while (sent < queue.length && this.#transmit(queue[sent])) sent++;
    queue.splice(0, sent);
  }

  /** The link is down; what is pending waits for `resume()`. */
  pause(): void {
    this.#up = false;
    this.#cancelTimer();
  }

  /** The connection is gone for good: only join/leave can safely go again on a new one. */
  sessionLost(): void {
    const requeue: Op[] = [];
    for (const op of this.#pending.values()) {
      if (op.rejoin) requeue.push(op);
      else this.#fail(op, "Connection lost before the ack; it may have been delivered.");
    }
    this.#pending.clear();
    this.#queue = [...requeue, ...this.#queue];
  }

  failAll(message: string): void {
    const all = [...this.#pending.values(), ...this.#queue];
    this.#pending.clear();
    this.#queue = [];
    this.#cancelTimer();
    for (const op of all) this.#fail(op, message);
  }

  onAck(ack: AckMessage): void {
    const op = this.#pending.get(ack.ackId);
    if (!op || op.invoke) return;
    this.#pending.delete(ack.ackId);
    const error = ack.error;
    const name = error?.name ?? "Unknown";
    const retry = this.#retry;
    // A Duplicate answering our own resend means the first send went through.
    if (ack.success || name === "Duplicate") return this.#settle(op, { ackId: op.id as number, isDuplicated: !ack.success && op.writes === 1 });
    if (TRANSIENT.includes(name) && op.retries < retry.maxRetries) return this.#wait(op, 2, retry.delay(++op.retries));
    this.#fail(op, `Refused: ${name} ${error?.message ?? ""}`, error);
  }

  onInvokeResponse(res: InvokeResponseMessage): void {
    const op = this.#pending.get(res.invocationId);
    if (!op?.invoke) return;
    this.#pending.delete(res.invocationId);
    if (res.success) this.#settle(op, { invocationId: res.invocationId, dataType: res.dataType, data: res.data, isDuplicated: false });
    else this.#fail(op, `Invocation failed: ${res.error?.name}`, res.error);
  }

  #finish(op: Op): void {
    this.#live.delete(op.id!);
    op.detach?.();
  }

  #settle(op: Op, value: Result): void {
    this.#finish(op);
    op.ok(value);
  }

  #fail(op: Op, message: string, errorDetail?: AckMessageError): void {
    this.#finish(op);
    op.no(operationError(op, message, errorDetail));
  }

  #noAck(op: Op): void {
    this.#fail(op, `No ack after ${op.writes} attempts.`, TIMEOUT);
  }

  #cancel(op: Op): void {
    this.#link.sendRaw({ kind: "cancelInvocation", invocationId: op.id as string });
  }

  #cancelTimer(): void {
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #arm(due: number): void {
    this.#cancelTimer();
    this.#timerDue = due;
    this.#timer = this.#timers.setTimeout(() => this.#onTimer(), Math.max(0, due - this.#clock.now()));
  }

  /** Arms the timer for the earliest pending deadline. */
  #rearm(): void {
    let next = Infinity;
    for (const op of this.#pending.values()) next = Math.min(next, op.due);
    if (next < Infinity) this.#arm(next);
  }

  #wait(op: Op, phase: 1 | 2, ms: number): void {
    op.phase = phase;
    op.due = this.#clock.now() + ms;
    this.#pending.set(op.id!, op);
    if (this.#up && op.due < this.#timerDue) this.#arm(op.due);
  }

  /** Writes `op`; false when the link is down. */
  #transmit(op: Op): boolean {
    if (!this.#link.send(op.frame, op.id !== undefined)) return false;
    op.writes++;
    if (op.id === undefined) this.#settle(op, { isDuplicated: false });
    else this.#wait(op, 1, this.#ackTimeoutMs);
    return true;
  }

  /** An answer is overdue (or a backoff ended): resend with the same id, or give up. */
  #expire(op: Op): void {
    this.#pending.delete(op.id!);
    if (op.invoke) {
      this.#cancel(op);
      return this.#fail(op, `No invokeResponse within ${this.#ackTimeoutMs} ms.`, { name: "Timeout", message: "no invokeResponse" });
    }
    if (op.phase === 1) {
      if (op.retries >= this.#retry.maxRetries) return this.#noAck(op);
      op.retries++;
    }
    if (!this.#transmit(op)) this.#pending.set(op.id!, op);
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const now = this.#clock.now();
    [...this.#pending.values()].filter((op) => op.due <= now).forEach((op) => this.#expire(op));
    if (this.#up) this.#rearm();
  }

  /** Withdraws an operation whose caller aborted it. */
  #abort(op: Op): void {
    const queue = this.#queue;
    const at = queue.indexOf(op);
    if (at >= 0) queue.splice(at, 1);
    else if (op.id === undefined || this.#pending.get(op.id) !== op) return;
    else {
      this.#pending.delete(op.id);
      if (op.invoke) this.#cancel(op);
    }
    this.#fail(op, ABORTED, ABORT_DETAIL);
  }
}

/** The error an operation fails with: it carries the operation's ackId or invocationId. */
function operationError(op: Op, message: string, errorDetail?: AckMessageError): Error {
  return op.invoke
    ? new InvocationError(message, { invocationId: op.id as string, errorDetail })
    : new SendMessageError(message, { ackId: op.id as number | undefined, errorDetail });
}

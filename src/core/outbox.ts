// Ack and invocation tracking. Every operation goes through here: it is written at once
// when the link is up, queued in order when it is not, kept until its ack (or invoke
// response) arrives, resent with the SAME ackId after an ack timeout or a transient error,
// and resent again after a recovery, so the service's de-duplication makes it exactly-once.
// One timer serves every pending operation. (Closures and short field names: this is in
// every browser bundle, and a minifier keeps property names.)
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
  /** The message. */
  m: WebPubSubMessage;
  /** The message encoded once, at submit. */
  f: string | ArrayBuffer;
  /** Its key: the ackId, or the invocationId of an invocation; none for fire-and-forget. */
  k?: number | string;
  /** An invocation. */
  i: boolean;
  /** join/leave: safe to send again on a brand-new connection. */
  j: boolean;
  ok(value: Result): void;
  no(error: Error): void;
  /** Removes the abort listener. */
  c?: () => void;
  /** Writes so far. */
  n: number;
  /** Retries so far. */
  r: number;
  /** 0 queued, 1 awaiting its answer, 2 backing off before a resend. */
  p: 0 | 1 | 2;
  /** When the answer is overdue or the backoff ends (monotonic ms). */
  d: number;
}

export interface Link {
  /** Writes a message; false when there is no open link. */
  write(message: WebPubSubMessage): boolean;
  /** Writes an encoded frame; `answered`: the service will answer it (ack, response). */
  send(frame: string | ArrayBuffer, answered: boolean): boolean;
}

export type Outbox = ReturnType<typeof createOutbox>;

export function createOutbox(
  link: Link,
  timers: Timers,
  clock: Clock,
  retry: RetryPolicy,
  ackTimeoutMs: number,
  encode: (message: WebPubSubMessage) => string | ArrayBuffer,
) {
  let queue: Op[] = [];
  const pending = new Map<number | string, Op>();
  /** Keys (ackIds, invocationIds) of every unfinished operation, queued or pending. */
  const live = new Set<number | string>();
  let up = false;
  let timer: unknown;
  let timerDue = Infinity;
  let invocations = 0;

  const finish = (op: Op): void => {
    live.delete(op.k!);
    op.c?.();
  };
  const settle = (op: Op, value: Result): void => {
    finish(op);
    op.ok(value);
  };
  const fail = (op: Op, message: string, errorDetail?: AckMessageError): void => {
    finish(op);
    op.no(operationError(op, message, errorDetail));
  };
  const noAck = (op: Op): void => fail(op, `No ack after ${op.n} attempts.`, TIMEOUT);
  const cancel = (op: Op): unknown => link.write({ kind: "cancelInvocation", invocationId: op.k as string });

  const cancelTimer = (): void => {
    timers.clearTimeout(timer);
    timer = undefined;
    timerDue = Infinity;
  };
  const arm = (due: number): void => {
    cancelTimer();
    timerDue = due;
    timer = timers.setTimeout(onTimer, Math.max(0, due - clock.now()));
  };
  /** Arms the timer for the earliest pending deadline. */
  const rearm = (): void => {
    let next = Infinity;
    for (const op of pending.values()) next = Math.min(next, op.d);
    if (next < Infinity) arm(next);
  };
  const wait = (op: Op, phase: 1 | 2, ms: number): void => {
    op.p = phase;
    op.d = clock.now() + ms;
    pending.set(op.k!, op);
    if (up && op.d < timerDue) arm(op.d);
  };
  /** Writes `op`; false when the link is down. */
  const transmit = (op: Op): boolean => {
    if (!link.send(op.f, op.k !== undefined)) return false;
    op.n++;
    if (op.k === undefined) settle(op, { isDuplicated: false });
    else wait(op, 1, ackTimeoutMs);
    return true;
  };
  /** An answer is overdue (or a backoff ended): resend with the same id, or give up. */
  const expire = (op: Op): void => {
    pending.delete(op.k!);
    if (op.i) {
      cancel(op);
      return fail(op, `No invokeResponse within ${ackTimeoutMs} ms.`, { name: "Timeout", message: "no invokeResponse" });
    }
    if (op.p === 1) {
      if (op.r >= retry.maxRetries) return noAck(op);
      op.r++;
    }
    if (!transmit(op)) pending.set(op.k!, op);
  };
  const onTimer = (): void => {
    timer = undefined;
    timerDue = Infinity;
    const now = clock.now();
    [...pending.values()].filter((op) => op.d <= now).forEach(expire);
    if (up) rearm();
  };
  /** Withdraws an operation whose caller aborted it. */
  const abort = (op: Op): void => {
    const at = queue.indexOf(op);
    if (at >= 0) queue.splice(at, 1);
    else if (op.k === undefined || pending.get(op.k) !== op) return;
    else {
      pending.delete(op.k);
      if (op.i) cancel(op);
    }
    fail(op, ABORTED, ABORT_DETAIL);
  };

  const o = {
    ackCounter: 0,

    /** True while an operation waits for its answer. */
    waiting: (): boolean => pending.size > 0,

    /** Every unfinished operation's message, sent ones first. */
    messages: (): WebPubSubMessage[] => [...pending.values(), ...queue].map((op) => op.m),

    nextAckId(): number {
      do o.ackCounter++;
      while (live.has(o.ackCounter));
      return o.ackCounter;
    },

    /** The caller chose `ackId`: automatic ids never repeat it (they continue above it). */
    usedAckId(ackId: number): void {
      if (ackId > o.ackCounter) o.ackCounter = ackId;
    },

    nextInvocationId(): string {
      let id: string;
      do id = String(++invocations);
      while (live.has(id));
      return id;
    },

    /** A caller-chosen ackId or invocationId must not belong to an unfinished operation. */
    checkKeyFree(key: number | string | undefined): void {
      if (key !== undefined && live.has(key)) throw new RangeError(`${key} is in use by a pending operation`);
    },

    /**
     * An operation: `ackId`/`invocationId` mark an answered one; without them it resolves as
     * soon as the frame is written. Encoded once here; a frame over 1 MB is refused.
     */
    add(message: WebPubSubMessage, signal: AbortSignalLike | undefined, front: boolean, refused?: string): Promise<Result> {
      return new Promise((ok, no) => {
        const i = message.kind === "invoke";
        const k = i ? message.invocationId : (message as { ackId?: number }).ackId;
        const op: Op = { m: message, f: "", k, i, j: message.kind === "joinGroup" || message.kind === "leaveGroup", ok, no, n: 0, r: 0, p: 0, d: 0 };
        const refuse = (why: string, detail?: AckMessageError): void => no(operationError(op, why, detail));
        if (refused) return refuse(refused);
        if (signal?.aborted) return refuse(ABORTED, ABORT_DETAIL);
        let bytes: number;
        try {
          bytes = frameBytes((op.f = encode(message)));
        } catch (e) {
          return refuse(`Cannot encode: ${(e as Error)?.message ?? e}`);
        }
        if (bytes > MAX_FRAME_BYTES) return no(new RangeError(`A ${bytes}-byte frame is over the 1 MB limit.`));
        op.c = onAbort(signal, () => abort(op));
        if (k !== undefined) live.add(k);
        if (!(up && (front || !queue.length) && transmit(op))) {
          if (front) queue.unshift(op);
          else queue.push(op);
        }
      });
    },

    /**
     * The link is up: resend what awaits an ack (the service de-duplicates by ackId), then
     * drain the queue in order. Invocations already sent are not sent twice (nothing
     * de-duplicates them); they keep waiting for their response until their deadline.
     */
    resume(): void {
      up = true;
      cancelTimer();
      const again: Op[] = [];
      for (const op of pending.values()) {
        if (op.i) continue;
        pending.delete(op.k!);
        // A resend after a recovery is a retry like any other.
        if (op.p !== 1 || op.r++ < retry.maxRetries) again.push(op);
        else noAck(op);
      }
      rearm();
      queue = [...again, ...queue];
      let sent = 0;
      while (sent < queue.length && transmit(queue[sent])) sent++;
      queue.splice(0, sent);
    },

    /** The link is down; what is pending waits for `resume()`. */
    pause(): void {
      up = false;
      cancelTimer();
    },

    /** The connection is gone for good: only join/leave can safely go again on a new one. */
    sessionLost(): void {
      const requeue: Op[] = [];
      for (const op of pending.values()) {
        if (op.j) requeue.push(op);
        else fail(op, "Connection lost before the ack; it may have been delivered.");
      }
      pending.clear();
      queue = [...requeue, ...queue];
    },

    failAll(message: string): void {
      const all = [...pending.values(), ...queue];
      pending.clear();
      queue = [];
      cancelTimer();
      for (const op of all) fail(op, message);
    },

    onAck(ack: AckMessage): void {
      const op = pending.get(ack.ackId);
      if (!op || op.i) return;
      pending.delete(ack.ackId);
      const error = ack.error;
      const name = error?.name ?? "Unknown";
      // A Duplicate answering our own resend means the first send went through.
      if (ack.success || name === "Duplicate") return settle(op, { ackId: op.k as number, isDuplicated: !ack.success && op.n === 1 });
      if (TRANSIENT.includes(name) && op.r < retry.maxRetries) return wait(op, 2, retry.delay(++op.r));
      fail(op, `Refused: ${name} ${error?.message ?? ""}`, error);
    },

    onInvokeResponse(res: InvokeResponseMessage): void {
      const op = pending.get(res.invocationId);
      if (!op?.i) return;
      pending.delete(res.invocationId);
      if (res.success) settle(op, { invocationId: res.invocationId, dataType: res.dataType, data: res.data, isDuplicated: false });
      else fail(op, `Invocation failed: ${res.error?.name}`, res.error);
    },
  };
  return o;
}

/** The error an operation fails with: it carries the operation's ackId or invocationId. */
function operationError(op: Op, message: string, errorDetail?: AckMessageError): Error {
  return op.i
    ? new InvocationError(message, { invocationId: op.k as string, errorDetail })
    : new SendMessageError(message, { ackId: op.k as number | undefined, errorDetail });
}

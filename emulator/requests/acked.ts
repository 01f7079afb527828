/** ackId de-duplication (PROTOCOL §3): each ackId is executed at most once per connection. */
import type { AckError } from "../protocol/codec";
import type { Connection } from "../sessions/connection";
import { MAX_PENDING_UPSTREAM_EVENTS } from "../sessions/limits";
import type { Service } from "../sessions/service";
import { TOO_MANY_REQUESTS } from "./user-events";

/** What an operation ends with: an ack error, or undefined for success. */
export type Outcome = AckError | undefined;

const DUPLICATE: AckError = { name: "Duplicate", message: "The ackId has been used before: the request was already executed." };

/**
 * Runs an operation under ackId de-duplication: an ackId that already succeeded is answered
 * `Duplicate` and not executed again; a failed one may be retried. Without an ackId, a
 * rejected request closes the connection (1008), except when the event handler failed.
 */
export function runAcked(service: Service, conn: Connection, ackId: number | undefined, op: () => Outcome | Promise<Outcome>): void {
  const safeOp = (): Outcome | Promise<Outcome> => {
    try {
      const result = op();
      return result instanceof Promise ? result.catch(internalError) : result;
    } catch (err) {
      return internalError(err);
    }
  };
  const internalError = (err: unknown): Outcome => {
    service.log(`internal error on ${conn.id}: ${String(err)}`);
    return { name: "InternalServerError", message: "The service failed to execute the request." };
  };
  if (ackId === undefined) {
    const onOutcome = (outcome: Outcome): void => {
      if (outcome && outcome.name !== "InvocationFailed") service.closeConnection(conn, 1008, `${outcome.name}: ${outcome.message}`);
    };
    const result = safeOp();
    if (result instanceof Promise) void result.then(onOutcome);
    else onOutcome(result);
    return;
  }
  const prior = conn.ackIds.get(ackId);
  if (prior === true) {
    conn.sendAck(ackId, DUPLICATE);
    return;
  }
  if (prior) {
    // a repeat while the first is running waits for it; the waiters are bounded like the upstream queue
    if (conn.ackWaiters >= MAX_PENDING_UPSTREAM_EVENTS) {
      conn.sendAck(ackId, { name: TOO_MANY_REQUESTS, message: "Too many repeats of ackIds still in progress; send again later." });
      return;
    }
    conn.ackWaiters++;
    void prior.then(() => {
      conn.ackWaiters--;
      runAcked(service, conn, ackId, op);
    });
    return;
  }
  const finish = (outcome: Outcome): boolean => {
    if (outcome) conn.ackIds.delete(ackId);
    else conn.rememberAckId(ackId);
    conn.sendAck(ackId, outcome);
    return outcome === undefined;
  };
  const result = safeOp();
  if (result instanceof Promise) conn.ackIds.set(ackId, result.then(finish));
  else finish(result);
}

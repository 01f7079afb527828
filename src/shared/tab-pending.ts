// A tab's operations on a shared connection, from the call to the holder's answer: each gets
// an id on the channel, its ackId a wire ackId of its own (tab-ops.ts), and waits for its
// `result`; a new holder (or the holder again, after a bfcache restore) is handed every one
// still unanswered, with the same ids, so the service's de-duplication makes it happen once.
import type { WebPubSubResult } from "../types/events.js";
import type { WebPubSubMessage } from "../types/messages.js";
import type { AbortSignalLike } from "../types/options.js";
import { onAbort } from "./deps.js";
import { localError, PendingOps, remoteError, TabIds, tabOpFor, WireAckIds, type PendingOp } from "./tab-ops.js";
import type { WireMessage } from "./wire.js";

export class TabPending {
  readonly #pending = new PendingOps();
  readonly ids = new TabIds(this.#pending);
  readonly #wireAckIds: WireAckIds;
  readonly #from: string;
  readonly #post: (m: WireMessage, rethrow?: boolean) => void;
  /** The groups this tab is in: a join or leave changes them once the holder confirms it. */
  readonly #joined: Set<string>;
  #counter = 0;

  constructor(from: string, random: () => number, post: (m: WireMessage, rethrow?: boolean) => void, joined: Set<string>) {
    this.#from = from;
    this.#wireAckIds = new WireAckIds(random);
    this.#post = post;
    this.#joined = joined;
  }

  /** Passes `message` to the holder; `refusal` (the client is stopped) fails it at once. */
  submit<T extends WebPubSubResult>(message: WebPubSubMessage, signal: AbortSignalLike | undefined, refusal: string | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const m = message as WebPubSubMessage & Record<string, unknown>;
      const tabAckId = typeof m.ackId === "number" ? m.ackId : undefined;
      const tabInvocationId = m.kind === "invoke" ? (m.invocationId as string) : undefined;
      const fail = (text: string): void => reject(localError(text, tabAckId, tabInvocationId));
      if (refusal) return fail(refusal);
      if (signal?.aborted) return fail("The operation was aborted.");
      const wireAck = tabAckId === undefined ? undefined : this.#wireAckIds.for(tabAckId);
      const op = tabOpFor(message, wireAck, `${this.#from}.${tabInvocationId}`);
      if (!op) return fail(`A shared connection cannot send "${m.kind}" messages.`);
      const id = ++this.#counter;
      let off = (): void => {}; // the abort listener, removed once the operation settles
      const pending: PendingOp = {
        op,
        tabAckId,
        tabInvocationId,
        resolve: (v) => (off(), (resolve as PendingOp["resolve"])(v)),
        reject: (e) => (off(), reject(e)),
      };
      this.#pending.set(id, pending);
      try {
        this.#post({ t: "op", from: this.#from, id, op }, true);
      } catch (error) {
        this.#pending.delete(id);
        return fail(`The message cannot be passed to the shared connection: ${(error as Error)?.message ?? error}`);
      }
      off = onAbort(signal, () => {
        if (!this.#pending.delete(id)) return;
        this.#post({ t: "abort", from: this.#from, id });
        fail("The operation was aborted.");
      });
    });
  }

  /** Hands every unanswered operation to the holder again (same ids, same ackIds). */
  resend(): void {
    for (const [id, p] of this.#pending) this.#post({ t: "op", from: this.#from, id, op: p.op });
  }

  failAll(text: string): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(localError(text, p.tabAckId, p.tabInvocationId));
  }

  settle(id: number, m: Extract<WireMessage, { t: "result" }>): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    const op = p.op;
    if (m.ok) {
      if (op.kind === "joinGroup") this.#joined.add(op.group);
      if (op.kind === "leaveGroup") this.#joined.delete(op.group);
      if (op.kind === "invoke") p.resolve({ invocationId: p.tabInvocationId!, isDuplicated: false, dataType: m.dataType, data: m.data });
      else p.resolve(p.tabAckId === undefined ? { isDuplicated: m.isDuplicated } : { ackId: p.tabAckId, isDuplicated: m.isDuplicated });
      return;
    }
    p.reject(remoteError(m.error, p));
  }
}

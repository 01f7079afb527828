// Which of a tab's client options travel to the SharedWorker, whose engine holds the shared
// connection: the ones that shape the connection and can be cloned (flags, numbers, retry
// options). The first tab's options build the worker's engine; later tabs' are not used.
// The same pick runs on both sides: in the tab, and in the worker on what the port brought.
import type { WebPubSubClientOptions, WebPubSubRetryOptions } from "../types/options.js";
import { isObj, type Obj } from "./wire-streams.js";

export type SharedOptions = Pick<
  WebPubSubClientOptions,
  | "autoReconnect"
  | "autoRejoinGroups"
  | "autoRestoreGroups"
  | "keepAliveIntervalInMs"
  | "keepAliveTimeoutInMs"
  | "ackTimeoutInMs"
  | "messageRetryOptions"
  | "reconnectRetryOptions"
>;

const FLAGS = ["autoReconnect", "autoRejoinGroups", "autoRestoreGroups"] as const;
const NUMBERS = ["keepAliveIntervalInMs", "keepAliveTimeoutInMs", "ackTimeoutInMs"] as const;
const RETRIES = ["messageRetryOptions", "reconnectRetryOptions"] as const;
const RETRY_NUMBERS = ["maxRetries", "retryDelayInMs", "maxRetryDelayInMs"] as const;

function retry(x: unknown): WebPubSubRetryOptions | undefined {
  if (!isObj(x)) return undefined;
  const r: Obj = {};
  for (const k of RETRY_NUMBERS) if (typeof x[k] === "number") r[k] = x[k];
  if (typeof x.mode === "string" && x.mode.length <= 32) r.mode = x.mode;
  return r as WebPubSubRetryOptions;
}

/** The shareable options of `x` (anything else, and any value of the wrong type, is left out). */
export function shareableOptions(x: unknown): SharedOptions {
  const out: Obj = {};
  if (!isObj(x)) return out;
  try {
    for (const k of FLAGS) if (typeof x[k] === "boolean") out[k] = x[k];
    for (const k of NUMBERS) if (typeof x[k] === "number") out[k] = x[k];
    for (const k of RETRIES) {
      const r = retry(x[k]);
      if (r) out[k] = r;
    }
  } catch {
    return {}; // a getter that throws: none of it
  }
  return out as SharedOptions;
}

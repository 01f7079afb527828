// What the shared-connection chunk uses from the main bundle. The chunk imports none of it:
// every such import would make the main bundle a second file with an export list, on every
// page, for a feature most apps never load. `sharedEngine()` (index.ts) is handed these by
// the facade and `provide`s them before any other code of the chunk runs; the modules of
// the chunk import them from here. Each binding is also its type, as with the real import.
import type mittFn from "mitt";
import type { AbortError as AbortErrorClass } from "../errors/abort-error.js";
import type { ConnectionError as ConnectionErrorClass } from "../errors/connection-error.js";
import type { InvocationError as InvocationErrorClass } from "../errors/invocation-error.js";
import type { SendMessageError as SendMessageErrorClass } from "../errors/send-message-error.js";
import type { emitSafely as emitSafelyFn } from "../core/emit.js";
import type { onAbort as onAbortFn } from "../utils/on-abort.js";
import type { recoveryUrl as recoveryUrlFn, withoutSessionParams as withoutSessionParamsFn } from "../utils/url.js";

/** Positional (a tuple, not an object): the list is written in the main bundle, where every byte counts. */
export type SharedDeps = [
  AbortError: typeof AbortErrorClass,
  ConnectionError: typeof ConnectionErrorClass,
  InvocationError: typeof InvocationErrorClass,
  SendMessageError: typeof SendMessageErrorClass,
  mitt: typeof mittFn,
  emitSafely: typeof emitSafelyFn,
  onAbort: typeof onAbortFn,
  recoveryUrl: typeof recoveryUrlFn,
  withoutSessionParams: typeof withoutSessionParamsFn,
];

export let AbortError: typeof AbortErrorClass;
export type AbortError = AbortErrorClass;
export let ConnectionError: typeof ConnectionErrorClass;
export type ConnectionError = ConnectionErrorClass;
export let InvocationError: typeof InvocationErrorClass;
export type InvocationError = InvocationErrorClass;
export let SendMessageError: typeof SendMessageErrorClass;
export type SendMessageError = SendMessageErrorClass;
export let mitt: typeof mittFn;
export let emitSafely: typeof emitSafelyFn;
export let onAbort: typeof onAbortFn;
export let recoveryUrl: typeof recoveryUrlFn;
export let withoutSessionParams: typeof withoutSessionParamsFn;

/** Binds the above; called by `sharedEngine()` (and by tests that use the chunk's modules directly). */
export function provide(deps: SharedDeps): void {
  [AbortError, ConnectionError, InvocationError, SendMessageError, mitt, emitSafely, onAbort, recoveryUrl, withoutSessionParams] = deps;
}

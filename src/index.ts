export { WebPubSubClient } from "./client.js";
export { WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol } from "./protocol/json-protocol.js";
export { SendMessageError, type SendMessageErrorOptions } from "./errors/send-message-error.js";
export { InvocationError, type InvocationErrorOptions } from "./errors/invocation-error.js";
export { ConnectionError } from "./errors/connection-error.js";
export { AbortError } from "./errors/abort-error.js";
export type * from "./types/messages.js";
export type * from "./types/options.js";
export type * from "./types/events.js";

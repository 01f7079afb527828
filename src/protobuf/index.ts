// Entry `webpubsub-client/protobuf`: the protobuf subprotocols (PROTOCOL.md §11).
// Placeholder until the codec lands; the factories exist so the entry can be wired.
import type { WebPubSubClientProtocol } from "../types/messages.js";

function notYet(): never {
  throw new Error("the protobuf subprotocols are not implemented yet");
}

/** `protobuf.webpubsub.azure.v1`. */
export const WebPubSubProtobufProtocol = (): WebPubSubClientProtocol => notYet();

/** `protobuf.reliable.webpubsub.azure.v1`. */
export const WebPubSubProtobufReliableProtocol = (): WebPubSubClientProtocol => notYet();

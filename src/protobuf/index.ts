// Entry `webpubsub-client/protobuf`: the protobuf subprotocols (PROTOCOL.md §11), with a
// hand-written codec for their fixed schema (no protobuf runtime). Pass one as the
// client's `protocol` option. Content of dataType "protobuf" is a serialized
// `google.protobuf.Any` (`encodeAny` / `decodeAny` build and read one).
import type { WebPubSubClientProtocol } from "../types/messages.js";
import { readDownstream } from "./downstream.js";
import { writeUpstream } from "./upstream.js";

export { decodeAny, encodeAny, type ProtobufAny } from "./any.js";
export { ProtobufFrameError } from "./wire.js";

const create = (name: string, reliable: boolean): WebPubSubClientProtocol => ({
  name,
  isReliableSubProtocol: reliable,
  parseMessages: (input) => readDownstream(input, reliable),
  writeMessage: writeUpstream,
});

/** `protobuf.webpubsub.azure.v1`: no sequence ids, no recovery. */
export const WebPubSubProtobufProtocol = (): WebPubSubClientProtocol => create("protobuf.webpubsub.azure.v1", false);

/** `protobuf.reliable.webpubsub.azure.v1`: sequence ids, sequenceAck and recovery. */
export const WebPubSubProtobufReliableProtocol = (): WebPubSubClientProtocol =>
  create("protobuf.reliable.webpubsub.azure.v1", true);

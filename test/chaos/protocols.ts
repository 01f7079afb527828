/**
 * The reliable subprotocols the chaos scenarios can run on, by name. Each entry builds the
 * protocol object for our client and for the official one. To run the scenarios on another
 * subprotocol, add an entry here (e.g. "protobuf-reliable" once both the client and the
 * emulator speak it); everything else takes the name as a parameter.
 */
import { WebPubSubJsonReliableProtocol as OfficialJsonReliable } from "@azure/web-pubsub-client";
import { WebPubSubJsonReliableProtocol } from "../../src/index.js";
import { WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index.js"; // [protobuf]

export const CHAOS_PROTOCOLS = {
  "json-reliable": {
    ours: () => WebPubSubJsonReliableProtocol(),
    official: () => OfficialJsonReliable(),
  },
  // [protobuf] the official client has no protobuf subprotocol: run it with the "ours" client only
  "protobuf-reliable": {
    ours: () => WebPubSubProtobufReliableProtocol(),
    official: (): never => {
      throw new Error("@azure/web-pubsub-client has no protobuf subprotocol; use --client ours");
    },
  },
};

export type ChaosProtocol = keyof typeof CHAOS_PROTOCOLS;

export function isChaosProtocol(name: string): name is ChaosProtocol {
  return Object.prototype.hasOwnProperty.call(CHAOS_PROTOCOLS, name);
}

/** The codec each kind of connection uses. */
import type { Codec } from "./codec";
import { jsonCodec, reliableJsonCodec } from "./json-codec";
import { protobufCodec, reliableProtobufCodec } from "./protobuf-codec";
import { rawCodec } from "./raw-codec";
import type { ProtocolKind } from "./subprotocols";

export function codecFor(kind: ProtocolKind): Codec {
  switch (kind) {
    case "json":
      return jsonCodec;
    case "json.reliable":
      return reliableJsonCodec;
    case "protobuf":
      return protobufCodec;
    case "protobuf.reliable":
      return reliableProtobufCodec;
    case "simple":
      return rawCodec;
  }
}

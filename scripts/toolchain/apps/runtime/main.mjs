// Node, Bun and Deno: the package by its name, with import and with require, plus the
// protobuf entry. argv: two client access URLs.
import { createRequire } from "node:module";
import { WebPubSubClient } from "webpubsub-client";
import * as protobuf from "webpubsub-client/protobuf";
import roundTrip from "../roundtrip.cjs";

const [esmUrl, cjsUrl] = process.argv.slice(2);
const require = createRequire(import.meta.url);
if (typeof protobuf.WebPubSubProtobufProtocol !== "function") throw new Error("webpubsub-client/protobuf has no WebPubSubProtobufProtocol");
console.log(`build ${import.meta.resolve("webpubsub-client").replace(/^.*\/node_modules\/webpubsub-client\//, "")}`);
console.log(await roundTrip(WebPubSubClient, esmUrl, "import"));
const cjs = require("webpubsub-client");
console.log(await roundTrip(cjs.WebPubSubClient, cjsUrl, "require"));

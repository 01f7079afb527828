// Jest requires the package (CommonJS) under the environment's export conditions, then
// does the round trip from inside the test. env: WPS_URL, EXPECT_BUILD.
const { WebPubSubClient } = require("webpubsub-client");
const protobuf = require("webpubsub-client/protobuf");
const roundTrip = require("../roundtrip.cjs");

test("the package loads with the environment's conditions", () => {
  expect(require.resolve("webpubsub-client").replace(/\\/g, "/")).toMatch(new RegExp(`${process.env.EXPECT_BUILD}$`));
  expect(typeof protobuf.WebPubSubProtobufProtocol).toBe("function");
});

test("a client connects, joins, sends and receives the echo", async () => {
  await expect(roundTrip(WebPubSubClient, process.env.WPS_URL, "jest")).resolves.toMatch(/round trip ok/);
});

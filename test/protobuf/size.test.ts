// The protobuf entry's cost to an app that uses it: at most 2.5 KB min+gz on top of the
// client (esbuild, browser build, minified, gzip -9; the same measure as bench/protobuf-size.mjs).
import { expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module with no types
import { protobufEntrySize } from "../../bench/protobuf-size.mjs";

it("adds at most 2560 bytes min+gz to an app that imports the client and a protobuf protocol", async () => {
  const s = (await protobufEntrySize()) as { base: { gzip: number }; added: { gzip: number } };
  expect(s.base.gzip).toBeGreaterThan(1000); // the measure bundles the client
  expect(s.added.gzip).toBeGreaterThan(0); // and the protocol
  expect(s.added.gzip).toBeLessThanOrEqual(2560);
});

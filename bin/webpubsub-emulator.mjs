#!/usr/bin/env node
// Starts the local Web PubSub service. Built by `npm run build` into dist/emulator/cli.mjs.
import { main } from "../dist/emulator/cli.mjs";

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`webpubsub-emulator: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});

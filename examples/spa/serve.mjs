// Builds the SPA and serves it with the chat example's app server (same /negotiate).
//   node examples/spa/serve.mjs [port]
import { fileURLToPath } from "node:url";
import { startChat } from "../chat/server.mjs";
import { buildSpa } from "./build.mjs";

await buildSpa();
const chat = await startChat({
  port: Number(process.argv[2] ?? process.env.PORT ?? 8081),
  staticRoots: [fileURLToPath(new URL("./public/", import.meta.url))],
  log: (line) => console.log(line),
});
console.log(`SPA chat: open ${chat.url}`);
const stop = async () => {
  await chat.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

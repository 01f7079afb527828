// `npm start`: the local Web PubSub service plus the chat example, until Ctrl-C.
//   PORT=8080 (default; a free port is picked if it is taken), HOST=127.0.0.1,
//   WebPubSubConnectionString=... to use a real Azure Web PubSub resource instead of the local one.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = (f) => fileURLToPath(new URL(`../dist/${f}`, import.meta.url));
const missing = ["webpubsub-client.umd.min.js", "index.mjs", "emulator/index.mjs"].filter((f) => !existsSync(dist(f)));
if (missing.length) {
  console.error(`dist/ is not built (missing ${missing.join(", ")}). Run \`npm run build\` (npm install does it too), then \`npm start\`.`);
  process.exit(1);
}

const { startChat } = await import("./chat/server.mjs");
const host = process.env.HOST || "127.0.0.1";
const wanted = Number(process.env.PORT || 8080);
const log = (line) => console.log(`  ${new Date().toLocaleTimeString()}  ${line}`);

let chat;
try {
  chat = await startChat({ port: wanted, host, log });
} catch (err) {
  if (err?.code !== "EADDRINUSE") throw err;
  console.log(`port ${wanted} is in use; picking a free one (set PORT to choose)`);
  chat = await startChat({ port: 0, host, log });
}

// Handlers first: the test (and a quick Ctrl-C) may signal as soon as the banner is out.
let stopping = false;
async function shutdown(signal) {
  if (stopping) {
    console.log("forced exit");
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: shutting down…`);
  await chat.close();
  console.log("stopped.");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

const where = chat.emulator
  ? `local Web PubSub service at ${chat.emulator.endpoint}\n  connection string: ${chat.connectionString}`
  : `Azure Web PubSub (${/endpoint=([^;]+)/i.exec(chat.connectionString)?.[1] ?? "from WebPubSubConnectionString"})`;
console.log(`
Web PubSub chat is running.

  Open  ${chat.url}  in two browser windows and chat.

  service: ${where}
  hub: ${chat.hub}, group: room
  command-line client: node examples/node/chat.mjs ${chat.url}negotiate --user carol

Press Ctrl-C to stop.
`);

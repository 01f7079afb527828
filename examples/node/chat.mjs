#!/usr/bin/env node
// A command-line chat client: joins a group, prints what arrives, sends each line you type.
//
//   node examples/node/chat.mjs http://127.0.0.1:8080/negotiate --user carol
//   node examples/node/chat.mjs "wss://<name>.webpubsub.azure.com/client/hubs/chat?access_token=..."
//
// The first argument is either the app server's negotiate URL (http/https: we GET it with
// ?user=NAME and it answers { url }) or a client access URL (ws/wss) used as is.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { WebPubSubClient } from "webpubsub-client";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: "string", short: "u", default: process.env.USER || "node" },
    group: { type: "string", short: "g", default: "room" },
    help: { type: "boolean", short: "h" },
  },
});
const target = positionals[0];
if (values.help || !target) {
  console.error("usage: node examples/node/chat.mjs <negotiate-url | client-access-url> [--user NAME] [--group room]");
  process.exit(values.help ? 0 : 2);
}
const { user, group } = values;

/** Called for every brand-new connection, so each one gets a fresh token. */
async function getClientAccessUrl() {
  if (/^wss?:/i.test(target)) return target;
  const url = new URL(target);
  url.searchParams.set("user", user);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`negotiate: ${res.status} ${await res.text()}`);
  return (await res.json()).url;
}

const client = new WebPubSubClient({ getClientAccessUrl });
const interactive = Boolean(process.stdin.isTTY);
let rl; // created once we are in the group
const print = (line) => {
  // Keep what the user is typing intact while a message arrives.
  if (interactive && rl) {
    process.stdout.write("\r\x1b[K" + line + "\n");
    rl.prompt(true);
  } else {
    console.log(line);
  }
};

client.on("connected", ({ connectionId, userId }) => print(`* connected as ${userId ?? "anonymous"} (${connectionId})`));
client.on("recovering", () => print("* connection lost, recovering…"));
client.on("recovered", () => print("* recovered"));
client.on("disconnected", ({ message }) => {
  if (client.state !== "stopping" && client.state !== "stopped") print(`* disconnected${message ? `: ${message.message ?? message}` : ""}`);
});
client.on("group-message", ({ message }) => {
  const data = message.data;
  const from = message.fromUserId ?? "someone";
  if (message.dataType === "json" && data && typeof data === "object") {
    if (data.kind === "chat") print(`${from}: ${data.text}`);
    else if (data.kind === "join") print(`* ${from} joined`);
    else print(`${from}: ${JSON.stringify(data)}`);
  } else if (data instanceof ArrayBuffer) {
    print(`${from}: <${data.byteLength} bytes>`);
  } else {
    print(`${from}: ${data}`);
  }
});
client.on("server-message", ({ message }) => print(`[server] ${typeof message.data === "string" ? message.data : JSON.stringify(message.data)}`));

try {
  await client.start();
  await client.joinGroup(group);
} catch (err) {
  console.error(`could not connect: ${err.message}`);
  await client.stop();
  process.exit(1);
}
await client.sendToGroup(group, { kind: "join" }, "json", { noEcho: true }).catch(() => {});
print(`* in #${group} as ${user} — type a line and press Enter; Ctrl-D or Ctrl-C to quit`);
// Piped input works too: each line is sent, and the end of the input quits.
rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
rl.setPrompt("> ");
if (interactive) rl.prompt();

// Lines are sent in order; each waits for the service's ack (and for the connection, if it is recovering).
let sending = Promise.resolve();
rl.on("line", (line) => {
  const text = line.trim();
  if (text) {
    sending = sending.then(() =>
      client.sendToGroup(group, { kind: "chat", text }, "json", { noEcho: true }).catch((err) => print(`! not sent: ${err.message}`)),
    );
  }
  if (interactive) rl.prompt();
});

let quitting = false;
async function quit() {
  if (quitting) return;
  quitting = true;
  await sending;
  await client.stop();
  rl?.close();
  process.exit(0);
}
rl.on("close", quit);
process.once("SIGINT", quit);
process.once("SIGTERM", quit);

// The chat example's app server: static files, the client SDK's UMD build, and
// GET /negotiate?user=NAME, which hands the browser a client access URL the way a real
// app does — the access key stays on the server, the browser only gets a short-lived token.
//
//   node examples/chat/server.mjs              # local service started in-process
//   WebPubSubConnectionString="Endpoint=https://<name>.webpubsub.azure.com;AccessKey=...;Version=1.0;" \
//     node examples/chat/server.mjs            # the real Azure service
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

export const HUB = "chat";
export const ROOM = "room";
const PUBLIC = fileURLToPath(new URL("./public/", import.meta.url));
// The package's own export of its browser build (what `npm install webpubsub-client` gives an app).
const UMD = createRequire(import.meta.url).resolve("webpubsub-client/dist/webpubsub-client.umd.min.js");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** Finds `pathname` in the first static root that has it. */
async function findStatic(roots, pathname) {
  if (pathname === "/webpubsub-client.umd.min.js") return UMD;
  const rel = pathname.endsWith("/") ? pathname + "index.html" : pathname;
  for (const root of roots) {
    const file = normalize(join(root, rel));
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined; // no ../ escapes
    try {
      if ((await stat(file)).isFile()) return file;
    } catch {
      // not in this root
    }
  }
  return undefined;
}

/**
 * Starts the app server (and, without a connection string, a local Web PubSub service).
 * @param {{ port?: number, host?: string, connectionString?: string, hub?: string,
 *           staticRoots?: string[], log?: (line: string) => void }} [options]
 */
export async function startChat({
  port = 8080,
  host = "127.0.0.1",
  connectionString = process.env.WebPubSubConnectionString,
  hub = HUB,
  staticRoots = [PUBLIC],
  log = () => {},
} = {}) {
  let emulator;
  if (!connectionString) {
    // No Azure resource given: run the local service in this process.
    const { startEmulator } = await import("webpubsub-client/emulator");
    emulator = await startEmulator({ port: 0, host });
    connectionString = emulator.connectionString;
    emulator.events?.on?.("connect", (c) => log(`+ ${c.userId ?? "anonymous"} connected (${c.connectionId})`));
    emulator.events?.on?.("disconnect", (c) => log(`- ${c.userId ?? "anonymous"} left (${c.connectionId})`));
  }
  // The Azure SDK refuses plain-http endpoints unless told; only the local service uses one.
  const service = new WebPubSubServiceClient(connectionString, hub, {
    allowInsecureConnection: /endpoint=http:\/\//i.test(connectionString),
  });
  const roots = staticRoots.map((r) => resolve(r));

  async function negotiate(url, res) {
    const user = (url.searchParams.get("user") ?? "").trim();
    if (!user || user.length > 32) {
      res.writeHead(400, { "content-type": "text/plain" }).end("?user= must be 1 to 32 characters");
      return;
    }
    // Per-user roles for one group: this user may join/leave and send to "room" only.
    const token = await service.getClientAccessToken({
      userId: user,
      roles: [`webpubsub.joinLeaveGroup.${ROOM}`, `webpubsub.sendToGroup.${ROOM}`],
      expirationTimeInMinutes: 60,
    });
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify({ url: token.url }));
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      if (url.pathname === "/negotiate") return await negotiate(url, res);
      const file = await findStatic(roots, decodeURIComponent(url.pathname));
      if (!file) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      res.end(req.method === "HEAD" ? undefined : await readFile(file));
    } catch (err) {
      log(`! ${req.method} ${req.url}: ${err?.message ?? err}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error");
    }
  });

  try {
    await new Promise((ok, fail) => {
      server.once("error", fail);
      server.listen(port, host, ok);
    });
  } catch (err) {
    await emulator?.close();
    throw err;
  }
  const actualPort = server.address().port;
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;

  let closing;
  return {
    url: `http://${shownHost}:${actualPort}/`,
    port: actualPort,
    hub,
    connectionString,
    /** The in-process local service, when no connection string was given. */
    emulator,
    close() {
      closing ??= (async () => {
        server.closeAllConnections();
        await new Promise((ok) => server.close(() => ok()));
        await emulator?.close();
      })();
      return closing;
    },
  };
}

// `node examples/chat/server.mjs [port]`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  const chat = await startChat({ port, log: (line) => console.log(line) });
  console.log(`chat example: open ${chat.url}`);
  const stop = async () => {
    await chat.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

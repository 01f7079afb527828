// A tiny static file server for the browser tests: node:http on 127.0.0.1, a free port,
// directories mounted at URL prefixes, plus in-memory files (e.g. a bundle built in a test).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

export const contentType = (path) => TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";

/**
 * @param {{ mounts?: Record<string, string>, files?: Record<string, string | Uint8Array> }} [options]
 *   mounts: URL prefix ("/", "/pages/") → directory; files: exact URL path → content.
 */
export async function startStaticServer({ mounts = {}, files = {} } = {}) {
  const memory = new Map(Object.entries(files));
  // Longest prefix first, so "/pages/" wins over "/".
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix.endsWith("/") ? prefix : prefix + "/", resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);

  async function lookup(pathname) {
    if (memory.has(pathname)) return { body: memory.get(pathname), type: contentType(pathname) };
    for (const [prefix, dir] of table) {
      if (!pathname.startsWith(prefix)) continue;
      let rel = pathname.slice(prefix.length);
      if (rel === "" || rel.endsWith("/")) rel += "index.html";
      const file = normalize(join(dir, rel));
      if (file !== dir && !file.startsWith(dir + sep)) return undefined; // no ../ escapes
      try {
        if (!(await stat(file)).isFile()) continue;
        return { body: await readFile(file), type: contentType(file) };
      } catch {
        // not in this mount; try the next one
      }
    }
    return undefined;
  }

  const server = createServer(async (req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const hit = await lookup(pathname);
    if (!hit) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${pathname}`);
      return;
    }
    res.writeHead(200, { "content-type": hit.type, "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : hit.body);
  });

  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    /** Adds or replaces an in-memory file. */
    setFile(path, body) {
      memory.set(path, body);
    },
    close() {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

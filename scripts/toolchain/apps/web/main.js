// A web page's app, bundled by Vite, webpack or esbuild: the round trip against the URL in
// the page's query string; the result lands in window.__result. Then a client with
// `shareConnection` connects once and window.__shared says who held it, as the client logs
// it: "worker" (the bundler emitted the module SharedWorker) or "locks" (the Web Locks path).
import { WebPubSubClient } from "webpubsub-client";
import roundTrip from "../roundtrip.cjs";

const url = new URLSearchParams(location.search).get("url");

async function sharedPath() {
  let path = "none";
  const info = (m) => (path = /SharedWorker holds/.test(m) ? "worker" : /Web Locks path/.test(m) ? "locks" : path);
  const client = new WebPubSubClient(url, { shareConnection: "matrix", logger: { debug() {}, info, warn() {}, error() {} } });
  await client.start();
  await client.stop();
  return path;
}

roundTrip(WebPubSubClient, url, "web").then(
  async (ok) => {
    window.__shared = await sharedPath().catch((err) => `error: ${err?.message ?? err}`);
    window.__result = ok;
  },
  (err) => (window.__result = `error: ${err?.message ?? err}`),
);

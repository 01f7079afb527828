// A web page's app, bundled by Vite, webpack or esbuild: the round trip against the URL in
// the page's query string; the result lands in window.__result.
import { WebPubSubClient } from "webpubsub-client";
import roundTrip from "../roundtrip.cjs";

const url = new URLSearchParams(location.search).get("url");
roundTrip(WebPubSubClient, url, "web").then(
  (ok) => (window.__result = ok),
  (err) => (window.__result = `error: ${err?.message ?? err}`),
);

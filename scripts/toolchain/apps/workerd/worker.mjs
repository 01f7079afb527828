// A Cloudflare worker: bundled with only the `workerd`/`worker` conditions, run in workerd
// (miniflare); the round trip happens inside a fetch.
import { WebPubSubClient } from "webpubsub-client";
import roundTrip from "../roundtrip.cjs";

export default {
  async fetch(_request, env) {
    try {
      return new Response(await roundTrip(WebPubSubClient, env.WPS_URL, "workerd"));
    } catch (err) {
      return new Response(String(err?.stack ?? err), { status: 500 });
    }
  },
};

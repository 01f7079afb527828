// One shape for the three clients under test, so every task runs the same code for each:
//   const c = await connect(url)  -> { connectionId, onServer(fn), onGroup(fn), send(group, data), join(group), stop() }
// `fn` gets the message's data. `send` resolves on the service's ack.
import { RawClient } from "./raw-client.mjs";

export const KINDS = ["ours", "official", "raw"];

async function sdkClient(WebPubSubClient, url) {
  const c = new WebPubSubClient(url);
  // Both SDKs emit "connected" once the service's connected frame arrived (the official
  // start() resolves at socket open, before the connection id is known).
  const connected = new Promise((resolve) => c.on("connected", (e) => resolve(e.connectionId)));
  await c.start();
  const connectionId = await connected;
  return {
    connectionId,
    onServer(fn) {
      c.on("server-message", (e) => fn(e.message.data));
    },
    onGroup(fn) {
      c.on("group-message", (e) => fn(e.message.data));
    },
    send: (group, data) => c.sendToGroup(group, data, "json"),
    join: (group) => c.joinGroup(group),
    stop() {
      const stopped = new Promise((resolve) => {
        c.on("stopped", resolve);
        setTimeout(resolve, 3000).unref();
      });
      void c.stop();
      return stopped;
    },
  };
}

async function rawClient(url) {
  const c = new RawClient(url);
  await c.start();
  return {
    connectionId: c.connectionId,
    onServer(fn) {
      c.onServer = fn;
    },
    onGroup(fn) {
      c.onGroup = fn;
    },
    send: (group, data) => c.sendToGroup(group, data),
    join: (group) => c.joinGroup(group),
    stop: () => c.stop(),
  };
}

/** Loads the client library for `kind` (once) and returns its connect(url). */
export async function loadClient(kind) {
  switch (kind) {
    case "ours": {
      const { WebPubSubClient } = await import("../dist/index.mjs");
      return (url) => sdkClient(WebPubSubClient, url);
    }
    case "official": {
      const { WebPubSubClient } = await import("@azure/web-pubsub-client");
      return (url) => sdkClient(WebPubSubClient, url);
    }
    case "raw":
      return rawClient;
    default:
      throw new Error(`unknown client kind ${kind}`);
  }
}

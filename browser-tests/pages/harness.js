// Test harness for pages that load the client with a <script> tag (global `WebPubSub`).
// Tests drive it with page.evaluate(); everything it records is plain JSON.
(function () {
  "use strict";
  /** Every client event in order, as { event, ...details }. */
  const events = [];
  /** Every server-message / group-message, with binary data as an array of bytes. */
  const messages = [];
  let client;

  const plain = (data) => (data instanceof ArrayBuffer ? { bytes: Array.from(new Uint8Array(data)) } : data);

  window.harness = {
    events,
    messages,
    get client() {
      return client;
    },
    /** What a well-behaved app does: stop the client when the page goes away (close code 1000). */
    stopOnPageHide() {
      addEventListener("pagehide", () => void client?.stop());
    },
    /** Creates a client for `url`, records its events, starts it; resolves with the connection id. */
    async connect(url, options) {
      client = new WebPubSub.WebPubSubClient(url, options);
      client.on("connected", (e) => events.push({ event: "connected", connectionId: e.connectionId, userId: e.userId }));
      client.on("disconnected", (e) => events.push({ event: "disconnected", connectionId: e.connectionId, code: e.code }));
      client.on("recovering", (e) => events.push({ event: "recovering", connectionId: e.connectionId, attempt: e.attempt }));
      client.on("recovered", (e) => events.push({ event: "recovered", connectionId: e.connectionId }));
      client.on("stopped", () => events.push({ event: "stopped" }));
      client.on("rejoin-group-failed", (e) => events.push({ event: "rejoin-group-failed", group: e.group }));
      client.on("server-message", ({ message: m }) =>
        messages.push({ kind: m.kind, dataType: m.dataType, data: plain(m.data), sequenceId: m.sequenceId }),
      );
      client.on("group-message", ({ message: m }) =>
        messages.push({ kind: m.kind, group: m.group, fromUserId: m.fromUserId, dataType: m.dataType, data: plain(m.data), sequenceId: m.sequenceId }),
      );
      await client.start();
      return client.connectionId;
    },
  };
})();

// Harness for the shareConnection browser tests. What a tab delivered is appended to
// sessionStorage at once (synchronously), so it survives a reload and the test can read
// everything the tab's app ever saw.
(function () {
  "use strict";
  const LOG = "test-log";
  const read = () => JSON.parse(sessionStorage.getItem(LOG) ?? "[]");
  const append = (entry) => {
    const log = read();
    log.push(entry);
    sessionStorage.setItem(LOG, JSON.stringify(log));
    window.dispatchEvent(new Event("test-log"));
  };
  let client;
  window.shared = {
    get client() {
      return client;
    },
    log: read,
    /** Resolves once the log has at least `n` message entries. */
    waitForMessages(n) {
      return new Promise((resolve) => {
        const check = () => {
          if (read().filter((e) => e[0] === "msg").length < n) return;
          window.removeEventListener("test-log", check);
          resolve();
        };
        window.addEventListener("test-log", check);
        check();
      });
    },
    /**
     * The app's own pagehide work, registered before the client's listener, keeping the page
     * busy for `ms`: what the worker relays meanwhile never reaches this page.
     */
    busyPageHide(ms) {
      window.addEventListener("pagehide", () => {
        const end = performance.now() + ms;
        while (performance.now() < end);
      });
    },
    async start(url, key, groups = []) {
      // What the client says about the path it took ("a SharedWorker holds ...", "... using the Web Locks path").
      const say = (level) => (m) => String(m).includes("shareConnection:") && append(["log", level, String(m)]);
      const logger = { debug() {}, info: say("info"), warn: say("warn"), error: say("error") };
      client = new WebPubSub.WebPubSubClient({ getClientAccessUrl: url }, { shareConnection: key, logger });
      for (const ev of ["connected", "disconnected", "recovering", "recovered", "stopped"]) {
        client.on(ev, (e) => append(["event", ev, e.connectionId]));
      }
      client.on("server-message", ({ message: m }) => append(["msg", "server", m.data]));
      client.on("group-message", ({ message: m }) => append(["msg", m.group, m.data]));
      await client.start();
      for (const g of groups) await client.joinGroup(g);
      return client.connectionId;
    },
  };
})();

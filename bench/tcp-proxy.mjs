// A TCP proxy for the resilience rows that can blackhole: `blackhole()` makes every link open
// at that moment silent in both directions (bytes read and dropped, nothing closed, FIN and
// RST not passed on), as a NAT that forgot the flow, a switched network or a sleeping laptop
// do. Links opened afterwards pass normally. `close()` destroys everything.
//
//   const proxy = await startTcpProxy(targetPort);   // listens on 127.0.0.1, port 0
//   proxy.port; proxy.blackhole(); proxy.links; await proxy.close();
import net from "node:net";

export async function startTcpProxy(targetPort, targetHost = "127.0.0.1") {
  const links = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    const link = { client, upstream, holed: false };
    links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pipe = (from, to) => {
      from.on("data", (chunk) => {
        if (!link.holed && !to.destroyed) to.write(chunk);
      });
      from.on("end", () => {
        if (!link.holed) to.end();
      });
      from.on("close", () => {
        if (link.holed) return; // the other side never hears of it; close() cleans up
        links.delete(link);
        to.destroy();
      });
      from.on("error", () => {});
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    /** Links passing bytes now. */
    get links() {
      return [...links].filter((l) => !l.holed).length;
    },
    /** Silences every link open now; returns how many. */
    blackhole() {
      let n = 0;
      for (const link of links) if (!link.holed) (link.holed = true), n++;
      return n;
    },
    close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

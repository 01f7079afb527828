// The round trip every target does with the installed package: connect, join a group,
// send a text message to it and receive the echo. CommonJS so that every runtime and
// bundler in the matrix (ESM or not) can load the same file.
module.exports = async function roundTrip(WebPubSubClient, url, label) {
  if (!url) throw new Error("no client access URL given");
  const client = new WebPubSubClient(url);
  const group = `matrix-${label}`;
  const payload = `ping from ${label}`;
  let timer;
  try {
    const echo = new Promise((resolve, reject) => {
      client.on("group-message", (e) => resolve(e.message.data));
      timer = setTimeout(() => reject(new Error("no echo within 20 s")), 20000);
    });
    await client.start();
    await client.joinGroup(group);
    await client.sendToGroup(group, payload, "text");
    const got = await echo;
    if (got !== payload) throw new Error(`echo was ${JSON.stringify(got)}, sent ${JSON.stringify(payload)}`);
    return `round trip ok (${label})`;
  } finally {
    clearTimeout(timer);
    await client.stop();
  }
};

// A CommonJS TypeScript consumer (require under node16): every entry by name, typed.
import client = require("webpubsub-client");
import protobuf = require("webpubsub-client/protobuf");
import emulator = require("webpubsub-client/emulator");

export async function main(): Promise<string> {
  const emu = await emulator.startEmulator({ port: 0 });
  const c = new client.WebPubSubClient(await emu.getClientAccessUrl("hub"), { protocol: protobuf.WebPubSubProtobufProtocol() });
  c.on("connected", (e) => void e.connectionId);
  await emu.close();
  return c.state;
}

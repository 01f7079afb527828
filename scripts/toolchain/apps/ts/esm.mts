// An ESM TypeScript consumer: every entry by name, typed.
import { WebPubSubClient, type OnGroupDataMessageArgs, type WebPubSubClientOptions } from "webpubsub-client";
import { WebPubSubProtobufReliableProtocol } from "webpubsub-client/protobuf";
import { startEmulator } from "webpubsub-client/emulator";

export async function main(): Promise<string> {
  const emu = await startEmulator({ port: 0 });
  const options: WebPubSubClientOptions = { protocol: WebPubSubProtobufReliableProtocol() };
  const client = new WebPubSubClient(await emu.getClientAccessUrl("hub"), options);
  client.on("group-message", (e: OnGroupDataMessageArgs) => void e.message.group);
  const id: string | undefined = client.connectionId;
  await emu.close();
  return id ?? "";
}

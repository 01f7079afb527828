// invokeEvent on protobuf is refused at once in every state, even while the client is still
// connecting (other operations then wait for the link, API.md "beyond" 2): the protocol has no
// invoke, so waiting would only delay the same failure.
import { describe, expect, it } from "vitest";
import { InvocationError, WebPubSubClient } from "../../src/index";
import { WebPubSubProtobufReliableProtocol } from "../../src/protobuf/index";
import { fakeRuntime, settle, useFakeTimersAndRejectionGuard } from "../helpers/fake-runtime";

useFakeTimersAndRejectionGuard();

describe("invokeEvent on protobuf", () => {
  it("rejects at once while connecting, with nothing sent; a join issued alongside waits for the link", async () => {
    const rt = fakeRuntime();
    const client = new WebPubSubClient("wss://h/client/hubs/hub?access_token=t", { protocol: WebPubSubProtobufReliableProtocol() }, rt);
    const started = client.start().catch((e: unknown) => e);
    await settle();
    expect(client.state).toBe("connecting");
    let settled = false;
    const join = client.joinGroup("g").finally(() => (settled = true));
    const err = await client.invokeEvent("calc", 1, "json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvocationError);
    expect(String((err as Error).message)).toMatch(/define no "invoke"/);
    expect(client.state).toBe("connecting");
    expect(rt.last().sent).toEqual([]);
    expect(settled).toBe(false);
    await client.stop();
    await expect(join).rejects.toThrow();
    await started;
  });
});

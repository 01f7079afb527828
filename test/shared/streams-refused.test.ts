// Group streams are not carried over a shared connection: a client with `shareConnection`
// refuses them clearly instead of binding them to an engine that never connects.
import { describe, expect, it } from "vitest";
import { WebPubSubClient } from "../../src/index.js";

describe("group streams with shareConnection", () => {
  const client = () => new WebPubSubClient("ws://127.0.0.1:1/client/hubs/h?access_token=t", { shareConnection: "k" });

  it("onGroupStream throws and openGroupStream rejects, saying why", async () => {
    const c = client();
    expect(() => c.onGroupStream(() => {})).toThrow(/not available on a shared connection/);
    await expect(c.openGroupStream("g")).rejects.toThrow(/not available on a shared connection/);
  });

  it("a client without the option still offers them", () => {
    const c = new WebPubSubClient("ws://127.0.0.1:1/client/hubs/h?access_token=t");
    const sub = c.onGroupStream(() => {});
    expect(sub.isActive).toBe(true);
    sub.close();
  });
});

// What the test pages put on `window`.
import type * as WebPubSubModule from "webpubsub-client";

declare global {
  interface Window {
    WebPubSub: typeof WebPubSubModule;
    harness: {
      events: Array<{ event: string; connectionId?: string; userId?: string; attempt?: number; code?: number; group?: string }>;
      messages: Array<{ kind: string; group?: string; fromUserId?: string; dataType: string; data: unknown; sequenceId?: number }>;
      readonly client: WebPubSubModule.WebPubSubClient;
      stopOnPageHide(): void;
      connect(url: string, options?: WebPubSubModule.WebPubSubClientOptions): Promise<string>;
    };
  }
}

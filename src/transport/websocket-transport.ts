import type { WebSocketLike, WebSocketLikeConstructor } from "../types/options.js";
import type { Transport, TransportHandlers } from "./transport.js";

const noop = (): void => {};

/** Adapts any standards WebSocket (browser, `ws`, React Native, Deno, Bun) to a Transport. */
export class WebSocketTransport implements Transport {
  readonly #ws: WebSocketLike;

  constructor(WebSocketCtor: WebSocketLikeConstructor, url: string, subprotocol: string, handlers: TransportHandlers) {
    const ws = (this.#ws = new WebSocketCtor(url, subprotocol));
    ws.binaryType = "arraybuffer";
    ws.onopen = () => handlers.onOpen();
    ws.onmessage = (event) => handlers.onMessage(event.data as string | ArrayBuffer);
    ws.onclose = (event) => {
      this.#detach();
      handlers.onClose(event.code, event.reason);
    };
    ws.onerror = noop; // a close event always follows
  }

  send(data: string | ArrayBuffer): void {
    this.#ws.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }

  abort(): void {
    const ws = this.#ws;
    this.#detach();
    try {
      if (ws.terminate) ws.terminate();
      else ws.close();
    } catch {
      // already closed
    }
  }

  #detach(): void {
    const ws = this.#ws;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = noop; // an error after abort must not surface as an unhandled event
  }
}

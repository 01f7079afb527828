import type { WebSocketLike, WebSocketLikeConstructor } from "../types/options.js";
import type { TransportFactory } from "./transport.js";

const noop = (): void => {};

function detach(ws: WebSocketLike): void {
  ws.onopen = ws.onmessage = ws.onclose = null;
  ws.onerror = noop; // an error after abort must not surface as an unhandled event
}

/** Adapts any standards WebSocket (browser, `ws`, React Native, Deno, Bun) to a Transport. */
export function webSocketTransport(WebSocketCtor: WebSocketLikeConstructor): TransportFactory {
  return (url, subprotocol, handlers) => {
    const ws = new WebSocketCtor(url, subprotocol);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => handlers.onOpen();
    ws.onmessage = (event) => handlers.onMessage(event.data as string | ArrayBuffer);
    ws.onclose = (event) => {
      detach(ws);
      handlers.onClose(event.code, event.reason);
    };
    ws.onerror = noop; // a close event always follows
    return {
      send: (data) => ws.send(data),
      close: (code, reason) => ws.close(code, reason),
      abort() {
        detach(ws);
        try {
          if (ws.terminate) ws.terminate();
          else ws.close();
        } catch {
          // already closed
        }
      },
    };
  };
}

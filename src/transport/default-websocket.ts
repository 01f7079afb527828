// Node build: the global WebSocket where the runtime has one, else `ws` via isomorphic-ws.
// The browser build swaps this file for default-websocket.browser.ts (see rollup.config.mjs).
import WS from "isomorphic-ws";
import type { WebSocketLikeConstructor } from "../types/options.js";

export function defaultWebSocket(): WebSocketLikeConstructor | undefined {
  return ((globalThis as { WebSocket?: WebSocketLikeConstructor }).WebSocket ??
    (WS as unknown as WebSocketLikeConstructor)) as WebSocketLikeConstructor | undefined;
}

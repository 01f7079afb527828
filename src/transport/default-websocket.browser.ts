// Browser, worker and React Native build: the runtime's own WebSocket, read when needed.
import type { WebSocketLikeConstructor } from "../types/options.js";

export function defaultWebSocket(): WebSocketLikeConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketLikeConstructor }).WebSocket;
}

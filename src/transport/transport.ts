/** What the core sees of a socket. */
export interface Transport {
  send(data: string | ArrayBuffer): void;
  /** Graceful close (code 1000 or 3000-4999). */
  close(code?: number, reason?: string): void;
  /** Drop at once; no further callbacks arrive. */
  abort(): void;
}

export interface TransportHandlers {
  onOpen(): void;
  onMessage(data: string | ArrayBuffer): void;
  onClose(code: number, reason: string): void;
}

/** Opens a socket to `url` asking for `subprotocol`. May throw for a malformed URL. */
export type TransportFactory = (url: string, subprotocol: string, handlers: TransportHandlers) => Transport;

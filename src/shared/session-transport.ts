// A transport wrapper for the engine that holds a shared connection. It lets an engine that
// believes it is opening a brand-new connection take over an existing session instead (after
// the previous holder went away, or after a reload): the socket goes to the recovery URL, and
// once the service has confirmed the session (its first frame on the new socket) the engine
// is handed a `connected` frame for the old connection id. It also remembers the session's
// reconnection token, and can drop the socket without ending the session (a handover).
import type { Transport, TransportFactory, TransportHandlers } from "../transport/transport.js";
import type { WebPubSubClientProtocol } from "../types/messages.js";
import { recoveryUrl, withoutSessionParams } from "./deps.js";
import type { SessionInfo } from "./wire.js";

/** The JSON subprotocols: the only ones whose `connected` frame we can write ourselves. */
export const RESUMABLE_PROTOCOLS: ReadonlySet<string> = new Set(["json.reliable.webpubsub.azure.v1"]);

/** Close code for a handover: not 1000, so the service keeps the session for the next holder. */
export const HANDOVER_CLOSE_CODE = 4001;

interface ConnectedFrame {
  connectionId: string;
  userId?: string;
  reconnectionToken?: string;
}

/** Reads a JSON `connected` system frame, cheaply skipping every other frame. */
export function readConnectedFrame(data: string | ArrayBuffer): ConnectedFrame | undefined {
  if (typeof data !== "string" || !data.includes('"connected"')) return undefined;
  try {
    const f = JSON.parse(data) as Record<string, unknown>;
    if (f?.type !== "system" || f.event !== "connected" || typeof f.connectionId !== "string") return undefined;
    return {
      connectionId: f.connectionId,
      userId: typeof f.userId === "string" ? f.userId : undefined,
      reconnectionToken: typeof f.reconnectionToken === "string" ? f.reconnectionToken : undefined,
    };
  } catch {
    return undefined;
  }
}

export class SessionTransport {
  /** The session as last confirmed by the service. */
  session?: SessionInfo;
  #resume?: SessionInfo;
  #handover = false;
  #frozen = false;
  #current?: Transport;
  readonly #inner: TransportFactory;
  readonly #protocol: WebPubSubClientProtocol;

  constructor(inner: TransportFactory, protocol: WebPubSubClientProtocol) {
    this.#inner = inner;
    this.#protocol = protocol;
  }

  /** The engine's next brand-new connection recovers `session` instead. */
  armResume(session: SessionInfo): void {
    this.#resume = session;
  }

  /**
   * Stops the engine's link where it is (page hide, handover): nothing more reaches the
   * engine or the service from this socket, so no message is acknowledged that the tabs
   * have not seen; the socket closes keeping the session.
   */
  freeze(): void {
    this.#handover = this.#frozen = true;
    const socket = this.#current;
    this.#current = undefined;
    try {
      socket?.close(HANDOVER_CLOSE_CODE, "handover");
    } catch {
      // already closed
    }
  }

  get canResume(): boolean {
    return RESUMABLE_PROTOCOLS.has(this.#protocol.name);
  }

  readonly factory: TransportFactory = (url, subprotocol, outer) => {
    if (this.#frozen) throw new Error("this shared connection was handed over");
    const handlers: TransportHandlers = {
      onOpen: () => outer.onOpen(),
      onMessage: (data) => {
        if (!this.#frozen) outer.onMessage(data);
      },
      onClose: (code, reason) => outer.onClose(code, reason),
    };
    const resume = this.#resume;
    this.#resume = undefined;
    const baseUrl = withoutSessionParams(url);
    const confirmed = (f: ConnectedFrame): void => {
      if (f.reconnectionToken) {
        this.session = { url: baseUrl, connectionId: f.connectionId, reconnectionToken: f.reconnectionToken, userId: f.userId };
      }
    };
    if (!resume) {
      let sniffing = true; // until this socket's `connected` frame (its first, in practice): not on every message
      const socket = this.#inner(url, subprotocol, {
        onOpen: () => handlers.onOpen(),
        onMessage: (data) => {
          const f = sniffing ? readConnectedFrame(data) : undefined;
          if (f) {
            sniffing = false;
            confirmed(f);
          }
          handlers.onMessage(data);
        },
        onClose: (code, reason) => handlers.onClose(code, reason),
      });
      return this.#closing(socket);
    }
    // Taking over: recover `resume`, and tell the engine it is connected only once the
    // service answered on the new socket (a refused recovery opens and closes with 1008).
    let confirmedYet = false;
    let sniffing = true;
    let socket: Transport | undefined = undefined;
    const wrapped: TransportHandlers = {
      onOpen: () => {
        try {
          socket?.send(this.#protocol.writeMessage({ kind: "ping" }) as string);
        } catch {
          // a close follows
        }
      },
      onMessage: (data) => {
        const f = sniffing ? readConnectedFrame(data) : undefined;
        if (f) {
          if (f.connectionId !== resume.connectionId) return; // not the session we asked for
          sniffing = false;
          confirmed(f);
        }
        if (!confirmedYet) {
          // A refused recovery says `disconnected`, then closes with 1008: not a confirmation.
          if (isDisconnectedFrame(data)) return handlers.onMessage(data);
          confirmedYet = true;
          sniffing = false; // a recovered socket's `connected` frame, if any, comes first
          if (!f) {
            this.session = resume;
            handlers.onMessage(connectedFrameText(resume));
          }
        }
        handlers.onMessage(data);
      },
      onClose: (code, reason) => handlers.onClose(code, reason),
    };
    socket = this.#inner(recoveryUrl(resume.url, resume.connectionId, resume.reconnectionToken), subprotocol, wrapped);
    return this.#closing(socket);
  };

  /** A socket whose close, once a handover was asked for, keeps the session. */
  #closing(socket: Transport): Transport {
    this.#current = socket;
    return {
      send: (data) => {
        if (!this.#frozen) socket.send(data);
      },
      close: (code, reason) => (this.#handover ? socket.close(HANDOVER_CLOSE_CODE, "handover") : socket.close(code, reason)),
      abort: () => socket.abort(),
    };
  }
}

function isDisconnectedFrame(data: string | ArrayBuffer): boolean {
  return typeof data === "string" && data.includes('"disconnected"') && data.includes('"system"');
}

function connectedFrameText(s: SessionInfo): string {
  return JSON.stringify({
    type: "system",
    event: "connected",
    connectionId: s.connectionId,
    userId: s.userId,
    reconnectionToken: s.reconnectionToken,
  });
}

// Frames from the service, in arrival order: proof of life for the keep-alive, the
// confirmation of a session, sequence de-duplication and acks, then routing to the
// outbox, the extensions and the application's listeners.
import type { WebPubSubClientEvents } from "../types/events.js";
import type { WebPubSubClientProtocol, WebPubSubMessage } from "../types/messages.js";
import type { Extensions } from "./extensions.js";
import type { KeepAlive } from "./keep-alive.js";
import type { Link } from "./link.js";
import type { Outbox } from "./outbox.js";
import type { SequenceAcker } from "./sequence-acker.js";
import type { Session } from "./session.js";

export interface InboundHost {
  readonly session: Session;
  readonly outbox: Outbox;
  readonly acker: SequenceAcker;
  readonly keepAlive: KeepAlive;
  readonly extensions: Extensions;
  readonly reliable: boolean;
  readonly protocol: WebPubSubClientProtocol;
  /** Whether `link` is still the engine's socket (a listener may have stopped it). */
  current(link: Link): boolean;
  /** The service confirmed the session on `link`. */
  confirmed(link: Link): void;
  emit<K extends keyof WebPubSubClientEvents>(type: K, event: WebPubSubClientEvents[K]): void;
  /** Tells the application's logger that a frame was dropped. */
  warn(message: string): void;
}

/** Every frame: the keep-alive's proof of life, then the session's confirmation, then routing. */
export function onFrame(h: InboundHost, link: Link, data: string | ArrayBuffer): void {
  h.keepAlive.seen();
  h.acker.received(typeof data === "string" ? data.length : data.byteLength);
  let parsed: WebPubSubMessage | WebPubSubMessage[] | null;
  try {
    parsed = h.protocol.parseMessages(data);
  } catch (error) {
    h.warn(`ignored a frame the protocol could not parse: ${error}`);
    return;
  }
  // The JSON protocols return one message (or null) per frame: no array is made for it.
  if (Array.isArray(parsed)) for (const m of parsed) { if (h.current(link)) onMessage(h, link, m); }
  else if (h.current(link)) onMessage(h, link, parsed);
}

function onMessage(h: InboundHost, link: Link, m: WebPubSubMessage | null): void {
  if (m === null || typeof m !== "object") return;
  const session = h.session;
  // Any frame but a farewell on a recovery socket proves the service kept the session.
  if (link.recover && !link.confirmed && m.kind !== "disconnected") h.confirmed(link);
  switch (m.kind) {
    case "groupData":
    case "serverData":
      if (h.reliable && m.sequenceId !== undefined && !h.acker.accept(m.sequenceId)) return;
      if (h.extensions.tell("onMessage", m)) return;
      // A stream's fragments belong to the streams (issue 11), never to group-message, even
      // in a client that reads no streams (they are dropped there).
      if (m.kind !== "groupData") h.emit("server-message", { message: m });
      else if (!m.stream) h.emit("group-message", { message: m });
      return;
    case "ack":
      h.outbox.onAck(m);
      break;
    case "invokeResponse":
      h.outbox.onInvokeResponse(m);
      break;
    case "connected":
      if (!link.confirmed && !link.recover) {
        session.connectionId = m.connectionId;
        session.userId = m.userId;
        session.token = m.reconnectionToken;
        h.acker.reset();
        h.confirmed(link);
      } else if (m.connectionId === session.connectionId && m.reconnectionToken) {
        session.token = m.reconnectionToken; // a recovered link may hand out a fresh token
      }
      break;
    case "disconnected":
      session.farewell = m;
      link.farewell = m.message;
  }
  h.extensions.tell("onMessage", m); // control frames: the engine's own handling comes first
}

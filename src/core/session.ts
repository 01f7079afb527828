// Who the client is to the service: what a recovery needs.
import type { DisconnectedMessage } from "../types/messages.js";

export interface Session {
  connectionId?: string;
  userId?: string;
  /** The reconnection token (reliable subprotocols only). */
  token?: string;
  /** The client access URL the connection was made with. */
  url?: string;
  /** The service's last `disconnected` frame, reported with the loss of this session. */
  farewell?: DisconnectedMessage;
}

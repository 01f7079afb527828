// Who the client is to the service: what a recovery needs (snapshot.ts hands it to another engine).
import type { DisconnectedMessage } from "../types/messages.js";
import { recoveryUrl } from "../utils/url.js";

export class Session {
  declare connectionId?: string;
  declare userId?: string;
  /** The reconnection token (reliable subprotocols only). */
  declare token?: string;
  /** The client access URL the connection was made with. */
  declare url?: string;
  /** The service's last `disconnected` frame, reported with the loss of this session. */
  declare farewell?: DisconnectedMessage;

  forget(): void {
    this.connectionId = this.token = this.farewell = undefined;
  }

  recoveryUrl(): string {
    return recoveryUrl(this.url!, this.connectionId!, this.token!);
  }
}

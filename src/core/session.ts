// Who the client is to the service: what a recovery, a snapshot and a resume need.
import type { DisconnectedMessage, WebPubSubMessage } from "../types/messages.js";
import { recoveryUrl, withoutToken } from "../utils/url.js";
import type { SessionSnapshot } from "./extension.js";

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

  restore(s: SessionSnapshot): void {
    this.connectionId = s.connectionId;
    this.userId = s.userId;
    this.token = s.reconnectionToken;
    this.url = s.url;
  }

  /** Never holds an access token. */
  snapshot(
    protocol: string,
    lastSequenceId: number,
    groups: string[],
    ackCounter: number,
    pending: WebPubSubMessage[],
    takenAt: number,
  ): SessionSnapshot | undefined {
    const { connectionId, token, url } = this;
    if (!connectionId || !token || !url) return undefined;
    return { url: withoutToken(url), protocol, connectionId, reconnectionToken: token, userId: this.userId, lastSequenceId, groups, usedAckIds: [ackCounter], pending, takenAt };
  }
}

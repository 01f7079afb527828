import type { StreamDataError } from "../types/messages.js";

/**
 * A group stream failed. `name` is the reason: the service's (`IdleTimeout`, `Forbidden`,
 * `BadRequest`, `InternalServerError`, `StreamNotFound`, `UserError`, `Cancelled`) or the
 * client's (`SessionLost`, `NotConnected`, `StreamClosed`, `SlowReader`, `InvalidSequenceId`).
 * For a writer, `acknowledged` is the last `streamSequenceId` the service confirmed:
 * fragments 1..acknowledged reached the group, later ones did not.
 */
export class GroupStreamError extends Error implements StreamDataError {
  declare userErrorCode?: string;
  declare streamId: string;
  declare acknowledged?: number;

  constructor(streamId: string, detail: StreamDataError, acknowledged?: number) {
    super(detail.message ?? detail.name);
    this.streamId = streamId;
    this.acknowledged = acknowledged;
    this.name = detail.name;
    this.userErrorCode = detail.userErrorCode;
  }
}

import type { StreamDataError } from "../types/messages.js";

/**
 * A group stream failed. `name` is the reason the service (or the client) gave:
 * `IdleTimeout`, `Forbidden`, `BadRequest`, `InternalServerError`, `StreamNotFound`,
 * `UserError`, `Cancelled`, `SlowReader`, `SessionLost`, `ClientClosed`... `acknowledged`
 * (writers only) is the largest `streamSequenceId` the service confirmed published: fragments
 * 1..acknowledged reached the group, later ones did not.
 */
export class GroupStreamError extends Error implements StreamDataError {
  streamId: string;
  userErrorCode?: string;
  acknowledged?: number;

  constructor(streamId: string, detail: StreamDataError, acknowledged?: number) {
    super(detail.message ?? detail.name);
    this.name = detail.name;
    this.streamId = streamId;
    this.userErrorCode = detail.userErrorCode;
    this.acknowledged = acknowledged;
  }
}

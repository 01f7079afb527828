// Group streams (preview): the option and result shapes of @azure/web-pubsub-client 1.1.0,
// same names, same defaults. PROTOCOL.md §10 has the wire side.
import type { JSONTypes, StreamDataError, StreamEndError, StreamInfo, WebPubSubDataType } from "./messages.js";
import type { AbortSignalLike } from "./options.js";

export interface OpenGroupStreamOptions {
  /** The stream's id; a random one when absent. */
  streamId?: string;
  /** The sender's own connection does not receive the stream. Default false. */
  noEcho?: boolean;
  /** How long the service keeps a silent stream open (it defaults to 300000 ms). */
  idleTimeoutInMs?: number;
}

export interface GroupStreamWriteOptions {
  /** Aborts a write that is still waiting for room in the window (nothing was sent). */
  abortSignal?: AbortSignalLike;
}

export interface EndGroupStreamOptions {
  abortSignal?: AbortSignalLike;
}

export interface AbortGroupStreamOptions {
  abortSignal?: AbortSignalLike;
}

/** Sends one logical message to a group as ordered fragments. */
export interface GroupStreamWriter {
  readonly streamId: string;
  /**
   * Queues one fragment and sends it. Resolves once it is sent; waits while
   * `GROUP_STREAM_WINDOW` (64) fragments are unacknowledged by the service.
   */
  write(content: JSONTypes | ArrayBuffer | ArrayBufferView, dataType: WebPubSubDataType, options?: GroupStreamWriteOptions): Promise<void>;
  /** Ends the stream; resolves once the service has published every fragment and closed it. */
  end(options?: EndGroupStreamOptions): Promise<void>;
  /** Ends the stream with an error; subscribers see `UserError`. */
  abort(error: StreamEndError, options?: AbortGroupStreamOptions): Promise<void>;
  /** Called once if the stream fails (service close with an error, session lost). */
  onError(listener: (error: StreamDataError) => void): () => void;
}

/** One fragment received from a group stream. */
export interface GroupStreamMessage {
  readonly groupName: string;
  readonly fromUserId: string;
  readonly sequenceId?: number;
  readonly dataType: WebPubSubDataType;
  readonly data: JSONTypes | ArrayBuffer;
  readonly stream: StreamInfo;
}

/** One inbound stream: iterate it for its fragments; it ends or throws as the stream does. */
export interface GroupStream extends AsyncIterable<GroupStreamMessage> {
  readonly groupName: string;
  readonly streamId: string;
  /** Aborts when the stream completes, fails, times out, or its subscription is closed. */
  readonly abortSignal: AbortSignal;
}

export interface GroupStreamSubscription {
  close(): Promise<void>;
  readonly isActive: boolean;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface OnGroupStreamOptions {
  /** Per stream: no fragment for this long ends it with `IdleTimeout`. Default 300000. */
  idleTimeoutInMs?: number;
  /** Per stream: a stream first seen mid-way is ignored until its end. Default false. */
  handleFromStart?: boolean;
  /** Only streams of these groups; all groups when absent. */
  groupNames?: string[];
}

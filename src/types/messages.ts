/** Payload types accepted and delivered by the client. */
export type WebPubSubDataType = "binary" | "json" | "text" | "protobuf";

/** Any JSON value. */
export type JSONTypes = string | number | boolean | object;

/** Error detail carried by a failed ack or invocation. */
export interface AckMessageError {
  name: string;
  message: string;
}

export type DownstreamMessageType =
  | "ack"
  | "connected"
  | "disconnected"
  | "groupData"
  | "serverData"
  | "pong"
  | "invokeResponse"
  | "streamAck"
  | "streamNack"
  | "streamClosed";

export type UpstreamMessageType =
  | "joinGroup"
  | "leaveGroup"
  | "sendToGroup"
  | "sendEvent"
  | "sequenceAck"
  | "ping"
  | "invoke"
  | "cancelInvocation"
  | "streamData"
  | "streamEnd";

export interface WebPubSubMessageBase {
  kind: DownstreamMessageType | UpstreamMessageType;
}

export interface AckMessage extends WebPubSubMessageBase {
  readonly kind: "ack";
  ackId: number;
  success: boolean;
  error?: AckMessageError;
}

export interface ConnectedMessage extends WebPubSubMessageBase {
  readonly kind: "connected";
  connectionId: string;
  userId: string;
  reconnectionToken: string;
}

export interface DisconnectedMessage extends WebPubSubMessageBase {
  readonly kind: "disconnected";
  message: string;
}

export interface GroupDataMessage extends WebPubSubMessageBase {
  readonly kind: "groupData";
  group: string;
  fromUserId: string;
  dataType: WebPubSubDataType;
  data: JSONTypes | ArrayBuffer;
  sequenceId?: number;
  /** Set when this message is a fragment of a group stream (PROTOCOL.md §10). */
  stream?: StreamInfo;
}

/** Stream metadata on a downstream group message. */
export interface StreamInfo {
  streamId: string;
  streamSequenceId: number;
  endOfStream?: boolean;
  error?: StreamDataError;
}

/** Why a stream ended badly, as the service reports it to subscribers. */
export interface StreamDataError {
  name: string;
  message?: string;
  userErrorCode?: string;
}

/** What a publisher may say when it aborts its stream; the service picks the error name. */
export interface StreamEndError {
  message?: string;
  userErrorCode?: string;
}

/** The `stream` object of a stream-start `sendToGroup`. */
export interface StartStreamOptions {
  streamId: string;
  idleTimeoutInMs?: number;
}

export interface ServerDataMessage extends WebPubSubMessageBase {
  readonly kind: "serverData";
  dataType: WebPubSubDataType;
  data: JSONTypes | ArrayBuffer;
  sequenceId?: number;
}

export interface PongMessage extends WebPubSubMessageBase {
  readonly kind: "pong";
}

export interface InvokeResponseMessage extends WebPubSubMessageBase {
  readonly kind: "invokeResponse";
  invocationId: string;
  success: boolean;
  dataType?: WebPubSubDataType;
  data?: JSONTypes | ArrayBuffer;
  error?: AckMessageError;
}

export interface JoinGroupMessage extends WebPubSubMessageBase {
  readonly kind: "joinGroup";
  group: string;
  ackId?: number;
}

export interface LeaveGroupMessage extends WebPubSubMessageBase {
  readonly kind: "leaveGroup";
  group: string;
  ackId?: number;
}

/** Binary content may be any view over bytes; it is delivered as an `ArrayBuffer`. */
export type MessageContent = JSONTypes | ArrayBuffer | ArrayBufferView;

export interface SendToGroupMessage extends WebPubSubMessageBase {
  readonly kind: "sendToGroup";
  group: string;
  /** Absent only on a stream start, which carries `stream` instead. */
  dataType?: WebPubSubDataType;
  data?: MessageContent;
  ackId?: number;
  noEcho: boolean;
  /** Present on the frame that starts a group stream. */
  stream?: StartStreamOptions;
}

export interface SendEventMessage extends WebPubSubMessageBase {
  readonly kind: "sendEvent";
  event: string;
  dataType: WebPubSubDataType;
  data: MessageContent;
  ackId?: number;
}

export interface SequenceAckMessage extends WebPubSubMessageBase {
  readonly kind: "sequenceAck";
  sequenceId: number;
}

export interface PingMessage extends WebPubSubMessageBase {
  readonly kind: "ping";
}

export interface InvokeMessage extends WebPubSubMessageBase {
  readonly kind: "invoke";
  invocationId: string;
  event: string;
  dataType: WebPubSubDataType;
  data: MessageContent;
}

export interface CancelInvocationMessage extends WebPubSubMessageBase {
  readonly kind: "cancelInvocation";
  invocationId: string;
}

/** A stream fragment; with neither `dataType` nor `data` it is a keep-alive. */
export interface StreamDataMessage extends WebPubSubMessageBase {
  readonly kind: "streamData";
  streamId: string;
  streamSequenceId?: number;
  dataType?: WebPubSubDataType;
  data?: MessageContent;
}

export interface StreamEndMessage extends WebPubSubMessageBase {
  readonly kind: "streamEnd";
  streamId: string;
  error?: StreamEndError;
}

export interface StreamAckMessage extends WebPubSubMessageBase {
  readonly kind: "streamAck";
  streamId: string;
  expectedSequenceId: number;
}

export interface StreamNackMessage extends WebPubSubMessageBase {
  readonly kind: "streamNack";
  streamId: string;
  name: string;
  message?: string;
  expectedSequenceId: number;
}

export interface StreamClosedMessage extends WebPubSubMessageBase {
  readonly kind: "streamClosed";
  streamId: string;
  error?: { name: string; message?: string };
}

export type WebPubSubMessage =
  | GroupDataMessage
  | ServerDataMessage
  | JoinGroupMessage
  | LeaveGroupMessage
  | ConnectedMessage
  | DisconnectedMessage
  | SendToGroupMessage
  | SendEventMessage
  | SequenceAckMessage
  | AckMessage
  | PingMessage
  | PongMessage
  | InvokeMessage
  | InvokeResponseMessage
  | CancelInvocationMessage
  | StreamDataMessage
  | StreamEndMessage
  | StreamAckMessage
  | StreamNackMessage
  | StreamClosedMessage;

/** What a subprotocol codec does. Custom protocols may return one message, an array, or null. */
export interface WebPubSubClientProtocol {
  readonly name: string;
  readonly isReliableSubProtocol: boolean;
  parseMessages(input: string | ArrayBuffer | Uint8Array): WebPubSubMessage | WebPubSubMessage[] | null;
  writeMessage(message: WebPubSubMessage): string | ArrayBuffer;
}

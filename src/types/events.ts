import type {
  AckMessageError,
  DisconnectedMessage,
  GroupDataMessage,
  JSONTypes,
  ServerDataMessage,
  WebPubSubDataType,
} from "./messages.js";

export type WebPubSubClientState = "stopped" | "connecting" | "connected" | "recovering" | "reconnecting" | "stopping";

export interface WebPubSubResult {
  ackId?: number;
  isDuplicated: boolean;
}

export interface InvokeEventResult {
  invocationId: string;
  dataType?: WebPubSubDataType;
  data?: JSONTypes | ArrayBuffer;
}

export interface OnConnectedArgs {
  connectionId: string;
  userId?: string;
}

export interface OnDisconnectedArgs {
  connectionId?: string;
  message?: DisconnectedMessage;
  /** Beyond: the WebSocket close code, when a socket closed. */
  code?: number;
  /** Beyond: the WebSocket close reason. */
  reason?: string;
}

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface OnStoppedArgs {}

export interface OnServerDataMessageArgs {
  message: ServerDataMessage;
}

export interface OnGroupDataMessageArgs {
  message: GroupDataMessage;
}

export interface OnRejoinGroupFailedArgs {
  group: string;
  error: Error;
}

/** The 1.0 name of `OnRejoinGroupFailedArgs`. */
export type OnRestoreGroupFailedArgs = OnRejoinGroupFailedArgs;

export interface OnRecoveringArgs {
  connectionId: string;
  attempt: number;
}

export interface OnRecoveredArgs {
  connectionId: string;
}

// A type alias (not an interface) so it satisfies mitt's Record constraint.
export type WebPubSubClientEvents = {
  connected: OnConnectedArgs;
  disconnected: OnDisconnectedArgs;
  stopped: OnStoppedArgs;
  "server-message": OnServerDataMessageArgs;
  "group-message": OnGroupDataMessageArgs;
  "rejoin-group-failed": OnRejoinGroupFailedArgs;
  recovering: OnRecoveringArgs;
  recovered: OnRecoveredArgs;
};

export type WebPubSubClientEventName = keyof WebPubSubClientEvents;

export type { AckMessageError };

// The messages tabs and the holder of a shared connection exchange over the channel
// (BroadcastChannel or a SharedWorker's ports), and the one check every received message
// passes. Any same-origin script can post on the channel, so nothing is trusted: a message
// that is not exactly one of these shapes is dropped (`parseWire` returns undefined).
import type { StreamInfo, WebPubSubDataType } from "../types/messages.js";
import {
  DATA_TYPES,
  isObj,
  streamFrame,
  streamIds,
  streamInfo,
  streamReply,
  uint,
  WIRE_MAX_TEXT,
  wireContent as content,
  wireNote as note,
  wireText as text,
  type Obj,
  type StreamFrame,
  type StreamReply,
} from "./wire-streams.js";

/** Bounds on what the channel accepts (a hostile peer cannot make us hold more). */
export const WIRE_LIMITS = {
  /** Longest id, group, event name, invocation id, URL or error text accepted. */
  maxText: WIRE_MAX_TEXT,
  /** Most groups one tab may announce in a `hello`. */
  maxGroups: 1000,
} as const;

export type TabOp =
  | { kind: "joinGroup" | "leaveGroup"; group: string; ackId: number }
  | { kind: "sendToGroup"; group: string; dataType: WebPubSubDataType; data: unknown; noEcho: boolean; ackId?: number }
  | { kind: "sendEvent"; event: string; dataType: WebPubSubDataType; data: unknown; ackId?: number }
  | { kind: "invoke"; event: string; dataType: WebPubSubDataType; data: unknown; invocationId: string };

export interface ErrorInfo {
  message: string;
  /** Which error class the tab rebuilds. */
  type: "send" | "invoke" | "abort" | "other";
  detail?: { name: string; message: string };
}

export type DataMessage =
  | { kind: "groupData"; group: string; fromUserId?: string; dataType: WebPubSubDataType; data: unknown; sequenceId?: number; stream?: StreamInfo }
  | { kind: "serverData"; dataType: WebPubSubDataType; data: unknown; sequenceId?: number };

/** What the holder knows about the session, so whoever holds next can recover it. */
export interface SessionInfo {
  /** The client access URL without its access token. */
  url: string;
  connectionId: string;
  reconnectionToken: string;
  userId?: string;
}

export type LinkState = "connecting" | "connected" | "recovering" | "reconnecting";

export type ClientEventName = "connected" | "disconnected" | "recovering" | "recovered" | "rejoin-group-failed";

export type WireMessage =
  // tab → holder
  | { t: "hello"; from: string; groups: string[]; streams?: string[] }
  | { t: "op"; from: string; id: number; op: TabOp }
  | { t: "abort"; from: string; id: number }
  | { t: "bye"; from: string }
  | { t: "raw"; from: string; m: StreamFrame }
  // holder → tabs
  | { t: "who"; holder: string }
  | { t: "state"; holder: string; state: LinkState; connectionId?: string; userId?: string; session?: SessionInfo }
  | { t: "data"; holder: string; m: DataMessage }
  | { t: "event"; holder: string; name: ClientEventName; e: Record<string, unknown> }
  | { t: "result"; holder: string; to: string; id: number; ok: true; isDuplicated: boolean; dataType?: WebPubSubDataType; data?: unknown }
  | { t: "result"; holder: string; to: string; id: number; ok: false; error: ErrorInfo }
  | { t: "ended"; holder: string }
  // group streams (wire-streams.ts)
  | { t: "sframe"; holder: string; to: string; m: StreamReply }
  | { t: "link"; holder: string; up: boolean; recovered?: boolean; connectionId?: string }
  | { t: "lost"; holder: string; message: string }
  | { t: "owned"; holder: string; ids: string[] };

const STATES = new Set(["connecting", "connected", "recovering", "reconnecting"]);
const EVENTS = new Set(["connected", "disconnected", "recovering", "recovered", "rejoin-group-failed"]);
const ERROR_TYPES = new Set(["send", "invoke", "abort", "other"]);

const optText = (x: unknown): boolean => x === undefined || text(x);
const optUint = (x: unknown): boolean => x === undefined || uint(x);

function op(x: unknown): x is TabOp {
  if (!isObj(x)) return false;
  switch (x.kind) {
    case "joinGroup":
    case "leaveGroup":
      return text(x.group) && uint(x.ackId);
    case "sendToGroup":
      return text(x.group) && content(x.dataType, x.data) && typeof x.noEcho === "boolean" && optUint(x.ackId);
    case "sendEvent":
      return text(x.event) && content(x.dataType, x.data) && optUint(x.ackId);
    case "invoke":
      return text(x.event) && content(x.dataType, x.data) && text(x.invocationId);
    default:
      return false;
  }
}

function dataMessage(x: unknown): x is DataMessage {
  if (!isObj(x) || !optUint(x.sequenceId)) return false;
  // A stream's last fragment may carry no content (its dataType may still be set).
  const last = x.kind === "groupData" && (x.stream as { endOfStream?: unknown } | undefined)?.endOfStream === true;
  const empty = last && x.data === undefined && (x.dataType === undefined || DATA_TYPES.has(x.dataType as string));
  if (!empty && !content(x.dataType, x.data)) return false;
  if (x.kind === "serverData") return x.stream === undefined;
  return x.kind === "groupData" && text(x.group) && optText(x.fromUserId) && (x.stream === undefined || streamInfo(x.stream));
}

/** A session as the channel, the reload store and a worker's `init` carry it. */
export function validSession(x: unknown): x is SessionInfo {
  return isObj(x) && text(x.url) && text(x.connectionId) && text(x.reconnectionToken) && optText(x.userId);
}

function errorInfo(x: unknown): x is ErrorInfo {
  if (!isObj(x) || !note(x.message)) return false;
  if (typeof x.type !== "string" || !ERROR_TYPES.has(x.type)) return false;
  return x.detail === undefined || (isObj(x.detail) && typeof x.detail.name === "string" && typeof x.detail.message === "string");
}

function groups(x: unknown): x is string[] {
  return Array.isArray(x) && x.length <= WIRE_LIMITS.maxGroups && x.every(text);
}

function valid(m: Obj): boolean {
  switch (m.t) {
    case "hello":
      return text(m.from) && groups(m.groups) && streamIds(m.streams);
    case "op":
      return text(m.from) && uint(m.id) && op(m.op);
    case "abort":
      return text(m.from) && uint(m.id);
    case "bye":
      return text(m.from);
    case "link":
      return text(m.holder) && typeof m.up === "boolean" && (m.recovered === undefined || typeof m.recovered === "boolean") && optText(m.connectionId);
    case "owned":
      return text(m.holder) && Array.isArray(m.ids) && streamIds(m.ids);
    case "lost":
      return text(m.holder) && note(m.message);
    case "who":
    case "ended":
      return text(m.holder);
    case "state":
      return (
        text(m.holder) &&
        typeof m.state === "string" &&
        STATES.has(m.state) &&
        optText(m.connectionId) &&
        optText(m.userId) &&
        (m.session === undefined || validSession(m.session))
      );
    case "data":
      return text(m.holder) && dataMessage(m.m);
    case "event":
      return text(m.holder) && typeof m.name === "string" && EVENTS.has(m.name) && isObj(m.e);
    case "result":
      if (!text(m.holder) || !text(m.to) || !uint(m.id)) return false;
      if (m.ok === true) return typeof m.isDuplicated === "boolean" && (m.dataType === undefined || content(m.dataType, m.data));
      return m.ok === false && errorInfo(m.error);
    default:
      return false;
  }
}

const mapped = (m: WireMessage & { m?: unknown }): WireMessage | undefined => (m.m ? m : undefined);

/** The message, if it is one of ours and well formed; undefined for anything else. */
export function parseWire(x: unknown): WireMessage | undefined {
  try {
    if (!isObj(x)) return undefined;
    // Stream frames and replies are passed on as the checked copies (wire-streams.ts).
    if (x.t === "raw") return text(x.from) ? mapped({ t: "raw", from: x.from, m: streamFrame(x.m)! }) : undefined;
    if (x.t === "sframe") return text(x.holder) && text(x.to) ? mapped({ t: "sframe", holder: x.holder, to: x.to, m: streamReply(x.m)! }) : undefined;
    return valid(x) ? (x as unknown as WireMessage) : undefined;
  } catch {
    return undefined; // a getter that throws, a proxy: not ours
  }
}

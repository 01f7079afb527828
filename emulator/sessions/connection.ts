/** A logical client connection: identity, groups, permissions, ackIds, reliable session, outbound path. */
import { setMaxListeners } from "node:events";
import { PermissionSet } from "../auth/permissions";
import type { AckError, Codec, DownstreamFrame, MessageSource, WireData } from "../protocol/codec";
import { codecFor } from "../protocol/codecs";
import type { Payload } from "../protocol/payload";
import type { ProtocolKind } from "../protocol/subprotocols";
import type { ClientSocket } from "./client-socket";
import { MAX_GROUPS_PER_CONNECTION, MAX_OUTBOUND_BYTES, MAX_OUTBOUND_FRAMES, MAX_PENDING_UPSTREAM_BYTES, MAX_PENDING_UPSTREAM_EVENTS, MAX_REMEMBERED_ACK_IDS } from "./limits";
import { MAX_UNACKED_BYTES, MAX_UNACKED_MESSAGES, ReliableSession } from "./reliable-session";

export { MAX_REMEMBERED_ACK_IDS } from "./limits";

export type { MessageSource } from "../protocol/codec";
export type { ProtocolKind } from "../protocol/subprotocols";

export interface ConnectionInit {
  id: string;
  hub: string;
  userId?: string;
  roles: string[];
  kind: ProtocolKind;
  subprotocol?: string;
  states?: Record<string, unknown>;
  /** Called when the client cannot keep up (buffer bound exceeded). */
  onSlow: (connection: Connection) => void;
}

export class Connection {
  readonly id: string;
  readonly hub: string;
  readonly userId: string | undefined;
  readonly kind: ProtocolKind;
  readonly codec: Codec;
  readonly subprotocol: string | undefined;
  readonly roles: string[];
  readonly permissions: PermissionSet;
  readonly groups = new Set<string>();
  readonly session: ReliableSession | undefined;
  /** ackId → true once executed successfully, or the promise of an execution in progress. */
  readonly ackIds = new Map<number, true | Promise<boolean>>();
  readonly invocations = new Map<string, AbortController>();
  states: Record<string, unknown>;
  socket: ClientSocket | undefined;
  ended = false;
  paused = false;
  acksToLose = 0;
  /** Repeats of in-progress ackIds waiting for the first execution (bounded). */
  ackWaiters = 0;
  private held: WireData[] = [];
  private heldBytes = 0;
  private upstreamChain: Promise<void> = Promise.resolve();
  private pendingUpstream = 0;
  private pendingUpstreamBytes = 0;
  /** Aborted when the connection ends: cancels its user events still waiting or in flight. */
  readonly lifetime = new AbortController();
  private readonly onSlow: (connection: Connection) => void;

  constructor(init: ConnectionInit) {
    this.id = init.id;
    this.hub = init.hub;
    this.userId = init.userId;
    this.kind = init.kind;
    this.codec = codecFor(init.kind);
    this.subprotocol = init.subprotocol;
    this.roles = init.roles;
    this.permissions = new PermissionSet(init.roles);
    this.states = init.states ?? {};
    this.session = this.codec.reliable ? new ReliableSession() : undefined;
    this.onSlow = init.onSlow;
    setMaxListeners(0, this.lifetime.signal); // its user events in flight (at most the upstream bound) listen to it
  }

  get framed(): boolean {
    return this.codec.framed;
  }

  get reliable(): boolean {
    return this.session !== undefined;
  }

  /** Sends a data message; on reliable subprotocols it is numbered and kept until acknowledged. */
  deliver(source: MessageSource, payload: Payload): void {
    if (this.ended) return;
    if (this.session) {
      const codec = this.codec;
      const frame = this.session.push((sequenceId) => codec.encode({ type: "message", sequenceId, source, payload }) ?? Buffer.alloc(0));
      if (frame === undefined) {
        this.onSlow(this);
        return;
      }
      this.write(frame);
      return;
    }
    this.send({ type: "message", source, payload });
  }

  /** Encodes a frame with the connection's codec and writes it (frames the subprotocol does not carry are skipped). */
  send(frame: DownstreamFrame): void {
    const data = this.codec.encode(frame);
    if (data !== undefined) this.write(data);
  }

  /** Records that `ackId` was executed, forgetting the oldest past {@link MAX_REMEMBERED_ACK_IDS}. */
  rememberAckId(ackId: number): void {
    this.ackIds.delete(ackId);
    this.ackIds.set(ackId, true);
    if (this.ackIds.size > MAX_REMEMBERED_ACK_IDS) {
      for (const [id, state] of this.ackIds) {
        if (state === true) {
          this.ackIds.delete(id);
          break;
        }
      }
    }
  }

  sendAck(ackId: number, error?: AckError): void {
    if (this.acksToLose > 0) {
      this.acksToLose--;
      return;
    }
    this.send(error ? { type: "ack", ackId, error } : { type: "ack", ackId });
  }

  /** Writes to the current socket, or holds the frame while paused. Without a socket it is dropped. */
  write(data: WireData): void {
    const socket = this.socket;
    if (!socket || this.ended) return;
    if (this.paused) {
      this.held.push(data);
      this.heldBytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
      if (!this.reliable && (this.held.length > MAX_UNACKED_MESSAGES || this.heldBytes > MAX_UNACKED_BYTES)) this.onSlow(this);
      return;
    }
    socket.send(data);
    this.checkOutbound();
  }

  /** Closes the connection as a slow client once its socket holds more than the outgoing bounds. */
  checkOutbound(): void {
    const socket = this.socket;
    if (!socket || this.ended) return;
    if (socket.bufferedAmount > MAX_OUTBOUND_BYTES || socket.queuedFrames > MAX_OUTBOUND_FRAMES) this.onSlow(this);
  }

  /** Whether the connection may be in `group` (it is already, or is below the groups bound). */
  canJoin(group: string): boolean {
    return this.groups.has(group) || this.groups.size < MAX_GROUPS_PER_CONNECTION;
  }

  /** Why a join was refused by {@link canJoin}, as a client (ack) or a REST caller reads it. */
  groupsFullMessage(): string {
    return `The connection is already in ${this.groups.size} groups, the most one connection can be in.`;
  }

  pause(): void {
    this.paused = true;
  }

  /** Writes everything held, in order. */
  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const data of held) this.write(data);
  }

  attach(socket: ClientSocket): void {
    this.socket = socket;
  }

  /** Forgets the socket and what was held for it (a reliable session resends on recovery). */
  detach(): void {
    this.socket = undefined;
    this.held = [];
    this.heldBytes = 0;
  }

  /** Runs upstream calls of this connection one at a time, in order (system events: never refused). */
  enqueueUpstream(task: () => Promise<void>): Promise<void> {
    const next = this.upstreamChain.then(task, task);
    this.upstreamChain = next.catch(() => undefined);
    return this.upstreamChain;
  }

  /**
   * Queues a user event of `bytes` behind the others, or returns false when the connection
   * already has {@link MAX_PENDING_UPSTREAM_EVENTS} events or {@link MAX_PENDING_UPSTREAM_BYTES}
   * waiting for the event handler.
   */
  tryEnqueueUpstream(bytes: number, task: () => Promise<void>): boolean {
    if (this.pendingUpstream >= MAX_PENDING_UPSTREAM_EVENTS) return false;
    if (this.pendingUpstream > 0 && this.pendingUpstreamBytes + bytes > MAX_PENDING_UPSTREAM_BYTES) return false;
    this.pendingUpstream++;
    this.pendingUpstreamBytes += bytes;
    void this.enqueueUpstream(async () => {
      try {
        await task();
      } finally {
        this.pendingUpstream--;
        this.pendingUpstreamBytes -= bytes;
      }
    });
    return true;
  }

  describe(): { hub: string; connectionId: string; userId?: string } {
    return this.userId === undefined ? { hub: this.hub, connectionId: this.id } : { hub: this.hub, connectionId: this.id, userId: this.userId };
  }
}

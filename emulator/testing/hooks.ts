/**
 * Test and benchmark hook: in-process access to one emulator's connections, for code running
 * in the same process as `startEmulator()` (the `bench/` pusher, tests). Not part of the
 * service's behaviour: nothing here is reachable over the network, and nothing changes
 * unless a hook is called.
 *
 *   const emu = await startEmulator();
 *   const hooks = testHooks(emu);
 *   hooks.sendToConnection(id, '{"n":1}');          // as REST "send to connection", json
 *   hooks.unacked(id);                               // reliable buffer size now
 *   const off = hooks.onSequenceAck(id, (seq, unacked) => { ... });
 */
import type { DataType, Payload } from "../protocol/payload";
import type { Connection } from "../sessions/connection";
import { MAX_UNACKED_MESSAGES } from "../sessions/reliable-session";
import type { Service } from "../sessions/service";

const services = new WeakMap<object, Service>();

/** Called by `startEmulator()` so `testHooks(emu)` can find that emulator's service. */
export function registerTestHooks(emulator: object, service: Service): void {
  services.set(emulator, service);
}

export interface TestHooks {
  /** The service's bound on unacknowledged messages per reliable connection (1000). */
  readonly maxUnacked: number;
  /** Whether `connectionId` is a live connection (a dropped reliable session waiting for recovery counts). */
  has(connectionId: string): boolean;
  /** How many hub objects the service holds (hubs with no connections, groups or user memberships are not kept). */
  hubCount(): number;
  /** Whether that connection has a socket attached now. */
  attached(connectionId: string): boolean;
  /**
   * Sends a `from: "server"` message to one connection, exactly as REST "send to connection"
   * does (numbered and buffered on reliable connections; exceeding the bound closes it with
   * 1008 SlowClient). `body` is the payload text (JSON text for `json`) or bytes. Returns false
   * when the connection is unknown or ended.
   */
  sendToConnection(connectionId: string, body: string | Buffer, dataType?: DataType): boolean;
  /** Unacknowledged messages held for a reliable connection (0 for others or unknown ids). */
  unacked(connectionId: string): number;
  /**
   * Calls `listener(sequenceId, unackedAfter)` after each `sequenceAck` the connection sends
   * (across recoveries). Returns a function that removes it.
   */
  onSequenceAck(connectionId: string, listener: (sequenceId: number, unacked: number) => void): () => void;
}

const ackListeners = new WeakMap<Connection, Set<(sequenceId: number, unacked: number) => void>>();

export function testHooks(emulator: object): TestHooks {
  const service = services.get(emulator);
  if (!service) throw new Error("testHooks: not an emulator returned by startEmulator()");
  const find = (connectionId: string): Connection | undefined => {
    const conn = service.connections.get(connectionId);
    return conn && !conn.ended ? conn : undefined;
  };
  return {
    maxUnacked: MAX_UNACKED_MESSAGES,
    has: (connectionId) => find(connectionId) !== undefined,
    hubCount: () => service.hubs.size,
    attached: (connectionId) => find(connectionId)?.socket !== undefined,
    sendToConnection(connectionId, body, dataType = "json") {
      const conn = find(connectionId);
      if (!conn) return false;
      const payload: Payload = { dataType, body: typeof body === "string" ? Buffer.from(body, "utf8") : body };
      conn.deliver({ from: "server" }, payload);
      return !conn.ended;
    },
    unacked: (connectionId) => find(connectionId)?.session?.unackedCount ?? 0,
    onSequenceAck(connectionId, listener) {
      const conn = find(connectionId);
      const session = conn?.session;
      if (!conn || !session) throw new Error(`testHooks.onSequenceAck: no reliable connection '${connectionId}'`);
      let listeners = ackListeners.get(conn);
      if (!listeners) {
        const set = new Set<(sequenceId: number, unacked: number) => void>();
        listeners = set;
        ackListeners.set(conn, set);
        // Wrap this one session's ack(): the frame handler calls it for every sequenceAck.
        const ack = session.ack.bind(session);
        session.ack = (sequenceId: number): void => {
          ack(sequenceId);
          for (const l of [...set]) l(sequenceId, session.unackedCount);
        };
      }
      listeners.add(listener);
      const own = listeners;
      return () => void own.delete(listener);
    },
  };
}

/** Fault injection for tests of clients' reliability. */
import type { Connection } from "../sessions/connection";
import type { Service } from "../sessions/service";

export interface Faults {
  /** Destroys the TCP socket abruptly (no close frame); a reliable session is kept. */
  drop(connectionId: string): void;
  /** Sends the `disconnected` system frame, then closes with `code` (1008 ends the session). */
  close(connectionId: string, code: number, reason?: string): void;
  /** Stops writing to the connection; messages still get sequence ids and are buffered. Lasts until `resume`, across recoveries. */
  pause(connectionId: string): void;
  /** Writes what was held, in order. */
  resume(connectionId: string): void;
  /** The next `n` `ack` frames to that connection are executed but never sent. */
  loseAcks(connectionId: string, n: number): void;
}

function isValidCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
}

export function createFaults(service: Service): Faults {
  const find = (connectionId: string): Connection => {
    const conn = service.connections.get(connectionId);
    if (!conn) throw new Error(`faults: no connection '${connectionId}'`);
    return conn;
  };
  return {
    drop(connectionId) {
      find(connectionId).socket?.terminate("keepSession");
    },
    close(connectionId, code, reason) {
      if (!isValidCloseCode(code)) throw new RangeError(`faults.close: ${code} is not a close code that can be sent (use 1000-1014 except 1004-1006, or 3000-4999)`);
      service.closeConnection(find(connectionId), code, reason ?? `Closed by faults.close with code ${code}.`);
    },
    pause(connectionId) {
      find(connectionId).pause();
    },
    resume(connectionId) {
      find(connectionId).resume();
    },
    loseAcks(connectionId, n) {
      if (!Number.isInteger(n) || n < 0) throw new RangeError("faults.loseAcks: n must be a non-negative integer");
      find(connectionId).acksToLose += n;
    },
  };
}

/**
 * The well-behaved neighbour: a JSON client on its own hub that keeps one round trip going
 * (a group send with an ackId that comes back to itself) and records how long each took and
 * whether any was lost.
 */
import { WebSocket, type RawData } from "ws";

export interface RoundTripReport {
  roundTrips: number;
  /** Longest round trip, including one still unanswered when the report was taken. */
  worstMs: number;
  /** Round trips whose ack or echo never came, or came wrong. */
  lost: number;
  /** Set when the socket closed. */
  closed?: string;
}

const GROUP = "round-trip";

export class GoodClient {
  private ackId = 0;
  private pendingSince: number | undefined;
  private waiter: ((frame: Record<string, unknown>) => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  readonly report: RoundTripReport = { roundTrips: 0, worstMs: 0, lost: 0 };

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: RawData) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      this.waiter?.(frame);
    });
    ws.on("close", (code, reason) => {
      this.report.closed = `${code} ${String(reason)}`;
      this.waiter?.({ type: "__closed" });
    });
    ws.on("error", () => undefined);
  }

  static async connect(url: string): Promise<GoodClient> {
    const ws = new WebSocket(url, "json.webpubsub.azure.v1");
    const client = new GoodClient(ws);
    await client.frame((f) => f.type === "system" && f.event === "connected", 10_000);
    ws.send(JSON.stringify({ type: "joinGroup", group: GROUP, ackId: ++client.ackId }));
    await client.frame((f) => f.type === "ack" && f.ackId === client.ackId, 10_000);
    return client;
  }

  /** The next frame matching `match`; frames that do not match are ignored. */
  private frame(match: (f: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (f) => {
        if (f.type !== "__closed" && !match(f)) return;
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(f.type === "__closed" ? undefined : f);
      };
    });
  }

  /** One round trip: returns false when it was lost. */
  private async roundTrip(): Promise<boolean> {
    const ackId = ++this.ackId;
    const text = `rt ${ackId}`;
    this.pendingSince = performance.now();
    this.ws.send(JSON.stringify({ type: "sendToGroup", group: GROUP, ackId, dataType: "text", data: text }));
    let acked = false;
    let echoed = false;
    const done = await this.frame((f) => {
      if (f.type === "ack" && f.ackId === ackId) acked = f.success === true;
      if (f.type === "message" && f.group === GROUP && f.data === text) echoed = true;
      return (f.type === "ack" && f.ackId === ackId && !acked) || (acked && echoed);
    }, 60_000);
    const ms = performance.now() - this.pendingSince;
    this.pendingSince = undefined;
    this.report.worstMs = Math.max(this.report.worstMs, ms);
    this.report.roundTrips++;
    return done !== undefined && acked && echoed;
  }

  /** Starts the loop (one round trip at a time, back to back, with a short pause between). */
  start(pauseMs = 5): void {
    this.loop = (async () => {
      while (!this.stopped && !this.report.closed) {
        if (!(await this.roundTrip())) this.report.lost++;
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  }

  /** The report so far, counting a round trip still waiting as at least as long as it has waited. */
  snapshot(): RoundTripReport {
    const waiting = this.pendingSince === undefined ? 0 : performance.now() - this.pendingSince;
    return { ...this.report, worstMs: Math.max(this.report.worstMs, waiting) };
  }

  /** Stops after the round trip in flight (waiting at most `graceMs` for it), and closes. */
  async stop(graceMs = 5000): Promise<RoundTripReport> {
    this.stopped = true;
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, graceMs))]);
    const report = this.snapshot();
    this.ws.terminate();
    return report;
  }
}

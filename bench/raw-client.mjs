// The "practical limit" client: a bare `ws` socket speaking json.reliable.webpubsub.azure.v1
// with nothing else — parse each frame once, drop duplicates, sequenceAck at once when the
// largest id is 300 above the last ack (plus a 1 s timer for the tail), ackIds in a Map,
// recovery = reopen at once with the connection id and reconnection token.
import WebSocket from "ws";

const PROTOCOL = "json.reliable.webpubsub.azure.v1";
const ACK_EVERY = 300;

export class RawClient {
  constructor(url) {
    this.url = url;
    this.connectionId = undefined;
    this.token = undefined;
    this.largest = 0;
    this.acked = 0;
    this.ackTimer = undefined;
    this.nextAckId = 0;
    this.pending = new Map();
    this.onServer = undefined;
    this.onGroup = undefined;
    this.stopped = false;
    this.ws = undefined;
  }

  start() {
    return new Promise((resolve, reject) => {
      this.onConnected = resolve;
      this.open(this.url, reject);
    });
  }

  open(url, reject) {
    const ws = (this.ws = new WebSocket(url, PROTOCOL, { perMessageDeflate: false }));
    ws.on("message", (data, isBinary) => this.onFrame(isBinary ? Buffer.from(data).toString("utf8") : data.toString()));
    ws.on("error", (e) => reject?.(e));
    ws.on("close", (code) => {
      if (this.ws !== ws || this.stopped) return;
      if (code === 1008 || code === 1000 || !this.connectionId) return reject?.(new Error(`closed ${code}`));
      // Recover at once on the same connection id.
      const u = `${this.url}&awps_connection_id=${encodeURIComponent(this.connectionId)}&awps_reconnection_token=${encodeURIComponent(this.token)}`;
      this.open(u);
      this.ws.once("open", () => this.flushAck(true));
    });
  }

  onFrame(text) {
    const f = JSON.parse(text);
    switch (f.type) {
      case "message": {
        const seq = f.sequenceId;
        if (seq !== undefined) {
          if (seq <= this.largest) return;
          this.largest = seq;
          if (seq - this.acked >= ACK_EVERY) this.flushAck();
          else if (this.ackTimer === undefined) this.ackTimer = setTimeout(() => this.flushAck(), 1000);
        }
        if (f.from === "group") this.onGroup?.(f.data);
        else this.onServer?.(f.data);
        return;
      }
      case "ack": {
        const p = this.pending.get(f.ackId);
        if (!p) return;
        this.pending.delete(f.ackId);
        if (f.success || f.error?.name === "Duplicate") p.resolve();
        else p.reject(new Error(f.error?.name));
        return;
      }
      case "system":
        if (f.event === "connected") {
          if (!this.connectionId) this.connectionId = f.connectionId;
          if (f.reconnectionToken) this.token = f.reconnectionToken;
          this.onConnected?.();
          this.onConnected = undefined;
        }
        return;
      default:
        return;
    }
  }

  flushAck(force = false) {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.largest === 0 || (!force && this.largest === this.acked)) return;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(`{"type":"sequenceAck","sequenceId":${this.largest}}`);
    this.acked = this.largest;
  }

  sendToGroup(group, data) {
    const ackId = ++this.nextAckId;
    return new Promise((resolve, reject) => {
      this.pending.set(ackId, { resolve, reject });
      this.ws.send(JSON.stringify({ type: "sendToGroup", group, ackId, dataType: "json", data }));
    });
  }

  joinGroup(group) {
    const ackId = ++this.nextAckId;
    return new Promise((resolve, reject) => {
      this.pending.set(ackId, { resolve, reject });
      this.ws.send(JSON.stringify({ type: "joinGroup", group, ackId }));
    });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.ackTimer);
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once("close", resolve);
      ws.close(1000);
    });
  }
}

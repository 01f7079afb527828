/** Upstream events (PROTOCOL §8): CloudEvents in binary mode, POSTed to the configured event handler. */
import { createHmac, randomUUID } from "node:crypto";
import { AbuseProtection } from "./abuse-protection";
import { httpSend, type HttpResult } from "./http-client";
import { encodeStates } from "./states";

export type UpstreamEventKind = "connect" | "connected" | "disconnected" | "user";

export interface UpstreamContext {
  hub: string;
  connectionId: string;
  userId?: string;
  subprotocol?: string;
  states: Record<string, unknown>;
}

export const UPSTREAM_TIMEOUT_MS = 30_000;
export const MAX_UPSTREAM_RESPONSE_BYTES = 2 * 1024 * 1024;

function ceType(kind: UpstreamEventKind, eventName: string): string {
  return kind === "user" ? `azure.webpubsub.user.${eventName}` : `azure.webpubsub.sys.${kind}`;
}

/**
 * A signal that aborts when either does, and a function to detach it once the call is over
 * (AbortSignal.any needs Node 20.3; the package supports Node 18).
 */
export function anySignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const dispose = (): void => {
    a.removeEventListener("abort", abort);
    b.removeEventListener("abort", abort);
  };
  const abort = (): void => {
    dispose();
    controller.abort();
  };
  if (a.aborted || b.aborted) controller.abort();
  else {
    a.addEventListener("abort", abort);
    b.addEventListener("abort", abort);
  }
  return { signal: controller.signal, dispose };
}

/** Header values must be visible ASCII; anything else (e.g. a non-ASCII userId) is percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

export class Upstream {
  private readonly protection: AbuseProtection;

  constructor(
    private readonly template: string,
    private readonly accessKey: string,
    /** Host the emulator is reached at; sent as `WebHook-Request-Origin`. */
    private readonly origin: string,
    private readonly shutdown: AbortSignal,
    log: (line: string) => void = () => undefined,
  ) {
    this.protection = new AbuseProtection(origin, shutdown, log);
  }

  url(hub: string, eventName: string): string {
    return this.template.replace(/\{event\}/gi, encodeURIComponent(eventName)).replace(/\{hub\}/gi, encodeURIComponent(hub));
  }

  signature(connectionId: string): string {
    return `sha256=${createHmac("sha256", Buffer.from(this.accessKey, "utf8")).update(connectionId).digest("hex")}`;
  }

  /** Posts one event, once the URL has passed the abuse-protection validation (it rejects otherwise). */
  async send(
    kind: UpstreamEventKind,
    eventName: string,
    ctx: UpstreamContext,
    body: { contentType: string; data: Buffer },
    signal?: AbortSignal,
  ): Promise<HttpResult> {
    const headers: Record<string, string> = {
      "Content-Type": body.contentType,
      "WebHook-Request-Origin": this.origin,
      "ce-specversion": "1.0",
      "ce-awpsversion": "1.0",
      "ce-type": headerSafe(ceType(kind, eventName)),
      "ce-source": headerSafe(`/hubs/${ctx.hub}/client/${ctx.connectionId}`),
      "ce-id": randomUUID(),
      "ce-time": new Date().toISOString(),
      "ce-hub": ctx.hub,
      "ce-connectionId": headerSafe(ctx.connectionId),
      "ce-eventName": headerSafe(eventName),
      "ce-signature": this.signature(ctx.connectionId),
    };
    if (ctx.userId !== undefined) headers["ce-userId"] = headerSafe(ctx.userId);
    if (ctx.subprotocol !== undefined) headers["ce-subprotocol"] = headerSafe(ctx.subprotocol);
    const states = encodeStates(ctx.states);
    if (states !== undefined) headers["ce-connectionState"] = states;
    const url = this.url(ctx.hub, eventName);
    const validation = await this.protection.validate(url);
    if (!validation.ok) throw new Error(validation.reason);
    const combined = signal ? anySignal(this.shutdown, signal) : { signal: this.shutdown, dispose: () => undefined };
    return httpSend("POST", url, headers, body.data, {
      signal: combined.signal,
      maxResponseBytes: MAX_UPSTREAM_RESPONSE_BYTES,
      timeoutMs: UPSTREAM_TIMEOUT_MS,
    }).finally(combined.dispose);
  }
}

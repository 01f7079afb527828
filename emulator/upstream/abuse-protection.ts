/**
 * The event handler's abuse protection (PROTOCOL §8, the CloudEvents webhook validation):
 * before the first event goes to a URL the service sends it `OPTIONS` with
 * `WebHook-Request-Origin: <the service's host>`, and sends events only when the answer is
 * 2xx with a `WebHook-Allowed-Origin` of `*` or that host. The result is kept per URL.
 */
import { httpSend, type HttpResult } from "./http-client";
import { clip } from "../protocol/clip";

export type ValidationResult = { ok: true } | { ok: false; reason: string };

/** How long a refusal is remembered before the URL is asked again (a handler may be fixed or started later). */
export const VALIDATION_RETRY_MS = 5000;
const VALIDATION_TIMEOUT_MS = 10_000;
/** URLs remembered at most (a `{event}` template makes one per event name). */
const MAX_CACHED_URLS = 1024;

/** Whether a `WebHook-Allowed-Origin` answer lets `origin` call (`*`, or the host listed; comma-separated or repeated). */
export function originAllowed(header: string | string[] | undefined, origin: string): boolean {
  const values = (Array.isArray(header) ? header : header === undefined ? [] : [header]).flatMap((v) => v.split(","));
  const want = origin.toLowerCase();
  return values.map((v) => v.trim().toLowerCase()).some((v) => v === "*" || v === want);
}

export class AbuseProtection {
  private readonly results = new Map<string, Promise<ValidationResult>>();

  constructor(
    /** The host clients reach this service at, e.g. `127.0.0.1:8080`. */
    private readonly origin: string,
    private readonly shutdown: AbortSignal,
    private readonly log: (line: string) => void,
    private readonly send: typeof httpSend = httpSend,
  ) {}

  /** Validates `url` once (concurrent callers share the answer). */
  validate(url: string): Promise<ValidationResult> {
    let result = this.results.get(url);
    if (!result) {
      if (this.results.size >= MAX_CACHED_URLS) this.results.delete(this.results.keys().next().value!);
      result = this.ask(url);
      this.results.set(url, result);
      void result.then((r) => {
        if (!r.ok) setTimeout(() => this.results.get(url) === result && this.results.delete(url), VALIDATION_RETRY_MS).unref();
      });
    }
    return result;
  }

  private async ask(url: string): Promise<ValidationResult> {
    let res: HttpResult;
    try {
      res = await this.send("OPTIONS", url, { "WebHook-Request-Origin": this.origin, "ce-awpsversion": "1.0" }, undefined, {
        signal: this.shutdown,
        maxResponseBytes: 64 * 1024,
        timeoutMs: VALIDATION_TIMEOUT_MS,
      });
    } catch (err) {
      const reason = `the abuse-protection request (OPTIONS) to the event handler ${url} failed: ${err instanceof Error ? err.message : String(err)}`;
      this.log(`upstream: ${reason}; no events are sent to it until it answers`);
      return { ok: false, reason };
    }
    const allowed = res.headers["webhook-allowed-origin"];
    if (res.status >= 200 && res.status < 300 && originAllowed(allowed, this.origin)) return { ok: true };
    const reason =
      res.status >= 200 && res.status < 300
        ? `the event handler ${url} does not allow this service's origin ${this.origin} (WebHook-Allowed-Origin: ${allowed === undefined ? "absent" : clip(String(allowed), 200)})`
        : `the event handler ${url} answered the abuse-protection request (OPTIONS with WebHook-Request-Origin: ${this.origin}) with ${res.status}`;
    this.log(`upstream: ${reason}; no events are sent to it. Allow the origin ${this.origin} in the handler (with @azure/web-pubsub-express: allowedEndpoints)`);
    return { ok: false, reason };
  }
}

// The socket opener: which URL, which timeout, and the one current socket. A brand-new
// connection asks the credential first; a recovery reuses the session's URL. Late events
// of a socket that is no longer current are ignored here, so the engine only hears about
// the socket it is using.
import { redactUrl } from "../utils/redact.js";
import type { AbortSignalLike } from "../types/options.js";
import type { EngineConfig } from "./engine-config.js";
import { Link } from "./link.js";
import type { Runtime } from "./runtime.js";
import { within, type Run } from "./run.js";

/** A recovery socket that is not confirmed by then is abandoned, and the next attempt made. */
const RECOVERY_ATTEMPT_TIMEOUT_MS = 5000;
/** How long the credential and a new socket may take to deliver `connected`. */
export const CONNECT_TIMEOUT_MS = 30000;

export interface OpenerEvents {
  onFrame(link: Link, data: string | ArrayBuffer): void;
  /** The current, confirmed socket closed. */
  onDrop(code: number, reason: string): void;
}

export class Opener {
  /** The socket in use, if any. */
  link?: Link;

  readonly #rt: Runtime;
  readonly #config: EngineConfig;
  readonly #events: OpenerEvents;

  constructor(rt: Runtime, config: EngineConfig, events: OpenerEvents) {
    this.#rt = rt;
    this.#config = config;
    this.#events = events;
  }

  /** Opens `url`, replacing the current socket; a recovery asks for a frame at once, since its answer confirms the session. */
  open(url: string, recover: boolean): Link {
    this.drop();
    const rt = this.#rt, config = this.#config, events = this.#events;
    rt.logger.info(`${recover ? "recovering through" : "connecting to"} ${redactUrl(url)}`);
    const link = new Link(rt, url, recover, config.protocol.name, recover ? RECOVERY_ATTEMPT_TIMEOUT_MS : CONNECT_TIMEOUT_MS, {
      onOpen: (l) => void (l === this.link && recover && l.send(config.protocol.writeMessage({ kind: "ping" }))),
      onFrame: (l, data) => void (l === this.link && events.onFrame(l, data)),
      onClose: (l, code, reason) => {
        if (l !== this.link) return;
        this.link = undefined;
        events.onDrop(code, reason);
      },
    });
    return (this.link = link);
  }

  /** Opens `url` and waits until the service confirms it, or the run ends. */
  confirmed(url: string, recover: boolean, run: Run): Promise<void> {
    return run.race(this.open(url, recover).ready);
  }

  /** Forgets the current socket; its late events are ignored. */
  drop(): void {
    const link = this.link;
    this.link = undefined;
    link?.abort();
  }

  /** A brand-new connection: the credential and the socket, each bounded by the connect timeout. */
  async connect(run: Run, signal?: AbortSignalLike): Promise<void> {
    const rt = this.#rt, config = this.#config;
    const ac = signal ? undefined : rt.abortController?.();
    try {
      const url = await within(config.getClientAccessUrl(signal ?? ac?.signal), run, rt.timers, CONNECT_TIMEOUT_MS, "client access URL");
      if (typeof url !== "string" || url === "") throw new TypeError("getClientAccessUrl gave no URL");
      await this.confirmed(url, false, run);
    } catch (error) {
      ac?.abort(); // a credential still at work (timed out, or the client stopped) can stop
      throw error;
    }
  }
}

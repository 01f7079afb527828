// A session handed from one engine to another (another tab, or the page after a reload):
// `takeSnapshot` holds what recovery needs and never the access token; `resumeSnapshot`
// puts it in a stopped engine, which recovers it without the credential (nothing delivered
// twice, groups and ackIds kept) or, when the service refuses it, makes a brand-new
// connection as start() does. Apart from the client bundle: only what uses it carries it.
import type { AbortSignalLike } from "../types/options.js";
import type { Engine } from "./engine.js";
import type { SessionSnapshot } from "./extension.js";
import { withoutToken } from "../utils/url.js";

/** Undefined when there is no recoverable session. */
export function takeSnapshot(engine: Engine): SessionSnapshot | undefined {
  const { connectionId, token, url, userId } = engine.session;
  if (!connectionId || !token || !url) return undefined;
  const { outbox } = engine;
  return {
    url: withoutToken(url),
    protocol: engine.protocol.name,
    connectionId,
    reconnectionToken: token,
    userId,
    lastSequenceId: engine.acker.lastReceived,
    groups: engine.groups.list(),
    usedAckIds: [outbox.ackCounter],
    pending: outbox.messages(),
    takenAt: engine.rt.clock.wall(),
  };
}

/** Starts a stopped engine on `s`'s session (a snapshot of another protocol: a brand-new connection). */
export function resumeSnapshot(engine: Engine, s: SessionSnapshot, signal?: AbortSignalLike): Promise<void> {
  return engine.start(
    signal,
    s.protocol === engine.protocol.name
      ? () => {
          const { session } = engine;
          session.connectionId = s.connectionId;
          session.userId = s.userId;
          session.token = s.reconnectionToken;
          session.url = s.url;
          engine.acker.reset(s.lastSequenceId);
          for (const g of s.groups) engine.groups.joined(g);
          for (const id of s.usedAckIds) engine.outbox.usedAckId(id);
        }
      : undefined,
  );
}

/**
 * Per-connection bounds: what one client can make the service hold. Each is listed in
 * `emulator/README.md` with what a client sees when it reaches it.
 */
export { MAX_UNACKED_BYTES, MAX_UNACKED_MESSAGES } from "./reliable-session";

/** One message, from a client or through REST (PROTOCOL.md §9). A larger client message closes the connection with 1009 (a reliable session is kept). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Bytes written to a socket but not yet taken by the kernel (`ws`'s `bufferedAmount`), any subprotocol. */
export const MAX_OUTBOUND_BYTES = 16 * 1024 * 1024;
/** Frames written to a socket whose write has not completed, any subprotocol (pongs and acks count). */
export const MAX_OUTBOUND_FRAMES = 10_000;
/** How many executed ackIds a connection remembers (oldest forgotten first): 3.5-5.5 MB at most (measured). */
export const MAX_REMEMBERED_ACK_IDS = 100_000;
/** Groups one connection can be in (joined by itself, by REST, or by its token). */
export const MAX_GROUPS_PER_CONNECTION = 1000;
/** Groups REST "add user to group" can record for one user of a hub. */
export const MAX_GROUPS_PER_USER = 1000;
/** User events (and simple-client messages, invocations) of one connection waiting for the event handler. */
export const MAX_PENDING_UPSTREAM_EVENTS = 32;
/** Their bodies, together (one event is always admitted when none waits, up to the 1 MB message limit). */
export const MAX_PENDING_UPSTREAM_BYTES = 4 * 1024 * 1024;

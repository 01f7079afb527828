/**
 * Cutting client-controlled text before it goes into a reason, a frame or a log line: in one
 * pass over at most the kept part, whatever the input's length (a 1 MB field costs nothing).
 */

/** At most `maxChars` UTF-16 units of `text`, with "…" when it was cut (never splitting a surrogate pair). */
export function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = Math.max(0, maxChars - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut
  return `${text.slice(0, end)}…`;
}

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes` (WebSocket close reasons: 123). */
export function utf8Prefix(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  // each UTF-16 unit is at most 3 bytes, so no more than maxBytes units are ever looked at
  while (i < text.length) {
    const code = text.codePointAt(i)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += code >= 0x10000 ? 2 : 1;
  }
  return i === text.length ? text : text.slice(0, i);
}

/** Longest message of a `disconnected` frame or an ack error the service writes. */
export const MAX_REASON_CHARS = 512;
/** Longest line the service logs. */
export const MAX_LOG_LINE_CHARS = 2000;
/** Longest piece of client input quoted inside a reason (a type, a name). */
export const MAX_QUOTED_CHARS = 64;

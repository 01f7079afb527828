/**
 * Hides access and reconnection tokens (as URL parameters, also percent-encoded, or as a
 * bare JWT) in a URL or in text quoting one, before it is logged or put in an error.
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([?&](?:access|awps(?:_|%5f)reconnection)(?:_|%5f)token(?:=|%3d))[^&#\s'"`<>]*/gi, "$1***")
    .replace(/eyJ[\w-]*\.[\w-]+\.[\w-]*/g, "***");
}

/** Hides access and reconnection tokens in a URL (or in text quoting one) before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_token|awps_reconnection_token)=)[^&#\s'"`<>]*/gi, "$1***");
}

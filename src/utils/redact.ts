/** Hides access and reconnection tokens in a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_token|awps_reconnection_token)=)[^&#]*/gi, "$1***");
}

/** Appends recovery parameters to the URL the connection was made with. */
export function recoveryUrl(baseUrl: string, connectionId: string, reconnectionToken: string): string {
  const hash = baseUrl.indexOf("#");
  const base = hash >= 0 ? baseUrl.slice(0, hash) : baseUrl;
  const cleaned = base
    .replace(/([?&])(awps_connection_id|awps_reconnection_token)=[^&]*&?/g, "$1")
    .replace(/[?&]$/, "");
  const sep = cleaned.includes("?") ? "&" : "?";
  return `${cleaned}${sep}awps_connection_id=${encodeURIComponent(connectionId)}&awps_reconnection_token=${encodeURIComponent(reconnectionToken)}`;
}

/** The URL without its `access_token` parameter (also percent-encoded). */
export function withoutToken(url: string): string {
  return url.replace(/([?&])access(?:_|%5f)token=[^&#]*&?/gi, "$1").replace(/[?&](?=#|$)/, "");
}

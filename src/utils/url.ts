const TOKEN = "access(?:_|%5f)token";
const RECOVERY = "awps_connection_id|awps_reconnection_token";

/** Appends recovery parameters to the URL the connection was made with (without its own, or a fragment). */
export function recoveryUrl(baseUrl: string, connectionId: string, reconnectionToken: string): string {
  const cleaned = withoutParams(baseUrl.split("#")[0]!, RECOVERY);
  const sep = cleaned.includes("?") ? "&" : "?";
  return `${cleaned}${sep}awps_connection_id=${encodeURIComponent(connectionId)}&awps_reconnection_token=${encodeURIComponent(reconnectionToken)}`;
}

/** The URL without the query parameters whose names `names` (a pattern) matches, every occurrence. */
export function withoutParams(url: string, names: string): string {
  const param = new RegExp(`([?&])(?:${names})=[^&#]*&?`, "i");
  for (let prev = ""; prev !== url; ) {
    prev = url;
    url = url.replace(param, "$1");
  }
  return url.replace(/[?&](?=#|$)/, "");
}

/** The URL without its `access_token` parameter (also percent-encoded). */
export const withoutToken = (url: string): string => withoutParams(url, TOKEN);

/** The URL without the access token and the recovery parameters: safe to keep and share. */
export const withoutSessionParams = (url: string): string => withoutParams(url, `${TOKEN}|${RECOVERY}`);

/**
 * Paging of "list group connections" (`maxpagesize`, `top`, `continuationToken`): pages are
 * ordered by connection id and a token names the last id returned, so a page stays correct when
 * members join or leave between requests.
 */

export interface PageRequest {
  /** Items per page (undefined: all that are left). */
  maxPageSize?: number;
  /** Items over all pages (undefined: no limit). */
  top?: number;
  continuationToken?: string;
}

export interface Page<T> {
  items: T[];
  /** Present when more items follow. */
  continuationToken?: string;
}

interface TokenState {
  /** The last connection id returned. */
  after: string;
  /** How many of `top` are left, when a top was given. */
  left?: number;
}

export class PagingError extends Error {}

function decodeToken(token: string): TokenState {
  try {
    const state = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (typeof state === "object" && state !== null && typeof (state as TokenState).after === "string") {
      const left = (state as TokenState).left;
      if (left === undefined || (Number.isSafeInteger(left) && left >= 0)) return state as TokenState;
    }
  } catch {
    // falls through
  }
  throw new PagingError("The continuationToken is not one this service issued.");
}

/** One page of `all` (any order in; sorted by `connectionId` out). */
export function pageOf<T extends { connectionId: string }>(all: readonly T[], req: PageRequest): Page<T> {
  const state = req.continuationToken === undefined ? undefined : decodeToken(req.continuationToken);
  const sorted = [...all].sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
  const rest = state ? sorted.filter((m) => m.connectionId > state.after) : sorted;
  const left = state?.left ?? req.top;
  const cap = Math.min(left ?? Infinity, req.maxPageSize ?? Infinity);
  const items = rest.slice(0, cap);
  const leftAfter = left === undefined ? undefined : left - items.length;
  const more = rest.length > items.length && (leftAfter === undefined || leftAfter > 0);
  if (!more || items.length === 0) return { items };
  const next: TokenState = { after: items[items.length - 1]!.connectionId, ...(leftAfter === undefined ? {} : { left: leftAfter }) };
  return { items, continuationToken: Buffer.from(JSON.stringify(next)).toString("base64url") };
}

/** A non-negative integer query parameter, or undefined when absent; a string is the error. */
export function intParam(value: string | null, name: string, min: number, max: number): number | undefined | string {
  if (value === null) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) return `'${name}' must be an integer from ${min} to ${max}.`;
  return Number(value);
}

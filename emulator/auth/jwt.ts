/** HS256 JSON Web Tokens signed and verified with `node:crypto` (key = UTF-8 bytes of the access key). */
import { createHmac, timingSafeEqual } from "node:crypto";
import { clip } from "../protocol/clip";

export type JwtClaims = Record<string, unknown>;

export type JwtVerifyResult = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

function base64UrlEncode(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function hmac(key: string, data: string): Buffer {
  return createHmac("sha256", Buffer.from(key, "utf8")).update(data).digest();
}

export function signJwt(claims: JwtClaims, key: string): string {
  const header = base64UrlEncode(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64UrlEncode(JSON.stringify(claims));
  const signature = hmac(key, `${header}.${payload}`).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

function decodeJsonSegment(segment: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error("not base64url");
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks the signature (HS256 only), `exp` (required) and `nbf`. The audience is not checked here:
 * callers compare it with {@link audienceMatches} against the URL actually requested.
 */
export function verifyJwt(token: string, key: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtVerifyResult {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "The access token is not a JWT." };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = decodeJsonSegment(headerPart);
    claims = decodeJsonSegment(payloadPart);
  } catch {
    return { ok: false, reason: "The access token is not a well-formed JWT." };
  }
  if (!isObject(header) || !isObject(claims)) return { ok: false, reason: "The access token is not a well-formed JWT." };
  if (header.alg !== "HS256") return { ok: false, reason: `The access token algorithm must be HS256, not ${clip(String(header.alg), 32)}.` };
  if (!/^[A-Za-z0-9_-]+$/.test(signaturePart)) return { ok: false, reason: "The access token signature is invalid." };
  const expected = hmac(key, `${headerPart}.${payloadPart}`);
  const actual = Buffer.from(signaturePart, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: "The access token signature is invalid." };
  }
  // (choice) `exp` is required, as Azure's token validation requires it: a token without one would never expire
  if (claims.exp === undefined) return { ok: false, reason: "The access token has no exp claim; it must expire." };
  if (typeof claims.exp !== "number") return { ok: false, reason: "The access token exp claim is not a number." };
  if (nowSeconds >= claims.exp) return { ok: false, reason: "The access token has expired." };
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== "number") return { ok: false, reason: "The access token nbf claim is not a number." };
    if (nowSeconds < claims.nbf) return { ok: false, reason: "The access token is not valid yet." };
  }
  return { ok: true, claims };
}

/** Lower-cased `host/path` without scheme, query, fragment or trailing slash. */
export function normalizeAudience(url: string): string | undefined {
  const match = /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)([^?#]*)/i.exec(url.trim());
  if (!match) return undefined;
  const host = (match[1] ?? "").toLowerCase();
  const path = (match[2] ?? "").replace(/\/+$/, "").toLowerCase();
  return host + path;
}

/**
 * True when the token's `aud` (a string or an array of strings) names one of the
 * candidate URLs. Compared case-insensitively, ignoring the scheme (ws/wss/http/https,
 * since a TLS-terminating proxy changes it), the query string and a trailing slash.
 */
export function audienceMatches(aud: unknown, candidates: string[]): boolean {
  const auds = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
  const wanted = new Set(candidates.map(normalizeAudience).filter((c): c is string => c !== undefined));
  return auds.some((a) => {
    const n = normalizeAudience(a);
    return n !== undefined && wanted.has(n);
  });
}

/** Reads a claim that may be a single string or an array of strings. */
export function stringListClaim(claims: JwtClaims, ...names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const value = claims[name];
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === "string") out.push(v);
  }
  return out;
}

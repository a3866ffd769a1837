/**
 * The checks every request passes before a handler runs (docs/ARCHITECTURE.md, Transports): Host against DNS rebinding,
 * Origin against other web pages, the token in constant time, JSON content type, body depth.
 * Pure functions over header values, so each rule is tested on its own.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import os from 'node:os';

export const TOKEN_COOKIE = 'vigil_token';
/** Deepest JSON nesting accepted in a request body. */
export const MAX_JSON_DEPTH = 20;

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function isWildcardHost(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

function hostLiteral(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/**
 * The `host:port` values a request may name. Always the loopback names; plus the bound address
 * when it is a specific one; plus this machine's interface addresses when bound to every interface
 * (IP literals only: a DNS name that resolves here is exactly what a rebinding attack uses).
 */
export function allowedHosts(boundHost: string, port: number): ReadonlySet<string> {
  const names = new Set<string>(LOOPBACK_NAMES);
  if (isWildcardHost(boundHost)) {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const info of list ?? []) names.add(hostLiteral(info.address.split('%')[0]!));
    }
  } else {
    names.add(hostLiteral(boundHost.toLowerCase()));
  }
  return new Set([...names].map((n) => `${n.toLowerCase()}:${port}`));
}

/** The Host header must name this server exactly, port included. */
export function isAllowedHost(
  hostHeader: string | undefined,
  allowed: ReadonlySet<string>,
): boolean {
  return hostHeader !== undefined && allowed.has(hostHeader.trim().toLowerCase());
}

/** An Origin header, when present, must be this server's own origin. */
export function isAllowedOrigin(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  const o = origin.trim().toLowerCase();
  if (!o.startsWith('http://')) return false;
  return allowed.has(o.slice('http://'.length));
}

/** Compares a presented token with the expected one in constant time (hashes of equal length). */
export function createTokenCheck(expected: string): (given: string | undefined) => boolean {
  const want = createHash('sha256').update(expected, 'utf8').digest();
  return (given) => {
    if (given === undefined || given === '') return false;
    const got = createHash('sha256').update(given, 'utf8').digest();
    return timingSafeEqual(got, want);
  };
}

/** The token of `Authorization: Bearer <token>`, if that is the scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

export function parseCookies(header: string | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    try {
      if (!out.has(key)) out.set(key, decodeURIComponent(value));
    } catch {
      // a cookie that does not decode is ignored
    }
  }
  return out;
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** `application/json`, with or without parameters such as `charset=utf-8`. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * True when JSON text nests objects/arrays deeper than `max`. Scans the text without parsing it, so
 * a hostile body cannot make the parser recurse.
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

/** Who is calling, from `X-Vigil-Client`. */
export function actorFromHeader(header: string | undefined): 'cli' | 'ui' | 'api' {
  const v = header?.trim().toLowerCase();
  return v === 'cli' ? 'cli' : v === 'ui' ? 'ui' : 'api';
}

/** Content-Security-Policy for the UI's pages. */
export function uiContentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Content-Security-Policy for HTML the API returns (reports): inert, nothing loaded or run. */
export const DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

import { describe, expect, it } from 'vitest';
import {
  actorFromHeader,
  allowedHosts,
  bearerToken,
  createTokenCheck,
  isAllowedHost,
  isAllowedOrigin,
  isJsonContentType,
  isLoopbackHost,
  jsonTooDeep,
  parseCookies,
  tokenCookie,
} from './security.js';

describe('Host and Origin', () => {
  const hosts = allowedHosts('127.0.0.1', 9000);

  it('allows the loopback names with the exact port', () => {
    for (const h of ['localhost:9000', '127.0.0.1:9000', '[::1]:9000', 'LocalHost:9000']) {
      expect(isAllowedHost(h, hosts), h).toBe(true);
    }
    for (const h of [
      undefined,
      '',
      'localhost',
      '127.0.0.1:90001',
      '127.0.0.1:900',
      'evil.example:9000',
      '127.0.0.2:9000',
      'localhost:9000.evil',
      '::1:9000',
    ]) {
      expect(isAllowedHost(h, hosts), String(h)).toBe(false);
    }
  });

  it('adds a specific bound address, but never DNS names for a wildcard bind', () => {
    expect(isAllowedHost('192.168.1.5:9000', allowedHosts('192.168.1.5', 9000))).toBe(true);
    expect(isAllowedHost('192.168.1.5:9000', hosts)).toBe(false);
    const any = allowedHosts('0.0.0.0', 9000);
    expect(isAllowedHost('127.0.0.1:9000', any)).toBe(true);
    expect(isAllowedHost('evil.example:9000', any)).toBe(false);
  });

  it('allows no Origin, or exactly our own http origin', () => {
    expect(isAllowedOrigin(undefined, hosts)).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:9000', hosts)).toBe(true);
    expect(isAllowedOrigin('http://localhost:9000', hosts)).toBe(true);
    for (const o of [
      'null',
      '',
      'https://127.0.0.1:9000',
      'http://127.0.0.1:9001',
      'http://evil.example',
      'http://127.0.0.1:9000/x',
      'file://',
    ]) {
      expect(isAllowedOrigin(o, hosts), o).toBe(false);
    }
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.3.2.1', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(
      true,
    );
    expect(['0.0.0.0', '', '::', '192.168.0.1', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('token', () => {
  it('matches only the exact token', () => {
    const check = createTokenCheck('s3cret-token');
    expect(check('s3cret-token')).toBe(true);
    for (const t of [
      undefined,
      '',
      's3cret-toke',
      's3cret-token ',
      'S3CRET-TOKEN',
      's3cret-token-longer',
    ]) {
      expect(check(t), String(t)).toBe(false);
    }
  });

  it('reads Bearer tokens and cookies', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    const cookies = parseCookies('a=1; vigil_token=x%2By; vigil_token=second; bad; c="q"');
    expect(cookies.get('vigil_token')).toBe('x+y');
    expect(cookies.get('c')).toBe('q');
    expect(tokenCookie('x+y')).toBe('vigil_token=x%2By; Path=/; HttpOnly; SameSite=Strict');
  });
});

describe('bodies and headers', () => {
  it('accepts application/json with parameters only', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/jsonp')).toBe(false);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('measures nesting without parsing, ignoring brackets in strings', () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(jsonTooDeep(nest(20))).toBe(false);
    expect(jsonTooDeep(nest(21))).toBe(true);
    expect(jsonTooDeep(`{"a":"${'['.repeat(50)}"}`)).toBe(false);
    expect(jsonTooDeep(`{"a":"\\"${'{'.repeat(50)}"}`)).toBe(false);
    expect(jsonTooDeep('{"a":{"b":{"c":[1,2,{"d":3}]}}}', 5)).toBe(false);
    expect(jsonTooDeep('{"a":{"b":{"c":[1,2,{"d":3}]}}}', 4)).toBe(true);
  });

  it('maps X-Vigil-Client to the actor', () => {
    expect(actorFromHeader('cli')).toBe('cli');
    expect(actorFromHeader(' UI ')).toBe('ui');
    expect(actorFromHeader('vigil')).toBe('api');
    expect(actorFromHeader(undefined)).toBe('api');
  });
});

import { describe, expect, it } from 'vitest';
import { dechunk, parseHead, requestBytes } from './sockets.js';

describe('requestBytes', () => {
  it('writes a GET with Host and Connection: close, and the configured headers', () => {
    expect(requestBytes('127.0.0.1', 8080, '/health', { Authorization: 'Bearer x' })).toBe(
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n',
    );
    expect(requestBytes('::1', 80, 'status', {})).toBe(
      'GET /status HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n',
    );
  });

  it('keeps a configured Host and drops framing headers it cannot honour', () => {
    const text = requestBytes('127.0.0.1', 9, '/h', {
      host: 'api.local',
      Connection: 'keep-alive',
      'Content-Length': '5',
    });
    expect(text).toBe('GET /h HTTP/1.1\r\nhost: api.local\r\nConnection: close\r\n\r\n');
  });

  it('refuses what would let a header or the path smuggle bytes into the request', () => {
    expect(() => requestBytes('h', 1, '/a b', {})).toThrow('ERR_UNESCAPED_CHARACTERS');
    expect(() => requestBytes('h', 1, '/a\r\nX: y', {})).toThrow('ERR_UNESCAPED_CHARACTERS');
    expect(() => requestBytes('h', 1, '/', { 'X-A': 'v\r\nInjected: 1' })).toThrow(
      'ERR_INVALID_CHAR',
    );
    expect(() => requestBytes('h', 1, '/', { 'Bad Name': 'v' })).toThrow('ERR_INVALID_HTTP_TOKEN');
  });
});

describe('parseHead', () => {
  it('reads the status and the body framing', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 12')).toEqual({
      status: 200,
      chunked: false,
      length: 12,
    });
    expect(parseHead('HTTP/1.1 503 Unavailable\r\ntransfer-encoding: gzip, chunked')).toEqual({
      status: 503,
      chunked: true,
      length: null,
    });
    expect(parseHead('HTTP/1.0 204')).toEqual({ status: 204, chunked: false, length: null });
  });

  it('is null for what is not an HTTP response head', () => {
    expect(parseHead('SSH-2.0-OpenSSH_9.6')).toBeNull();
    expect(parseHead('HTTP/1.1 2000 OK')).toBeNull();
    expect(parseHead('HTTP/1.1 OK')).toBeNull();
  });
});

describe('dechunk', () => {
  it('decodes complete and partial chunked bodies', () => {
    expect(dechunk(Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n'))).toEqual({
      body: Buffer.from('hello world'),
      done: true,
    });
    expect(dechunk(Buffer.from('5\r\nhel'))).toEqual({ body: Buffer.from('hel'), done: false });
    expect(dechunk(Buffer.from('zz\r\n'))).toEqual({ body: Buffer.alloc(0), done: false });
  });
});

/**
 * Bad requests against a real `vigil up`: oversized and deeply nested bodies, malformed JSON,
 * unknown services and routes, and slow clients. Each gets a fitting status with the JSON error
 * envelope; none of them blocks other clients or changes anything.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tracker,
  buildCli,
  oneServiceStack,
  runUntilReady,
  serviceDetail,
  sleep,
  stopVigil,
  type VigilApiHandle,
  type VigilRun,
} from './harness.js';

const t = new Tracker();
let run: VigilRun;
let api: VigilApiHandle;

beforeAll(async () => {
  buildCli();
  const { stack } = await oneServiceStack(t);
  ({ run, api } = await runUntilReady(t, { stack }));
}, 40_000);

afterAll(async () => {
  if (run) await stopVigil(run).catch(() => undefined);
  await t.cleanup();
});

function envelope(body: unknown): { code: string; message: string } {
  const e = (body as { error?: { code: string; message: string } }).error;
  expect(e, JSON.stringify(body)).toBeDefined();
  return e!;
}

/** Nothing about the service changed. */
async function untouched(): Promise<void> {
  const d = await serviceDetail(api, 'api');
  expect(d.generation).toBe(1);
  expect(d.restart_count).toBe(0);
  expect(d.lifecycle).toBe('running');
}

/** Writes raw bytes on a new connection and returns the raw answer (or '' if cut off). */
function raw(payload: string | Buffer, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(api.port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, timeoutMs);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.write(payload);
  });
}

describe('API abuse', () => {
  it('an oversized body is refused with 413, declared or streamed', async () => {
    const big = JSON.stringify({ force: false, pad: 'x'.repeat(2 * 1024 * 1024) });
    const r = await api.call('POST', '/orchestrator/restart/api', { body: big });
    expect(r.status).toBe(413);
    expect(envelope(r.json).code).toBe('PAYLOAD_TOO_LARGE');
    // Chunked, with no Content-Length: counted as it arrives.
    const head =
      `POST /orchestrator/restart/api HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\n` +
      `Authorization: Bearer ${api.token}\r\nContent-Type: application/json\r\n` +
      `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    const chunk = 'x'.repeat(64 * 1024);
    const chunks = Array.from({ length: 20 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const answer = await raw(head + chunks.join('') + '0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    await untouched();
  });

  it('deeply nested JSON is refused with 400 before it is parsed', async () => {
    for (const body of [
      '{"force":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}',
      '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
    ]) {
      const r = await api.call('POST', '/orchestrator/restart/api', { body });
      expect([400, 413]).toContain(r.status);
      expect(envelope(r.json).code).toMatch(/BAD_REQUEST|PAYLOAD_TOO_LARGE/);
    }
    const nested = '{"force":' + '['.repeat(30) + ']'.repeat(30) + '}';
    const r = await api.call('POST', '/orchestrator/restart/api', { body: nested });
    expect(r.status).toBe(400);
    expect(envelope(r.json).message).toMatch(/nested/);
    await untouched();
  });

  it('malformed JSON, the wrong type and the wrong content type are 400 / 415', async () => {
    for (const body of ['{', '{"force":', 'nul', '"text"', '[1,2]', '{"force":"yes"}', '\u0000']) {
      const r = await api.call('POST', '/orchestrator/restart/api', { body });
      expect(r.status, body).toBe(400);
      expect(envelope(r.json).code).toBe('BAD_REQUEST');
    }
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    const bad = await api.call('POST', '/orchestrator/restart/api', { body: invalidUtf8 });
    expect(bad.status).toBe(400);
    const form = await api.call('POST', '/orchestrator/restart/api', {
      body: 'force=true',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const text = await api.call('POST', '/orchestrator/restart/api', {
      body: '{}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    await untouched();
  });

  it('unknown services, bad names and unknown routes get 404 / 400, never 500', async () => {
    const cases: [string, string, number[]][] = [
      ['GET', '/orchestrator/services/nope', [404]],
      ['POST', '/orchestrator/restart/nope', [404]],
      ['POST', '/orchestrator/stop/nope', [404]],
      ['GET', '/orchestrator/logs/nope', [404]],
      ['GET', '/orchestrator/services/..%2F..%2Fetc%2Fpasswd', [400]],
      ['GET', '/orchestrator/services/%3Cscript%3E', [400]],
      ['GET', '/orchestrator/services/%E0%A4%A', [400]],
      ['GET', '/orchestrator/services/' + 'a'.repeat(5000), [400]],
      ['GET', '/orchestrator/nothing-here', [404]],
      ['GET', '/orchestrator/restart/api', [405]],
      ['DELETE', '/orchestrator/services/api', [405]],
      ['GET', '/orchestrator/logs/api?tail=-1', [400]],
      ['GET', '/orchestrator/logs/api?tail=abc', [400]],
      ['GET', '/orchestrator/logs/api?tail=1&tail=2', [400]],
      ['GET', '/orchestrator/report?format=exe', [400]],
      ['GET', '/orchestrator/healing-history?limit=1e309', [400]],
    ];
    for (const [method, p, statuses] of cases) {
      const r = await api.call(method, p, method === 'POST' ? { body: '{}' } : {});
      expect(statuses, `${method} ${p} -> ${r.status} ${r.text.slice(0, 200)}`).toContain(r.status);
      if (r.status !== 405) expect(envelope(r.json).message.length).toBeGreaterThan(0);
    }
    await untouched();
  });

  it('a client sending its headers byte by byte does not block anyone else', async () => {
    const slow = net.connect(api.port, '127.0.0.1');
    slow.on('error', () => undefined);
    const request = `GET /orchestrator/status HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nAuthorization: Bearer ${api.token}\r\n`;
    let i = 0;
    const drip = setInterval(() => {
      if (i < request.length && !slow.destroyed) slow.write(request[i++]!);
    }, 40);
    try {
      // Meanwhile, other clients are served one after another, and in a burst.
      for (let k = 0; k < 10; k++) {
        const r = await api.call('GET', '/orchestrator/status', { timeoutMs: 5_000 });
        expect(r.status).toBe(200);
        await sleep(50);
      }
      const burst = await Promise.all(
        Array.from({ length: 30 }, () =>
          api.call('GET', '/orchestrator/services', { timeoutMs: 5_000 }),
        ),
      );
      for (const r of burst) expect(r.status).toBe(200);
      // Many slow clients at once change nothing either.
      const crowd = Array.from({ length: 50 }, () => {
        const s = net.connect(api.port, '127.0.0.1');
        s.on('error', () => undefined);
        s.write('GET /orchestrator/status HTTP/1.1\r\nHo');
        return s;
      });
      await sleep(200);
      const r = await api.call('GET', '/orchestrator/status', { timeoutMs: 5_000 });
      expect(r.status).toBe(200);
      for (const s of crowd) s.destroy();
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
  }, 30_000);

  it('HTTP the parser rejects is answered 400, and Vigil carries on', async () => {
    const answers = await Promise.all([
      raw('GARBAGE\r\n\r\n'),
      raw(
        `GET /orchestrator/status HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nX: ${'a'.repeat(100_000)}\r\n\r\n`,
      ),
      raw('\u0000\u0001\u0002\r\n\r\n'),
    ]);
    for (const a of answers) {
      if (a !== '') expect(a).toMatch(/^HTTP\/1\.1 (400|431)/);
    }
    expect((await api.get('/orchestrator/status')).status).toBe(200);
  });
});

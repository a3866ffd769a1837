/**
 * Nobody gets in: every route of a real `vigil up` is refused without the token, with a wrong
 * one, with a foreign Host (DNS rebinding) and with a foreign Origin, over REST and WebSocket;
 * afterwards nothing has changed. Log downloads cannot leave the log directory, and no file Vigil
 * writes follows a planted symlink out of the data directory.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../src/main/transport/routes.js';
import {
  LINUX,
  ROOT,
  Tracker,
  buildCli,
  oneServiceStack,
  runUntilReady,
  isReady,
  makeStack,
  runVigil,
  serviceDetail,
  sleep,
  stopVigil,
  type HttpAnswer,
  type Stack,
  type VigilApiHandle,
  type VigilRun,
} from './harness.js';

const t = new Tracker();
let run: VigilRun;
let api: VigilApiHandle;
let stack: Stack;
let victim: string;
const SECRET = 'TOP-SECRET-CONTENT-OUTSIDE-THE-DATA-DIR';

beforeAll(async () => {
  buildCli();
  ({ stack } = await oneServiceStack(t));
  // Plant symlinks where Vigil writes its logs, pointing at a file outside the data directory.
  victim = path.join(t.tempDir('vigil-victim-'), 'victim.txt');
  fs.writeFileSync(victim, SECRET + '\n');
  const logs = path.join(stack.dataDir, 'logs');
  fs.mkdirSync(path.join(logs, 'services'), { recursive: true });
  fs.symlinkSync(victim, path.join(logs, 'services', 'api.log'));
  ({ run, api } = await runUntilReady(t, { stack }));
}, 40_000);

afterAll(async () => {
  if (run) await stopVigil(run).catch(() => undefined);
  await t.cleanup();
});

/** A concrete request for each route: path params filled, a JSON body for POST. */
function requests(): { method: string; path: string; body?: string; public: boolean }[] {
  return ROUTES.map((r) => ({
    method: r.method,
    path: r.path.replace(/:([a-z_]+)/g, 'api'),
    ...(r.method === 'POST'
      ? {
          body:
            r.target.kind === 'command' && r.target.name === 'register'
              ? JSON.stringify({ name: 'intruder', url: 'http://127.0.0.1:1/' })
              : '{"force":true}',
        }
      : {}),
    public: !r.authenticated,
  }));
}

async function attempt(
  req: { method: string; path: string; body?: string },
  opts: { token?: string | false; headers?: Record<string, string> },
): Promise<HttpAnswer> {
  return api.call(req.method, req.path, {
    ...(req.body !== undefined ? { body: req.body } : {}),
    ...opts,
  });
}

/** Nothing changed: same instance, no restarts, no intruder, Vigil still running. */
async function nothingChanged(): Promise<void> {
  const d = await serviceDetail(api, 'api');
  expect(d.generation).toBe(1);
  expect(d.restart_count).toBe(0);
  expect(d.lifecycle).toBe('running');
  const list = (await api.get('/orchestrator/services')).json as { total_services: number };
  expect(list.total_services).toBe(1);
  const healing = (await api.get('/orchestrator/healing-history')).json as {
    events?: unknown[];
    history?: unknown[];
  };
  expect((healing.events ?? healing.history ?? []).length).toBe(0);
  expect(run.child.exitCode).toBeNull();
}

describe('every route refuses', () => {
  it('a request without a token, or with a wrong one (401)', async () => {
    const wrongTokens: (string | false)[] = [
      false,
      'wrong',
      api.token.slice(0, -1),
      api.token + 'x',
      api.token.toUpperCase() === api.token ? api.token.toLowerCase() : api.token.toUpperCase(),
      ' ',
    ];
    for (const req of requests()) {
      if (req.public) continue;
      for (const token of wrongTokens) {
        const r = await attempt(req, { token });
        expect(r.status, `${req.method} ${req.path} token=${String(token)}`).toBe(401);
        expect((r.json as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      }
      // Other ways of presenting the right token are not accepted for REST either.
      const viaQuery = await api.call(req.method, `${req.path}?token=${api.token}`, {
        token: false,
        ...(req.body !== undefined ? { body: req.body } : {}),
      });
      expect([400, 401], `${req.path}?token=`).toContain(viaQuery.status);
      const basic = await attempt(req, {
        token: false,
        headers: { authorization: `Basic ${Buffer.from(`x:${api.token}`).toString('base64')}` },
      });
      expect(basic.status).toBe(401);
    }
    await nothingChanged();
  }, 60_000);

  it('a foreign Host (DNS rebinding) or a foreign Origin, even with the right token (403)', async () => {
    const hosts = [
      `evil.example:${api.port}`,
      `127.0.0.1.nip.io:${api.port}`,
      'evil.example',
      `127.0.0.1:${api.port + 1}`,
      `localhost.evil.example:${api.port}`,
      `LOCALHOST:${api.port}.evil.example`,
    ];
    const origins = [
      'http://evil.example',
      `http://evil.example:${api.port}`,
      `http://127.0.0.1:${api.port + 1}`,
      `https://127.0.0.1:${api.port}`,
      'null',
      'file://',
    ];
    for (const req of requests()) {
      for (const host of hosts) {
        const r = await attempt(req, { headers: { host } });
        expect(r.status, `${req.method} ${req.path} Host: ${host}`).toBe(403);
      }
      for (const origin of origins) {
        const r = await attempt(req, { headers: { origin } });
        expect(r.status, `${req.method} ${req.path} Origin: ${origin}`).toBe(403);
      }
    }
    // No Host header at all (HTTP/1.0) is refused too.
    const noHost = await new Promise<string>((resolve) => {
      const sock = net.connect(api.port, '127.0.0.1');
      let out = '';
      sock.on('data', (d: Buffer) => (out += d.toString()));
      sock.on('close', () => resolve(out));
      sock.on('error', () => resolve(out));
      sock.write(`GET /orchestrator/status HTTP/1.0\r\nAuthorization: Bearer ${api.token}\r\n\r\n`);
    });
    expect(noHost).toMatch(/^HTTP\/1\.[01] (400|403)/);
    // Vigil's own origin is fine.
    const own = await api.call('GET', '/orchestrator/status', {
      headers: { origin: `http://127.0.0.1:${api.port}` },
    });
    expect(own.status).toBe(200);
    await nothingChanged();
  }, 60_000);

  it('the WebSocket stream without a token, with a wrong one, a foreign Host or Origin', async () => {
    const tryWs = (query: string, headers: Record<string, string> = {}): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${api.port}/orchestrator/stream${query}`, {
          headers,
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          resolve(101);
          ws.close();
        });
        ws.on('error', () => resolve(-1));
      });
    expect(await tryWs('')).toBe(401);
    expect(await tryWs('?token=wrong')).toBe(401);
    expect(await tryWs(`?token=${api.token}`, { host: `evil.example:${api.port}` })).toBe(403);
    expect(await tryWs(`?token=${api.token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await tryWs(`?token=${api.token}`)).toBe(101);
  });
});

describe('log downloads stay in the log directory', () => {
  it('refuses .., encoded .. and names that are not identifiers', async () => {
    const paths = [
      '/orchestrator/logs/..%2F..%2F..%2Fetc%2Fpasswd',
      '/orchestrator/logs/%2e%2e',
      '/orchestrator/logs/%2e%2e%2f%2e%2e%2fvigil.db',
      '/orchestrator/logs/..%5C..%5Cwindows',
      '/orchestrator/logs/api%00.txt',
      '/orchestrator/logs/../../../etc/passwd',
      '/orchestrator/logs/api/../../vigil.db',
      '/orchestrator/logs/%252e%252e',
      '/orchestrator/report?format=..%2F..%2Fetc%2Fpasswd',
    ];
    for (const p of paths) {
      const r = await api.get(p);
      expect([400, 404], `${p} -> ${r.status}`).toContain(r.status);
      expect(r.text).not.toMatch(/root:.*:0:0:/);
      expect(r.text).not.toContain('SQLite format');
    }
  });

  it('a symlink planted as a service log neither leaks its target nor gets written through', async () => {
    await sleep(300);
    const logs = await api.get('/orchestrator/logs/api?tail=1000');
    expect(logs.status).toBe(200);
    expect(logs.text).not.toContain(SECRET);
    expect(fs.readFileSync(victim, 'utf8')).toBe(SECRET + '\n');
  });
});

describe.skipIf(!fs.existsSync(path.join(ROOT, 'out', 'renderer', 'index.html')))(
  'the browser UI (--ui) static files',
  () => {
    it('cannot be escaped with .., encoded .. or backslashes', async () => {
      const t3 = new Tracker();
      try {
        const s = makeStack(t3, `version: 1\nservices:\n  idle:\n    command: [sleep, "3600"]\n`);
        const r = runVigil(t3, { stack: s, extraArgs: ['--ui'] });
        const a = await r.api();
        const index = await a.call('GET', '/', { token: false });
        expect(index.status).toBe(200);
        for (const p of [
          '/..%2f..%2fpackage.json',
          '/%2e%2e/%2e%2e/package.json',
          '/assets/..%2f..%2f..%2fpackage.json',
          '/..%5c..%5cpackage.json',
          '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd',
          '/index.html%00.png',
          '//etc/passwd',
        ]) {
          const res = await a.call('GET', p, { token: false });
          expect([400, 403, 404], `${p} -> ${res.status}`).toContain(res.status);
          expect(res.text).not.toMatch(/"name": "vigil"|root:.*:0:0:/);
        }
        expect((await stopVigil(r)).code).toBe(0);
      } finally {
        await t3.cleanup();
      }
    }, 40_000);
  },
);

describe.skipIf(!LINUX)('files Vigil writes', () => {
  // Regression: Vigil's own log once opened vigil.log with 'a', following a planted symlink.
  it("Vigil's own log does not write through a symlink planted in the data directory", async () => {
    const t2 = new Tracker();
    try {
      const { stack: s } = await oneServiceStack(t2);
      const target = path.join(t2.tempDir('vigil-victim-'), 'victim.txt');
      fs.writeFileSync(target, SECRET + '\n');
      const logs = path.join(s.dataDir, 'logs');
      fs.mkdirSync(logs, { recursive: true });
      for (const f of ['vigil.log', 'vigil-errors.log']) fs.symlinkSync(target, path.join(logs, f));
      const r = runVigil(t2, { stack: s });
      await r.waitFor(isReady, 20_000, 'ready');
      const a = await r.api();
      await a.post('/orchestrator/restart/nope');
      expect((await stopVigil(r)).code).toBe(0);
      expect(fs.readFileSync(target, 'utf8')).toBe(SECRET + '\n');
    } finally {
      await t2.cleanup();
    }
  }, 40_000);
});

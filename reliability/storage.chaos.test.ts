/**
 * Storage faults that take a while to show: a database another process holds locked (Vigil waits
 * out SQLite's busy timeout before it falls back) and a full disk (a small tmpfs filled to the last
 * byte, then freed). Vigil keeps the stack running, says plainly that history is not being saved,
 * and writes again once it can.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, portOpen } from '../src/main/core/testing/fixtures.js';
import type { HistoryStatusView } from '../src/shared/views.js';
import {
  LINUX,
  ROOT,
  Tracker,
  buildCli,
  isReady,
  makeStack,
  runVigil,
  serviceDetail,
  stopVigil,
  until,
  type Stack,
  type VigilRun,
} from './harness.js';
import { HTTP_SERVICE } from './services.js';

const t = new Tracker();
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const FILES = { 'svc.mjs': HTTP_SERVICE };
const stderrText = (run: VigilRun): string => run.stderr.join('\n');

/** The `history` field of a GET /orchestrator/status answer. */
const historyOf = (json: unknown): HistoryStatusView | undefined =>
  (json as { system?: { history?: HistoryStatusView } } | undefined)?.system?.history;

async function twoServices(): Promise<{ stack: Stack; ports: number[] }> {
  const ports = await freePorts(2);
  const stack = makeStack(
    t,
    `version: 1
services:
  db:
    command: node svc.mjs
    port: ${ports[0]}
  api:
    command: node svc.mjs
    port: ${ports[1]}
    depends_on: [db]
`,
    FILES,
  );
  return { stack, ports };
}

describe.skipIf(!LINUX)('storage faults', () => {
  it('a database locked by another process: Vigil runs its stack anyway and says history is not saved', async () => {
    const { stack, ports } = await twoServices();
    // A first run creates the database; then another process holds its write lock.
    const prep = runVigil(t, { stack });
    await prep.waitFor(isReady, 20_000, 'ready');
    expect((await stopVigil(prep)).code).toBe(0);
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec('BEGIN EXCLUSIVE'); db.exec("INSERT INTO meta(key, value) VALUES ('held', '1') ON CONFLICT(key) DO UPDATE SET value = '1'"); console.log('locked'); setInterval(() => {}, 1000);`,
        path.join(stack.dataDir, 'vigil.db'),
      ],
      {
        env: t.env({ NODE_PATH: path.join(ROOT, 'node_modules') }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    t.group(holder.pid);
    let holderErr = '';
    holder.stderr!.on('data', (d: Buffer) => (holderErr += d.toString()));
    const locked = await new Promise<boolean>((resolve) => {
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve(true));
      holder.on('exit', () => resolve(false));
    });
    expect(locked, holderErr).toBe(true);

    const run = runVigil(t, { stack });
    await run.waitFor(isReady, 40_000, 'ready despite the lock');
    expect(stderrText(run)).toMatch(/history is not being saved/);
    expect(stderrText(run)).toMatch(/locked|busy/i);
    const api = await run.api();
    const status = await api.get('/orchestrator/status');
    expect(status.status).toBe(200);
    // The API (and so the UI's status bar) says so, not only the log.
    const history = historyOf(status.json);
    expect(history?.state, JSON.stringify(history)).toMatch(/^(memory|degraded)$/);
    expect(history?.message).toMatch(/locked|busy/i);
    for (const p of ports) expect(await portOpen(p)).toBe(true);
    expect((await stopVigil(run)).code).toBe(0);
    process.kill(-holder.pid!, 'SIGKILL');
  }, 60_000);

  describe('a full disk (a small tmpfs as the data directory)', () => {
    let mountPoint: string | null = null;
    const canMount = (): boolean => {
      if (!IS_ROOT) return false;
      const dir = t.tempDir('vigil-full-');
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir]);
      if (r.status !== 0) return false;
      mountPoint = dir;
      t.onCleanup(() => spawnSync('umount', ['-l', dir]));
      return true;
    };

    it('keeps the stack running, says the disk is full, and writes again once space is back', async (ctx) => {
      if (!canMount()) {
        ctx.skip('needs root to mount a small tmpfs');
        return;
      }
      const [port] = await freePorts(1);
      const stack = makeStack(
        t,
        `version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
    health: { http: /health, interval: 50ms }
`,
        FILES,
      );
      const dataDir = mountPoint!;
      const run = runVigil(t, { stack, dataDir });
      await run.waitFor(isReady, 20_000, 'ready');
      const api = await run.api();
      // Fill the disk to the last byte.
      const filler = path.join(dataDir, 'filler');
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      expect(
        await until(() => /disk is full/.test(stderrText(run)), 15_000),
        `stderr:\n${stderrText(run)}`,
      ).toBe(true);
      // Degraded, not dead: the API answers, the service is probed and healthy, commands work.
      const status = await api.get('/orchestrator/status');
      expect(status.status).toBe(200);
      expect(historyOf(status.json)).toMatchObject({
        state: 'degraded',
        message: expect.stringMatching(/disk is full/),
      });
      // Every client was told once, as a status event on the stream.
      await run.waitFor(
        (e) => e.type === 'status_update' && /history is not being saved/.test(e.message),
        5_000,
        'a status event saying history is not saved',
      );
      expect((await api.post('/orchestrator/restart/api')).status).toBe(200);
      await run.next(
        (e) => e.type === 'service_event' && e.service === 'api' && e.to === 'running',
        15_000,
        'running after restart',
      );
      expect((await serviceDetail(api, 'api')).health).toBe('healthy');
      // Space comes back: history is written again.
      fs.rmSync(filler);
      expect(
        await until(() => /writing to .* again/.test(stderrText(run)), 20_000, 100),
        `stderr:\n${stderrText(run)}`,
      ).toBe(true);
      expect(historyOf((await api.get('/orchestrator/status')).json)?.state).toBe('ok');
      await run.waitFor(
        (e) => e.type === 'status_update' && /history is being saved again/.test(e.message),
        5_000,
        'a status event saying history is saved again',
      );
      expect((await stopVigil(run)).code).toBe(0);
      const h = new Database(path.join(dataDir, 'vigil.db'), { readonly: true });
      expect(h.pragma('integrity_check', { simple: true })).toBe('ok');
      const restarts = h
        .prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'healing_event'")
        .get() as { n: number };
      h.close();
      expect(restarts.n).toBeGreaterThan(0);
    }, 90_000);
  });
});

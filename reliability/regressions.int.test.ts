/**
 * Regression tests for bugs the battery found, each named after the bug, fast enough for
 * `npm test` (the chaos tier keeps the full-size cases).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VigilEvent } from '../src/shared/events.js';
import { describeSpawnError } from '../src/main/core/process/spawn.js';
import { MAX_UNREAD_LOG_BYTES, createPrinter } from '../src/main/cli/output.js';
import {
  BIN,
  LINUX,
  Tracker,
  buildCli,
  makeStack,
  rssBytes,
  runVigil,
  sleep,
  stopVigil,
  until,
} from './harness.js';
import { FLOOD, FORKER } from './services.js';

const t = new Tracker();
const HAVE_PRLIMIT = LINUX && spawnSync('prlimit', ['--version']).status === 0;
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

describe('regressions', () => {
  it('spawn EMFILE was reported as a bare "spawn EMFILE" (found by load.chaos: 500 services under ulimit -n 1024)', () => {
    const err = Object.assign(new Error('spawn /usr/bin/sleep EMFILE'), { code: 'EMFILE' });
    const text = describeSpawnError(err, '/usr/bin/sleep');
    expect(text).toMatch(/too many open files/);
    expect(text).toMatch(/ulimit -n/);
    if (LINUX) expect(text).toMatch(/limit of \d+ open files/);
  });

  it('spawn E2BIG (a 200 KB environment value) was reported as a bare "spawn E2BIG" (found by exploring env values)', () => {
    const err = Object.assign(new Error('spawn /usr/bin/node E2BIG'), { code: 'E2BIG' });
    const text = describeSpawnError(err, '/usr/bin/node');
    expect(text).toMatch(/too large \(E2BIG\)/);
    expect(text).toMatch(/128 KiB/);
  });

  it.skipIf(!HAVE_PRLIMIT)(
    'a stack larger than the open-file limit says so per service and Vigil stays up',
    async () => {
      const lines = ['version: 1', 'services:'];
      for (let i = 0; i < 100; i++)
        lines.push(`  s${i}:`, '    command: [sleep, "3600"]', '    health: { process: true }');
      const stack = makeStack(t, lines.join('\n') + '\n');
      const run = runVigil(t, { stack, wrap: ['prlimit', '--nofile=200', '--'] });
      const refused = (e: VigilEvent): boolean =>
        e.type === 'service_event' && e.reason.kind === 'spawn_error';
      expect(await until(() => run.events.some(refused), 30_000, 50)).toBe(true);
      const ev = run.events.find(refused)!;
      const text = ev.type === 'service_event' ? ev.reason.message : '';
      expect(text).toMatch(/too many open files \(EMFILE\)/);
      expect(text).toMatch(/limit of 200 open files/);
      expect(run.child.exitCode).toBeNull();
      expect((await stopVigil(run, 60_000)).code).toBe(0);
      expect(await until(() => t.tagged().length === 0, 10_000)).toBe(true);
    },
    60_000,
  );

  it('a stalled reader of `vigil up --json` made Vigil queue output without bound (found by websocket.chaos: memory over reconnects)', () => {
    const written: string[] = [];
    const notices: string[] = [];
    const out = {
      writableLength: MAX_UNREAD_LOG_BYTES + 1,
      write(text: string) {
        written.push(text);
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const printer = createPrinter(out, { json: true, notice: (n) => notices.push(n) });
    const log = { type: 'log', ts: 1, service: 'a', stream: 'stdout', line: 'x', seq: 1 } as const;
    const status = { type: 'status_update', ts: 1, system: 'healthy', message: 'ok' } as const;
    for (let i = 0; i < 1000; i++) printer.print({ ...log, seq: i });
    printer.print(status);
    // Log lines are dropped while the reader is behind; other events still go out.
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!).type).toBe('status_update');
    (out as unknown as { writableLength: number }).writableLength = 0;
    printer.print(log);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/1000 log lines were not printed/);
    expect(written).toHaveLength(2);
  });

  it.skipIf(!LINUX)(
    'vigil up --json whose stdout is not read keeps its memory bounded and says what it dropped',
    async () => {
      const stack = makeStack(
        t,
        `version: 1\nservices:\n  flood:\n    command: [node, flood.mjs]\n`,
        {
          'flood.mjs': FLOOD,
        },
      );
      const child = spawn(
        process.execPath,
        [BIN, 'up', '-f', stack.file, '--json', '--port', '0', '--data-dir', stack.dataDir],
        { cwd: stack.dir, env: t.env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      t.group(child.pid);
      const stderr: string[] = [];
      readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
      child.stdout!.pause(); // nobody reads
      expect(await until(() => fs.existsSync(path.join(stack.dataDir, 'vigil.lock')), 20_000)).toBe(
        true,
      );
      await sleep(1_000);
      const rss0 = rssBytes(child.pid!)!;
      let rssMax = rss0;
      for (let i = 0; i < 12; i++) {
        await sleep(500);
        rssMax = Math.max(rssMax, rssBytes(child.pid!) ?? 0);
      }
      expect(rssMax - rss0).toBeLessThan(100 * 1024 * 1024);
      child.stdout!.resume();
      child.stdout!.on('data', () => undefined);
      expect(
        await until(() => stderr.some((l) => /output was not being read/.test(l)), 20_000),
      ).toBe(true);
      const exited = new Promise((r) => child.on('exit', r));
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
    60_000,
  );

  it.skipIf(!LINUX)(
    'a service ended for its process limit was reported as "killed by SIGKILL" (found by fork.chaos)',
    async () => {
      const stack = makeStack(
        t,
        `version: 1\nservices:\n  forker:\n    command: [node, forker.mjs]\n    limits: { processes: 5 }\n    restart: { backoff: [100ms], max_attempts: 1 }\n`,
        { 'forker.mjs': FORKER },
      );
      const run = runVigil(t, { stack });
      const ended = await run.waitFor(
        (e) => e.type === 'service_event' && e.service === 'forker' && e.to === 'backoff',
        30_000,
        'forker ended',
      );
      expect(ended.type === 'service_event' && ended.reason.kind).toBe('process_limit');
      expect(ended.type === 'service_event' && ended.reason.message).toMatch(
        /processes over the limit of 5 processes/,
      );
      expect((await stopVigil(run)).code).toBe(0);
    },
    60_000,
  );

  it.skipIf(!LINUX)(
    'a log pattern with nested quantifiers froze Vigil on a line that almost matched (found by exploring log probes)',
    async () => {
      const stack = makeStack(
        t,
        `version: 1
services:
  evil:
    command: node -e "console.log('a'.repeat(40) + '!'); setTimeout(() => console.log('aaa'), 500); setInterval(() => {}, 1000)"
    health: { log: "^(a+)+$" }
  other:
    command: node -e "setInterval(() => {}, 1000)"
`,
      );
      const run = runVigil(t, { stack, keepLogs: true });
      const api = await run.api();
      await run.waitFor((e) => e.type === 'log' && e.service === 'evil', 20_000, 'the evil line');
      // Without the linear-time fallback this search takes hours and nothing else runs meanwhile.
      for (let i = 0; i < 3; i++) {
        const r = await api.call('GET', '/orchestrator/status', { timeoutMs: 10_000 });
        expect(r.status).toBe(200);
      }
      // The pattern still works: the later line "aaa" matches and the service becomes ready.
      await run.waitFor(
        (e) => e.type === 'service_event' && e.service === 'evil' && e.to === 'running',
        20_000,
        'evil ready on its matching line',
      );
      expect((await stopVigil(run)).code).toBe(0);
    },
    60_000,
  );

  it.skipIf(!LINUX)(
    'a refused cyclic registration stayed in the graph and made every later registration and reload fail (found by exploring the register API)',
    async () => {
      const stack = makeStack(
        t,
        `version: 1\nservices:\n  base:\n    command: [node, -e, "setInterval(() => {}, 1000)"]\n`,
      );
      const run = runVigil(t, { stack });
      const api = await run.api();
      const register = (body: object) => api.post('/orchestrator/register', body);
      const url = 'http://127.0.0.1:1/';
      expect((await register({ name: 'x1', url, depends_on: ['base'] })).status).toBe(200);
      expect((await register({ name: 'x2', url, depends_on: ['x1'] })).status).toBe(200);
      const cyclic = await register({ name: 'x1', url, depends_on: ['x2'] });
      expect(cyclic.status).toBe(400);
      expect((cyclic.json as { error: { code: string } }).error.code).toBe('STACK_CYCLE');
      // Nothing of the refused registration remains.
      expect((await register({ name: 'x3', url })).status).toBe(200);
      const reload = await api.post('/orchestrator/reload');
      expect(reload.status, reload.text).toBe(200);
      expect((reload.json as { applied: boolean }).applied).toBe(true);
      const deps = (await api.get('/orchestrator/dependencies')).json as {
        edges: { from: string; to: string }[];
      };
      expect(deps.edges.some((e) => e.from === 'x1' && e.to === 'x2')).toBe(false);
      expect((await stopVigil(run)).code).toBe(0);
    },
    60_000,
  );
});

/**
 * Regression tests for bugs the battery found, each named after the bug, fast enough for
 * `npm test` (the chaos tier keeps the full-size cases).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VigilEvent } from '../shared/events.js';
import { describeSpawnError } from '../main/core/process/spawn.js';
import { LINUX, Tracker, buildCli, makeStack, runVigil, stopVigil, until } from './harness.js';

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
});

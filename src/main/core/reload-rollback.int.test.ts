/**
 * Reload rollback with real processes: a valid edit whose changed services crash or never get
 * ready is rolled back to the last good definition, the file on disk is left as written, and a
 * later good edit applies normally. `settings.reload_rollback: false` keeps the edit.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusEvent, VigilEvent } from '../../shared/events.js';
import { loadStack } from './config/index.js';
import { silentLogger } from './logger.js';
import { createReloader, type Reloader } from './reload.js';
import { Supervisor } from './supervisor.js';
import { statusSnapshot } from '../api/views.js';
import { EventLog, freePorts, pidAlive, tempStack, type TempStack } from './testing/fixtures.js';

let stacks: TempStack[] = [];
let sups: Supervisor[] = [];
let reloaders: Reloader[] = [];

afterEach(async () => {
  for (const r of reloaders) r.close();
  for (const s of sups) await s.shutdown('stopped', 'SIGKILL').catch(() => undefined);
  for (const s of stacks) s.cleanup();
  reloaders = [];
  sups = [];
  stacks = [];
});

const idle = (name: string, mark: string, extra = ''): string =>
  `  ${name}:\n    command: node -e "setInterval(() => {}, 1000)"\n    env: { MARK: ${mark} }\n${extra}`;
const crashing = (name: string): string =>
  `  ${name}:\n    command: node -e "console.error('boom'); process.exit(1)"\n    restart: { backoff: [200ms] }\n`;

async function startWatched(
  yaml: string,
): Promise<{ sup: Supervisor; log: EventLog; stack: TempStack; reloader: Reloader }> {
  const stack = tempStack(yaml);
  stacks.push(stack);
  const loaded = loadStack(stack.file, { env: process.env });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const sup = new Supervisor({
    config: loaded.config,
    dataDir: stack.dataDir,
    sampleIntervalMs: 0,
  });
  sups.push(sup);
  const log = new EventLog();
  sup.subscribe(log.push);
  await sup.start();
  await log.waitFor(
    (e) => e.type === 'status_update' && e.event === 'system-ready',
    20_000,
    'system-ready',
  );
  const reloader = createReloader(sup, { logger: silentLogger, env: process.env });
  reloaders.push(reloader);
  reloader.watch();
  return { sup, log, stack, reloader };
}

const statusEvent =
  (name: 'config-reloaded' | 'config-rolled-back') =>
  (e: VigilEvent): e is StatusEvent =>
    e.type === 'status_update' && e.event === name;

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function envOf(pid: number | null): string {
  if (pid === null) return '';
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return '';
  }
}

const running = (sup: Supervisor, name: string): boolean =>
  sup.runners.get(name)?.lifecycle === 'running';

describe('reload rollback', () => {
  it('rolls back a change whose service crashes, keeps the file, and applies a later good edit', async () => {
    const v1 = `version: 1
services:
${idle('api', 'one')}
${idle('db', 'one')}
`;
    const { sup, log, stack } = await startWatched(v1);
    const dbPid = sup.runner('db').pid;
    const v2 = `version: 1
services:
${crashing('api')}
${idle('db', 'one')}
${idle('fresh', 'one')}
`;
    stack.write(v2);
    await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded');
    const rolled = await log.next(statusEvent('config-rolled-back'), 15_000, 'config-rolled-back');
    expect(rolled.type === 'status_update' && rolled.message).toMatch(
      /^stack file change rolled back \(api: exited with code 1\); running the last good configuration of .*api.*which differs from the file on disk$/,
    );
    // api runs its last good definition again, the service the change added is gone.
    await until(() => running(sup, 'api'), 'api back on its last good definition');
    expect(envOf(sup.runner('api').pid)).toContain('MARK=one');
    expect(sup.runners.has('fresh')).toBe(false);
    // Untouched services kept their process; the file on disk is as the user wrote it.
    expect(sup.runner('db').pid).toBe(dbPid);
    expect(pidAlive(dbPid!)).toBe(true);
    expect(fs.readFileSync(stack.file, 'utf8')).toBe(v2);
    const snap = statusSnapshot(sup);
    expect(snap.system.config_rollback?.message).toContain('api: exited with code 1');
    expect(sup.config.services.map((s) => s.name).sort()).toEqual(['api', 'db']);
    const restart = log.events.find(
      (e) =>
        e.type === 'healing_event' &&
        e.service === 'api' &&
        e.reason.message.startsWith('rolled back to the last good definition'),
    );
    expect(restart).toBeDefined();

    // A later good edit applies normally and clears the difference.
    stack.write(`version: 1
services:
${idle('api', 'three')}
${idle('db', 'one')}
`);
    await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded after the fix');
    await until(() => envOf(sup.runner('api').pid).includes('MARK=three'), 'api with MARK=three');
    expect(statusSnapshot(sup).system.config_rollback).toBeNull();
    await new Promise((r) => setTimeout(r, 500));
    expect(log.events.filter(statusEvent('config-rolled-back'))).toHaveLength(1);
  }, 60_000);

  it('rolls back a change whose service is not ready within its startup timeout', async () => {
    const [port] = await freePorts(1);
    const v1 = `version: 1
services:
${idle('api', 'one')}
`;
    const { sup, log, stack } = await startWatched(v1);
    stack.write(`version: 1
services:
  api:
    command: node -e "setInterval(() => {}, 1000)"
    env: { MARK: two }
    startup_timeout: 1s
    health: { tcp: { port: ${port} }, interval: 200ms }
    restart: { backoff: [5s] }
`);
    const rolled = await log.next(statusEvent('config-rolled-back'), 15_000, 'config-rolled-back');
    expect(rolled.type === 'status_update' && rolled.message).toContain(
      'api: not ready within the startup timeout of 1s',
    );
    await until(() => running(sup, 'api'), 'api back');
    expect(envOf(sup.runner('api').pid)).toContain('MARK=one');
  }, 60_000);

  it('keeps a failing change when settings.reload_rollback is false', async () => {
    const v1 = `version: 1
settings: { reload_rollback: false }
services:
${idle('api', 'one')}
`;
    const { sup, log, stack } = await startWatched(v1);
    stack.write(`version: 1
settings: { reload_rollback: false }
services:
${crashing('api')}
`);
    await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded');
    await until(() => sup.runner('api').restartCount >= 3, 'api crash-looping', 15_000);
    expect(log.events.some(statusEvent('config-rolled-back'))).toBe(false);
    expect(statusSnapshot(sup).system.config_rollback).toBeNull();
  }, 60_000);
});

/**
 * Hot reload with real processes: the stack file (and an env file) of a running stack is edited
 * on disk and the watcher applies the difference. Services whose definition did not change keep
 * their process; a broken edit is rejected and the last good stack keeps running.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceEvent, StatusEvent, VigilEvent } from '../../shared/events.js';
import { loadStack } from './config/index.js';
import { silentLogger } from './logger.js';
import { createReloader, type Reloader } from './reload.js';
import { Supervisor } from './supervisor.js';
import { EventLog, pidAlive, tempStack, type TempStack } from './testing/fixtures.js';

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

/** A long-running service that prints its marker so a test can tell generations apart. */
const idle = (name: string, extra = ''): string =>
  `  ${name}:\n    command: node -e "console.log(process.env.MARK ?? ''); setInterval(() => {}, 1000)"\n${extra}`;

async function startWatched(
  yaml: string,
  files: Record<string, string> = {},
): Promise<{ sup: Supervisor; log: EventLog; stack: TempStack }> {
  const stack = tempStack(yaml, files);
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
  return { sup, log, stack };
}

const statusEvent =
  (name: 'config-reloaded' | 'config-rejected') =>
  (e: VigilEvent): e is StatusEvent =>
    e.type === 'status_update' && e.event === name;

/** Polls `check` until it holds (bounded), then returns; throws with `what` otherwise. */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pids(sup: Supervisor): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, r] of sup.runners) out[name] = r.pid;
  return out;
}

const running = (sup: Supervisor, name: string): boolean =>
  sup.runners.get(name)?.lifecycle === 'running' && sup.runners.get(name)?.pid !== null;

function envOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return '';
  }
}

const linux = process.platform === 'linux';

describe('hot reload of a running stack', () => {
  it('applies a change, an addition and a removal; rejects a broken edit; then takes the fix', async () => {
    const v1 = `version: 1
services:
${idle('keep')}
${idle('change', '    env: { MARK: one }\n')}
${idle('gone')}
`;
    const { sup, log, stack } = await startWatched(v1);
    const before = pids(sup);
    expect(Object.values(before).every((p) => p !== null && pidAlive(p))).toBe(true);

    // 1. change one, add one, remove one
    const v2 = `version: 1
services:
${idle('keep')}
${idle('change', '    env: { MARK: two }\n')}
${idle('fresh', '    depends_on: [keep]\n')}
`;
    stack.write(v2);
    const reloaded = await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded');
    expect(reloaded.type === 'status_update' && reloaded.message).toMatch(
      /added: fresh; removed: gone; restarted: change/,
    );
    await until(
      () => running(sup, 'change') && sup.runners.get('change')!.pid !== before.change,
      'change to run again',
    );
    await until(() => running(sup, 'fresh'), 'fresh to run');
    expect(sup.runners.has('gone')).toBe(false);
    await until(() => !pidAlive(before.gone!), 'the removed service to exit');
    // The untouched service kept its process.
    expect(sup.runners.get('keep')!.pid).toBe(before.keep);
    expect(pidAlive(before.change!)).toBe(false);
    const restart = log.events.find(
      (e): e is ServiceEvent =>
        e.type === 'service_event' && e.service === 'change' && e.reason.kind === 'config_change',
    );
    expect(restart?.reason.message).toBe('definition changed in the stack file');
    if (linux) expect(envOf(sup.runners.get('change')!.pid!)).toContain('MARK=two');
    const good = pids(sup);

    // 2. a broken edit: rejected with its location, the running stack untouched
    stack.write(v2.replace('depends_on: [keep]', 'depends_on: [kep]'));
    const rejected = await log.next(statusEvent('config-rejected'), 10_000, 'config-rejected');
    expect(rejected.type === 'status_update' && rejected.message).toMatch(
      /vigil\.yaml:\d+:\d+: .*"kep".*still running the last good configuration/,
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(pids(sup)).toEqual(good);
    expect(sup.config.services.map((s) => s.name)).toEqual(['keep', 'change', 'fresh']);
    expect(sup.runners.get('fresh')!.spec.dependsOn.map((d) => d.name)).toEqual(['keep']);

    // 3. the fix, with one more change, saved the way editors do (a new file renamed over the
    // old one): only the changed service restarts
    const fixed = v2.replace(
      '    depends_on: [keep]\n',
      '    depends_on: [keep]\n    env: { MARK: fixed }\n',
    );
    fs.writeFileSync(`${stack.file}.swp`, fixed);
    fs.renameSync(`${stack.file}.swp`, stack.file);
    await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded after the fix');
    await until(
      () => running(sup, 'fresh') && sup.runners.get('fresh')!.pid !== good.fresh,
      'fresh to run again',
    );
    expect(sup.runners.get('keep')!.pid).toBe(good.keep);
    expect(sup.runners.get('change')!.pid).toBe(good.change);
    if (linux) expect(envOf(sup.runners.get('fresh')!.pid!)).toContain('MARK=fixed');
  }, 60_000);

  it('applies a health-only change in place, restarting nothing', async () => {
    const v1 = `version: 1
services:
${idle('a', '    health: { process: true, interval: 2s }\n')}
${idle('b')}
`;
    const { sup, log, stack } = await startWatched(v1);
    const before = pids(sup);
    const transitions = (): number => log.events.filter((e) => e.type === 'service_event').length;
    const count = transitions();
    stack.write(
      v1.replace(
        '    health: { process: true, interval: 2s }\n',
        '    health: { process: true, interval: 500ms, failure_threshold: 5 }\n    restart: { backoff: [2s] }\n',
      ),
    );
    const ev = await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded');
    expect(ev.type === 'status_update' && ev.message).toMatch(/updated in place: a/);
    expect(ev.type === 'status_update' && ev.message).not.toMatch(/restarted/);
    await new Promise((r) => setTimeout(r, 400));
    expect(pids(sup)).toEqual(before);
    expect(transitions()).toBe(count);
    const a = sup.runners.get('a')!;
    expect(a.spec.health.intervalMs).toBe(500);
    expect(a.spec.health.failureThreshold).toBe(5);
    expect(a.spec.restart.backoffMs).toEqual([2000]);
  }, 30_000);

  it('restarts only the services that use an env file when it changes', async () => {
    const v1 = `version: 1
services:
${idle('uses', '    env_file: app.env\n')}
${idle('other')}
`;
    const { sup, log, stack } = await startWatched(v1, { 'app.env': 'MARK=first\n' });
    const before = pids(sup);
    if (linux) expect(envOf(before.uses!)).toContain('MARK=first');
    fs.writeFileSync(`${stack.dir}/app.env`, 'MARK=second\n');
    const ev = await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded');
    expect(ev.type === 'status_update' && ev.message).toMatch(/restarted: uses/);
    await until(
      () => running(sup, 'uses') && sup.runners.get('uses')!.pid !== before.uses,
      'uses to run again',
    );
    expect(sup.runners.get('other')!.pid).toBe(before.other);
    if (linux) expect(envOf(sup.runners.get('uses')!.pid!)).toContain('MARK=second');
  }, 30_000);

  it('applies an edit that was rejected for a missing env file once that file appears', async () => {
    const v1 = `version: 1
services:
${idle('svc')}
`;
    const { sup, log, stack } = await startWatched(v1);
    const before = pids(sup);
    stack.write(`version: 1
services:
${idle('svc', '    env_file: local.env\n')}
`);
    const rejected = await log.next(statusEvent('config-rejected'), 10_000, 'config-rejected');
    expect(rejected.type === 'status_update' && rejected.message).toMatch(/local\.env/);
    expect(sup.runners.get('svc')!.pid).toBe(before.svc);
    fs.writeFileSync(`${stack.dir}/local.env`, 'MARK=late\n');
    await log.next(
      statusEvent('config-reloaded'),
      10_000,
      'config-reloaded after the env file appeared',
    );
    await until(
      () => running(sup, 'svc') && sup.runners.get('svc')!.pid !== before.svc,
      'svc to restart',
    );
    if (linux) expect(envOf(sup.runners.get('svc')!.pid!)).toContain('MARK=late');
  }, 30_000);

  it('regression: an unchanged service with a log probe keeps running when another service is edited', async () => {
    const logged = (name: string, extra = ''): string =>
      `  ${name}:\n    command: node -e "console.log('${name} ready'); setInterval(() => {}, 1000)"\n    health:\n      log: "${name} ready"\n      interval: 100ms\n${extra}`;
    const v1 = `version: 1
services:
${logged('cache')}
${idle('web')}
`;
    const { sup, log, stack } = await startWatched(v1);
    const before = pids(sup);
    stack.write(`version: 1
services:
${logged('cache')}
${idle('web', '    env: { MARK: edited }\n')}
`);
    await log.next(statusEvent('config-reloaded'), 10_000, 'config-reloaded');
    await until(
      () => running(sup, 'web') && sup.runners.get('web')!.pid !== before.web,
      'web restarted',
    );
    // Long enough for several probes of cache: it must stay healthy and keep its process.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sup.runners.get('cache')!.pid).toBe(before.cache);
    expect(sup.runners.get('cache')!.health).toBe('healthy');
    expect(log.events.some((e) => e.type === 'healing_event' && e.service === 'cache')).toBe(false);
  }, 30_000);
});

/**
 * A registered service on a fake clock: watched by its heartbeats, never restarted, refusing
 * what Vigil cannot do to a process it does not own.
 */
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ServiceEvent, VigilEvent } from '../../../shared/events.js';
import { FakeClock } from '../clock.js';
import { parseStack } from '../config/index.js';
import { Cadence } from '../health/cadence.js';
import { silentLogger } from '../logger.js';
import { removeTempDirs, tempDir } from '../testing/temp.js';
import { ExternalRunner } from './external-runner.js';
import { Gate } from './gate.js';
import type { RunnerContext } from './runner.js';

afterEach(() => removeTempDirs());

function harness() {
  const dir = tempDir();
  const text = `version: 1\nservices:\n  payments:\n    command: "true"\n    health: { interval: 1s, start_interval: 200ms }\n`;
  const loaded = parseStack(text, path.join(dir, 'vigil.yaml'), { env: {} });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const clock = new FakeClock();
  const events: VigilEvent[] = [];
  const ctx: RunnerContext = {
    clock,
    cadence: new Cadence(clock),
    logger: silentLogger,
    settings: loaded.config.settings,
    baseEnv: {},
    runMarker: 'run1',
    logsDir: dir,
    gate: new Gate(4),
    random: () => 0.5,
    emit: (ev) => events.push(ev),
    lookup: () => undefined,
    changed: () => {},
    restartDependency: () => {},
    restartStack: () => {},
    recordProcess: () => {},
  };
  const runner = new ExternalRunner(loaded.config.services[0]!, 0, ctx, {
    url: 'http://127.0.0.1:9',
    healthPath: null,
    intervalMs: 1_000,
  });
  const advance = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= 100) {
      clock.advance(Math.min(100, left));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
  };
  const moves = (): string[] =>
    events
      .filter((e): e is ServiceEvent => e.type === 'service_event')
      .map((e) => `${e.from}->${e.to}`);
  return { runner, advance, moves };
}

const manual = { kind: 'manual', message: 'test', by: 'api' } as const;

it('runs on heartbeats; missed ones are its health, never a restart', async () => {
  const { runner, advance, moves } = harness();
  expect(runner.external.url).toBe('http://127.0.0.1:9');
  runner.requestUp({ kind: 'launch', message: 'registered itself' });
  expect(runner.lifecycle).toBe('starting');
  await advance(300);
  expect(runner.lifecycle).toBe('running');
  expect(runner.health).toBe('healthy');
  await advance(4_000); // no heartbeat: more than two intervals
  expect(runner.health).toBe('timeout');
  expect(runner.lifecycle).toBe('running');
  expect(runner.lastError).toMatch(/missed heartbeats/);
  expect(runner.facts()).toMatchObject({ failedSinceUp: true });
  for (let i = 0; i < 4; i++) {
    runner.heartbeat();
    await advance(1_000);
  }
  expect(runner.health).toBe('healthy');
  expect(moves()).toEqual(['pending->starting', 'starting->running']);
});

it('refuses what Vigil cannot do to it; a shutdown or leaving stops the watch', async () => {
  const { runner, advance, moves } = harness();
  runner.requestUp({ kind: 'launch', message: 'registered itself' });
  await advance(300);
  for (const op of [
    () => runner.stop(manual),
    () => runner.start(manual),
    () => runner.restart(manual),
    () => runner.quarantine(manual),
    () => runner.release(manual),
  ]) {
    await expect(op()).rejects.toMatchObject({ code: 'CONFLICT' });
  }
  expect(runner.lifecycle).toBe('running');
  await runner.stop({ kind: 'shutdown', message: 'stopping Vigil' });
  expect(runner.lifecycle).toBe('stopped');
  runner.requestUp({ kind: 'launch', message: 'registered itself again' });
  await advance(300);
  runner.leave({ kind: 'manual', message: 'deregistered over the API' });
  expect(runner.facts()).toMatchObject({ lifecycle: 'stopped', stoppedByUser: true });
  expect(await runner.checkNow()).toBeNull();
  expect(moves()).toEqual([
    'pending->starting',
    'starting->running',
    'running->stopped',
    'stopped->starting',
    'starting->running',
    'running->stopped',
  ]);
  runner.dispose();
});

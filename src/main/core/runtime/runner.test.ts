/**
 * One ServiceRunner on a fake clock with scripted processes (`FakeLauncher`): crash loops,
 * startup timeouts, stubborn stops and quarantine, end to end through the lifecycle machine, the
 * healing engine and the health monitor, without a real process. The same paths run with real
 * processes in the integration tests (supervisor.int.test.ts, healing.int.test.ts).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealingEvent, ServiceEvent, VigilEvent } from '../../../shared/events.js';
import { FakeClock } from '../clock.js';
import { parseStack } from '../config/index.js';
import { Cadence } from '../health/cadence.js';
import { silentLogger } from '../logger.js';
import type { SpawnRequest } from '../process/spawn.js';
import { FakeLauncher, type ProcessScript } from '../process/testing/fake-launcher.js';
import { removeTempDirs, tempDir } from '../testing/temp.js';
import { Gate } from './gate.js';
import { ServiceLogs } from '../process/index.js';
import { ServiceRunner, type InstanceIdentity, type RunnerContext } from './runner.js';

afterEach(() => removeTempDirs());

const manual = { kind: 'manual', message: 'test', by: 'api' } as const;

function harness(
  service: string,
  script: (req: SpawnRequest, n: number) => ProcessScript,
  instance?: (logs: ServiceLogs) => InstanceIdentity,
) {
  const dir = tempDir();
  const text = `version: 1\nservices:\n  api:\n    command: node api.js\n${service}`;
  const loaded = parseStack(text, path.join(dir, 'vigil.yaml'), { env: {} });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const clock = new FakeClock();
  const launcher = new FakeLauncher(clock, script);
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
    launcher,
  };
  const spec = loaded.config.services[0]!;
  const runner = new ServiceRunner(
    spec,
    0,
    ctx,
    instance ? instance(new ServiceLogs({ name: spec.name, logsDir: dir })) : null,
  );
  /** Lets promise chains (gate, probes, reaps, stops) run. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  };
  /** Moves the clock in small steps, letting what each step started finish. */
  const advance = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= 50) {
      clock.advance(Math.min(50, left));
      await settle();
    }
  };
  const moves = (): string[] =>
    events
      .filter((e): e is ServiceEvent => e.type === 'service_event')
      .map((e) => `${e.from}->${e.to}`);
  const healing = (): HealingEvent[] =>
    events.filter((e): e is HealingEvent => e.type === 'healing_event');
  return { runner, clock, launcher, events, settle, advance, moves, healing };
}

/** Ready when it has written "ready" (a log probe: no sockets). */
const READY = `    health: { log: ready, start_interval: 100ms, interval: 500ms }\n`;

describe('ServiceRunner with scripted processes', () => {
  it('crash -> backoff -> restart: a new generation comes up, the old one is never touched', async () => {
    const h = harness(`${READY}    restart: { backoff: [2s] }\n`, (_req, n) =>
      n === 0 ? { output: ['ready'], exitAfterMs: 1_000, exitCode: 3 } : { output: ['ready'] },
    );
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.settle();
    expect(h.launcher.spawned).toHaveLength(1);
    expect(h.runner.lifecycle).toBe('starting');
    await h.advance(200);
    expect(h.runner.lifecycle).toBe('running');

    await h.advance(900); // the script exits at 1 s
    expect(h.runner.lifecycle).toBe('backoff');
    expect(h.runner.lastError).toBe('exited with code 3');
    const scheduled = h.healing().find((e) => e.action === 'restart_scheduled');
    expect(scheduled).toMatchObject({ delayMs: 2_000, attempt: 1 });
    const backoff = h.events.find(
      (e): e is ServiceEvent => e.type === 'service_event' && e.to === 'backoff',
    )!;
    expect(backoff.nextAttemptAt).toBe(backoff.ts + 2_000);
    expect(h.runner.nextAttemptAtMono).toBe(1_000 + 2_000);
    expect(h.launcher.spawned).toHaveLength(1);

    await h.advance(1_850); // up to 50 ms before the attempt
    expect(h.launcher.spawned).toHaveLength(1);
    await h.advance(100);
    expect(h.launcher.spawned).toHaveLength(2);
    expect(h.healing().map((e) => e.action)).toContain('restart');
    await h.advance(200);
    expect(h.moves()).toEqual([
      'pending->starting',
      'starting->running',
      'running->backoff',
      'backoff->starting',
      'starting->running',
    ]);
    expect(h.runner.generation).toBe(2);
    expect(h.runner.restartCount).toBe(1);
    expect(h.launcher.live()).toHaveLength(1);
    expect(h.launcher.last.marker).toBe('run1:api/2');
  });

  it('not ready within its startup timeout: killed (rung 1), then restarted after its backoff', async () => {
    const h = harness(
      `${READY}    startup_timeout: 2s\n    restart: { backoff: [1s] }\n    stop: { timeout: 5s }\n`,
      () => ({}), // never says "ready"
    );
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.settle();
    expect(h.runner.startupDeadlineWall()).toBe(h.clock.wallNow() + 2_000);
    await h.advance(1_950);
    expect(h.runner.lifecycle).toBe('starting');
    await h.advance(100);
    const first = h.launcher.spawned[0]!;
    expect(first.signals).toEqual(['SIGKILL']); // rung 1 is immediate: no stop timeout
    expect(h.runner.lastError).toBe('not ready within the startup timeout of 2s');
    expect(h.runner.lifecycle).toBe('backoff');
    const stopping = h.events.find(
      (e): e is ServiceEvent => e.type === 'service_event' && e.to === 'stopping',
    )!;
    expect(stopping.reason).toMatchObject({
      kind: 'startup_timeout',
      message: 'stopping the failing instance: not ready within the startup timeout of 2s',
    });
    await h.advance(1_050);
    expect(h.launcher.spawned).toHaveLength(2);
    expect(h.moves()).toEqual([
      'pending->starting',
      'starting->stopping',
      'stopping->backoff',
      'backoff->starting',
    ]);
  });

  it('a stop whose SIGTERM is ignored ends with SIGKILL after the stop timeout', async () => {
    const h = harness(`${READY}    stop: { timeout: 3s }\n`, () => ({
      output: ['ready'],
      onSignal: 'ignore',
    }));
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.advance(200);
    expect(h.runner.lifecycle).toBe('running');
    const proc = h.launcher.last;
    let stopped = false;
    const stopping = h.runner.stop(manual).then(() => (stopped = true));
    await h.settle();
    expect(h.runner.lifecycle).toBe('stopping');
    expect(proc.signals).toEqual(['SIGTERM']);
    await h.advance(2_900);
    expect(proc.alive).toBe(true);
    expect(stopped).toBe(false);
    await h.advance(200);
    await stopping;
    expect(proc.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(h.runner.lifecycle).toBe('stopped');
    expect(h.runner.stoppedByUser).toBe(true);
    expect(h.runner.pid).toBeNull();
    expect(h.moves().slice(-2)).toEqual(['running->stopping', 'stopping->stopped']);
    // The last sweep looked for every instance of the service (escaped descendants).
    expect(h.launcher.sweeps.length).toBeGreaterThan(0);
    // No healing: the exit was asked for.
    expect(h.healing().map((e) => e.action)).not.toContain('restart_scheduled');
  });

  it('a crash loop ends in quarantine; start is refused, release brings it back', async () => {
    const h = harness(`${READY}    restart: { backoff: [1s], max_attempts: 2 }\n`, () => ({
      exitAfterMs: 100,
    }));
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.advance(5_000);
    expect(h.runner.lifecycle).toBe('quarantined');
    expect(h.launcher.spawned).toHaveLength(3); // the first and two attempts
    await h.advance(10_000);
    expect(h.launcher.spawned).toHaveLength(3);
    expect(h.healing().map((e) => e.action)).toContain('quarantine');
    await expect(h.runner.start(manual)).rejects.toMatchObject({ code: 'QUARANTINED' });
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.settle();
    expect(h.launcher.spawned).toHaveLength(3);
    await h.runner.release(manual);
    await h.settle();
    expect(h.launcher.spawned).toHaveLength(4);
    expect(h.moves().slice(-2)).toEqual(['quarantined->stopped', 'stopped->starting']);
  });

  it('a stop during backoff cancels the attempt', async () => {
    const h = harness(`${READY}    restart: { backoff: [2s] }\n`, () => ({ exitAfterMs: 100 }));
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.advance(300);
    expect(h.runner.lifecycle).toBe('backoff');
    await h.runner.stop(manual);
    expect(h.runner.lifecycle).toBe('stopped');
    expect(h.runner.nextAttemptAtMono).toBeNull();
    await h.advance(5_000);
    expect(h.launcher.spawned).toHaveLength(1);
    expect(h.moves().slice(-2)).toEqual(['backoff->stopping', 'stopping->stopped']);
  });

  it('a command that cannot start is a failed start, retried after its backoff', async () => {
    const h = harness(`${READY}    restart: { backoff: [1s] }\n`, (_req, n) =>
      n === 0 ? { spawnError: 'command not found: node' } : { output: ['ready'] },
    );
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.settle();
    expect(h.runner.lifecycle).toBe('backoff');
    expect(h.runner.lastError).toBe('command not found: node');
    await h.advance(1_300);
    expect(h.runner.lifecycle).toBe('running');
    expect(h.runner.generation).toBe(2);
  });

  it('a restart stops the old generation before the new one is spawned', async () => {
    const h = harness(READY, () => ({ output: ['ready'], onSignal: 'exit0' }));
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.advance(200);
    const restarts = Promise.all([h.runner.restart(manual), h.runner.restart(manual)]);
    await h.settle();
    await restarts;
    expect(h.launcher.spawned).toHaveLength(2);
    expect(h.launcher.spawned[0]!.alive).toBe(false);
    expect(h.launcher.live()).toHaveLength(1);
    expect(h.moves().slice(1)).toEqual([
      'starting->running',
      'running->stopping',
      'stopping->stopped',
      'stopped->starting',
    ]);
  });

  it('an instance over its memory limit is drained before it is killed, then restarted', async () => {
    const drains: { at: number; signals: number }[] = [];
    let finishDrain: () => void = () => {};
    const h = harness(
      `${READY}    limits: { memory: 10MB }\n    restart: { backoff: [1s] }\n`,
      () => ({ output: ['ready'] }),
      (logs) => ({
        id: 'api#0',
        service: 'api',
        index: 0,
        logs,
        drain: () => {
          drains.push({ at: h.clock.now(), signals: h.launcher.last.signals.length });
          return new Promise<void>((r) => (finishDrain = r));
        },
      }),
    );
    h.runner.requestUp({ kind: 'launch', message: 'launch' });
    await h.advance(200);
    expect(h.runner.lifecycle).toBe('running');
    const first = h.launcher.last;
    expect(first.env).toMatchObject({ VIGIL_REPLICA: '0', VIGIL_INSTANCE: 'api#0' });
    h.runner.onSample({ cpuPercent: 1, rssBytes: 64 * 1024 * 1024, processes: 1 });
    await h.settle();
    expect(h.runner.lifecycle).toBe('stopping');
    expect(drains).toEqual([{ at: 200, signals: 0 }]); // drained before any signal
    expect(first.alive).toBe(true);
    finishDrain();
    await h.settle();
    expect(first.signals).toEqual(['SIGKILL']); // rung 1
    expect(h.runner.lifecycle).toBe('backoff');
    expect(h.runner.lastError).toMatch(/memory/);
    await h.advance(1_300);
    expect(h.launcher.spawned).toHaveLength(2);
    expect(h.runner.lifecycle).toBe('running');
  });
});

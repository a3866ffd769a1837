import { describe, expect, it } from 'vitest';
import type { HealingEvent } from '../../../shared/events.js';
import { healingEvent, logLine, serviceView } from '../../../shared/outputs-views.js';
import type { ServicesResponse } from '../../../shared/views.js';
import { FAKE_START, fakeReplicasView, fakeServiceView, fakeWatchView } from './fake-api.js';
import { outputProblems } from './outputs.js';

const services = (extra: Record<string, unknown> = {}): ServicesResponse => ({
  success: true,
  total_services: 1,
  services: [
    { ...fakeServiceView('api'), replicas: fakeReplicasView('api', 2), ...extra },
  ] as ServicesResponse['services'],
  is_ready: true,
  initialized: true,
});

describe('outputProblems', () => {
  it('finds nothing wrong with an answer that fits', () => {
    expect(outputProblems('listServices', services())).toEqual([]);
  });

  it('names a field the schema does not declare, however deep', () => {
    const answer = services();
    const instance = { ...answer.services[0]!.replicas!.instances[1]!, secret_pid_file: '/x' };
    const replicas = { ...answer.services[0]!.replicas!, instances: [instance] };
    const bad = { ...answer, services: [{ ...answer.services[0]!, replicas }], extra: 1 };
    expect(outputProblems('listServices', bad)).toEqual([
      'services.0.replicas.instances.0.secret_pid_file: not declared by the output schema',
      'extra: not declared by the output schema',
    ]);
  });

  it('names a value of the wrong kind with its path', () => {
    expect(outputProblems('listServices', services({ lifecycle: 'sleeping' }))).toEqual([
      expect.stringMatching(/^services\.0\.lifecycle: /),
    ]);
    expect(outputProblems('listServices', { ...services(), success: false })).toHaveLength(1);
  });

  it('has nothing to say about a command without an output schema (the report)', () => {
    expect(outputProblems('getReport', { anything: true })).toEqual([]);
  });
});

describe('output schemas of the views', () => {
  const base: HealingEvent = {
    type: 'healing_event',
    ts: FAKE_START,
    service: 'api',
    action: 'scaling_executed',
    reason: { kind: 'manual', message: 'scale to 3 from the CLI', by: 'cli' },
    attempt: 0,
    generation: 1,
  };

  it('a healing event may carry replica fields, each optional', () => {
    expect(healingEvent.safeParse(base).success).toBe(true);
    const replica = { from: 2, to: 3, metric: { name: 'cpu', value: null, target: 70 } };
    expect(healingEvent.safeParse({ ...base, replica }).success).toBe(true);
    expect(healingEvent.safeParse({ ...base, replica: { metric: null } }).success).toBe(true);
    expect(healingEvent.safeParse({ ...base, replica: { to: -1 } }).success).toBe(false);
  });

  it('refuses an action or a reason kind outside the closed sets', () => {
    expect(healingEvent.safeParse({ ...base, action: 'teleport' }).success).toBe(false);
    const reason = { kind: 'bad_luck', message: 'x' };
    expect(healingEvent.safeParse({ ...base, reason }).success).toBe(false);
  });

  it('a log line names its instance only for a replicated service', () => {
    const line = { seq: 1, ts: FAKE_START, stream: 'stdout', line: 'hello' };
    expect(logLine.safeParse(line).success).toBe(true);
    expect(logLine.safeParse({ ...line, instance: 'api#0' }).success).toBe(true);
    expect(logLine.safeParse({ ...line, stream: 'stdin' }).success).toBe(false);
  });

  it('a service view: plain (replicas null) or replicated, watched or not', () => {
    expect(serviceView.safeParse(fakeServiceView('db')).success).toBe(true);
    const replicated = {
      ...fakeServiceView('api'),
      watch: fakeWatchView(),
      replicas: fakeReplicasView('api', 3, { failover: 'db' }),
    };
    expect(serviceView.safeParse(replicated).success).toBe(true);
    const { replicas: _gone, ...withoutReplicas } = replicated;
    expect(serviceView.safeParse(withoutReplicas).success).toBe(false);
  });
});

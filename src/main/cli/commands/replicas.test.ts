import { describe, expect, it } from 'vitest';
import { fakeReplicasView } from '../../transport/testing/fake-api.js';
import { instanceNote, parseInstance, replicaNote, replicasArg } from './replicas.js';

describe('parseInstance', () => {
  it('takes an index or the id of an instance of the same service', () => {
    expect(parseInstance('api', '0')).toBe(0);
    expect(parseInstance('api', '12')).toBe(12);
    expect(parseInstance('api', 'api#3')).toBe(3);
    expect(parseInstance('web-1', 'web-1#2')).toBe(2);
  });

  it('refuses other services, negative, fractional and out-of-range numbers', () => {
    for (const raw of ['db#1', '-1', '1.5', 'x', '', '#1', 'api#', '1000', 'api#1e2'])
      expect(parseInstance('api', raw), raw).toBeNull();
  });
});

it('replicasArg: a whole number from 1 to 1000', () => {
  expect(replicasArg('1')).toBe(1);
  expect(replicasArg('1000')).toBe(1000);
  for (const raw of ['0', '1001', '2.0', ' 3', 'three', undefined])
    expect(replicasArg(raw), String(raw)).toBeNull();
});

describe('notes', () => {
  it('a replicated service: rollout, failover, balancer error; nothing when all is quiet', () => {
    const r = fakeReplicasView('api', 2, { failover: 'stub' });
    expect(replicaNote(r)).toBe('');
    expect(replicaNote(null)).toBe('');
    expect(
      replicaNote({
        ...r,
        rollout: { kind: 'scale', done: 1, total: 4 },
        failover: { ...r.failover!, route: 'backup' },
        balancer: { ...r.balancer!, listening: false, error: 'port 3000 is taken' },
      }),
    ).toBe('scale 1/4; traffic on backup stub; balancer: port 3000 is taken');
  });

  it('an instance: requests, errors, why it takes no traffic, its last error', () => {
    const [i] = fakeReplicasView('api', 1).instances;
    expect(instanceNote(i!)).toBe('10 requests');
    expect(
      instanceNote({
        ...i!,
        errors: 3,
        ejected: true,
        breaker: { ...i!.breaker, state: 'open' },
        last_error: 'exited with code 1',
      }),
    ).toBe('10 requests, 3 errors, ejected, breaker open, exited with code 1');
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import {
  INITIAL_FAILOVER_STATE,
  stepFailover,
  type FailoverDecision,
  type FailoverInput,
  type FailoverPolicy,
  type FailoverState,
} from './failover.js';

const policy: FailoverPolicy = { hasBackup: true, failbackAfterMs: 10_000 };

/** Drives the decision as the balancer does: one input at a time, at the fake clock's time. */
class Driver {
  state: FailoverState = INITIAL_FAILOVER_STATE;
  last: FailoverDecision | null = null;
  readonly events: string[] = [];
  constructor(
    readonly clock: FakeClock,
    readonly p: FailoverPolicy = policy,
  ) {}
  step(type: FailoverInput['type'], primaryReady: number, backupReady: number): FailoverDecision {
    const d = stepFailover(
      this.p,
      this.state,
      { type, primaryReady, backupReady },
      this.clock.now(),
    );
    this.state = d.state;
    this.last = d;
    for (const e of d.events) this.events.push(`${e.type}${e.manual ? ' (manual)' : ''}`);
    return d;
  }
}

describe('automatic failover and failback', () => {
  it('fails over when no primary instance is ready and the backup is', () => {
    const d = new Driver(new FakeClock());
    d.step('observe', 3, 1);
    expect(d.state.route).toBe('primary');
    d.step('observe', 0, 1);
    expect(d.state.route).toBe('backup');
    expect(d.events).toEqual(['failover_completed']);
  });

  it('stays on the primary when the backup has nothing ready either', () => {
    const d = new Driver(new FakeClock());
    d.step('observe', 0, 0);
    expect(d.state.route).toBe('primary');
    expect(d.events).toEqual([]);
  });

  it('never fails over without a backup', () => {
    const d = new Driver(new FakeClock(), { hasBackup: false, failbackAfterMs: 1000 });
    d.step('observe', 0, 2);
    expect(d.state.route).toBe('primary');
    expect(d.step('manual_failover', 0, 2).rejected).toMatch(/no failover backup/);
  });

  it('fails back only after the primary has been ready for failback_after, without a gap', () => {
    const clock = new FakeClock();
    const d = new Driver(clock);
    d.step('observe', 2, 1); // the primary was ready once
    d.step('observe', 0, 1);
    clock.advance(1000);
    d.step('observe', 1, 1); // primary ready again at t=1000
    expect(d.last?.wakeAt).toBe(11_000);
    clock.advance(6000);
    d.step('observe', 0, 1); // a gap at t=7000: the count starts again
    expect(d.last?.wakeAt).toBeNull();
    clock.advance(1000);
    d.step('observe', 2, 1); // ready again at t=8000
    expect(d.last?.wakeAt).toBe(18_000);
    clock.advance(9999);
    d.step('observe', 2, 1);
    expect(d.state.route).toBe('backup');
    clock.advance(1);
    d.step('observe', 2, 1);
    expect(d.state.route).toBe('primary');
    expect(d.events).toEqual(['failover_completed', 'failback_completed']);
  });

  it('at launch, gives the traffic to the primary as soon as it is ready for the first time', () => {
    const clock = new FakeClock();
    const d = new Driver(clock);
    d.step('observe', 0, 0); // nothing ready yet
    d.step('observe', 0, 1); // the backup is ready first: it takes the traffic meanwhile
    expect(d.state.route).toBe('backup');
    clock.advance(500);
    const first = d.step('observe', 1, 1);
    expect(d.state.route).toBe('primary');
    expect(first.events).toEqual([
      {
        type: 'failback_completed',
        manual: false,
        reason: 'the service is ready for the first time',
      },
    ]);
    // Once it has been ready, a later failover waits failback_after again.
    d.step('observe', 0, 1);
    clock.advance(100);
    d.step('observe', 1, 1);
    expect(d.state.route).toBe('backup');
    expect(d.last?.wakeAt).toBe(clock.now() + 10_000);
    expect(d.events).toEqual(['failover_completed', 'failback_completed', 'failover_completed']);
  });

  it('fails back at once when the backup has nothing ready and the primary has', () => {
    const d = new Driver(new FakeClock());
    d.step('observe', 0, 1);
    d.step('observe', 1, 0);
    expect(d.state.route).toBe('primary');
    expect(d.events).toEqual(['failover_completed', 'failback_completed']);
  });
});

describe('manual failover and failback', () => {
  it('pins the backup: no automatic failback until a manual one', () => {
    const clock = new FakeClock();
    const d = new Driver(clock);
    d.step('observe', 3, 1);
    d.step('manual_failover', 3, 1);
    expect(d.state).toMatchObject({ route: 'backup', pinned: true });
    expect(d.last?.wakeAt).toBeNull();
    clock.advance(60_000);
    d.step('observe', 3, 1);
    expect(d.state.route).toBe('backup');
    d.step('manual_failback', 3, 1);
    expect(d.state).toMatchObject({ route: 'primary', pinned: false });
    expect(d.events).toEqual(['failover_completed (manual)', 'failback_completed (manual)']);
  });

  it('refuses a manual failover to a backup with nothing ready', () => {
    const d = new Driver(new FakeClock());
    const r = d.step('manual_failover', 3, 0);
    expect(r.rejected).toMatch(/backup is ready/);
    expect(d.state.route).toBe('primary');
  });

  it('refuses a manual failback while no primary instance is ready', () => {
    const d = new Driver(new FakeClock());
    d.step('observe', 0, 1);
    const r = d.step('manual_failback', 0, 1);
    expect(r.rejected).toMatch(/service itself is ready/);
    expect(d.state.route).toBe('backup');
  });

  it('makes an automatic failover manual when asked while already on the backup', () => {
    const d = new Driver(new FakeClock());
    d.step('observe', 0, 1);
    d.step('manual_failover', 0, 1);
    expect(d.state).toMatchObject({ route: 'backup', pinned: true });
    expect(d.events).toEqual(['failover_completed']);
  });
});

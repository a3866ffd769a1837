import { describe, expect, it } from 'vitest';
import type { StreamMessage } from '../../shared/events.js';
import { FakeClock } from '../core/clock.js';
import { FakeVigil } from './testing/fake-api.js';
import { createStreamSession } from './stream.js';

function setup(opts: { batchMs?: number; maxBatchItems?: number } = {}) {
  const fake = new FakeVigil();
  const clock = new FakeClock();
  const sent: StreamMessage[] = [];
  const session = createStreamSession({ events: fake, clock, send: (m) => sent.push(m), ...opts });
  const kinds = () =>
    sent.map((m) => `${m.seq}:${m.type}${Array.isArray(m.payload) ? `[${m.payload.length}]` : ''}`);
  return { fake, clock, sent, session, kinds };
}

describe('createStreamSession', () => {
  it('sends the snapshot first, then events at once with increasing seq', () => {
    const { fake, sent, kinds, clock } = setup();
    expect(kinds()).toEqual(['1:snapshot']);
    expect(sent[0]!.ts).toBe(clock.wallNow());
    fake.serviceEvent('api', 'stopping');
    fake.serviceEvent('api', 'stopped');
    expect(kinds()).toEqual(['1:snapshot', '2:service_event', '3:service_event']);
  });

  it('batches health and log events per type until batchMs passes', () => {
    const { fake, clock, kinds, sent } = setup({ batchMs: 100 });
    fake.log('api', 'a');
    fake.healthEvent('api');
    fake.log('db', 'b');
    clock.advance(99);
    expect(kinds()).toEqual(['1:snapshot']);
    clock.advance(1);
    expect(kinds()).toEqual(['1:snapshot', '2:log[2]', '3:health_update[1]']);
    expect((sent[1]!.payload as { line: string }[]).map((e) => e.line)).toEqual(['a', 'b']);
    // The timer restarts with the next batched event, not before.
    clock.advance(500);
    expect(sent).toHaveLength(3);
    fake.log('api', 'c');
    clock.advance(100);
    expect(kinds().at(-1)).toBe('4:log[1]');
  });

  it('flushes pending batches before a non-batched event', () => {
    const { fake, clock, kinds } = setup();
    fake.healthEvent('api');
    fake.log('api', 'x');
    fake.serviceEvent('db', 'stopping');
    expect(kinds()).toEqual(['1:snapshot', '2:health_update[1]', '3:log[1]', '4:service_event']);
    clock.advance(1_000);
    expect(kinds()).toHaveLength(4);
  });

  it('sends a full batch at once', () => {
    const { fake, kinds } = setup({ maxBatchItems: 3 });
    for (let i = 0; i < 7; i++) fake.log('api', `l${i}`);
    expect(kinds()).toEqual(['1:snapshot', '2:log[3]', '3:log[3]']);
  });

  it('resync flushes, then sends a fresh snapshot continuing the sequence', () => {
    const { fake, session, kinds } = setup();
    fake.log('api', 'x');
    session.resync();
    expect(kinds()).toEqual(['1:snapshot', '2:log[1]', '3:snapshot']);
    expect(session.seq).toBe(3);
  });

  it('close unsubscribes and drops what is pending', () => {
    const { fake, clock, session, kinds } = setup();
    fake.log('api', 'pending');
    expect(fake.listenerCount).toBe(1);
    session.close();
    expect(fake.listenerCount).toBe(0);
    expect(clock.pending).toBe(0);
    fake.serviceEvent('api', 'stopped');
    session.resync();
    clock.advance(1_000);
    expect(kinds()).toEqual(['1:snapshot']);
    expect(session.closed).toBe(true);
  });

  it('a send that closes the session stops further sends', () => {
    const fake = new FakeVigil();
    const sent: StreamMessage[] = [];
    const holder: { close?: () => void } = {};
    const session = createStreamSession({
      events: fake,
      clock: new FakeClock(),
      maxBatchItems: 1,
      send: (m) => {
        sent.push(m);
        if (m.seq === 2) holder.close?.();
      },
    });
    holder.close = () => session.close();
    fake.healthEvent('api');
    fake.log('api', 'never sent');
    expect(sent.map((m) => m.seq)).toEqual([1, 2]);
  });
});

import { describe, expect, it } from 'vitest';
import type { HealingEvent } from '../../shared/events.js';
import { describeEvent } from './output.js';

const TS = Date.UTC(2026, 0, 1, 9, 30, 0);

function healing(over: Partial<HealingEvent>): HealingEvent {
  return {
    type: 'healing_event',
    ts: TS,
    service: 'web',
    action: 'restart',
    reason: { kind: 'exit', message: 'killed by SIGKILL', exitCode: null, signal: 'SIGKILL' },
    attempt: 1,
    generation: 2,
    ...over,
  };
}

describe('describeEvent', () => {
  it('says a restart is coming "in" its delay and came "after" it', () => {
    const scheduled = describeEvent(healing({ action: 'restart_scheduled', delayMs: 1000 }));
    const done = describeEvent(healing({ action: 'restart', delayMs: 1000 }));
    expect(scheduled).toMatch(/ web restart scheduled attempt 1 in 1s: killed by SIGKILL$/);
    expect(done).toMatch(/ web restart attempt 1 after 1s: killed by SIGKILL$/);
  });

  it('leaves the delay out when there is none', () => {
    const line = describeEvent(healing({ action: 'quarantine', attempt: 3 }));
    expect(line).toMatch(/ web quarantine attempt 3: killed by SIGKILL$/);
  });
});

describe('createPrinter', () => {
  it("prefixes a replicated service's log lines with the instance that wrote them", async () => {
    const { PassThrough } = await import('node:stream');
    const { createPrinter } = await import('./output.js');
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const p = createPrinter(out, { json: false, logs: true });
    p.print({
      type: 'log',
      ts: TS,
      service: 'api',
      instance: 'api#1',
      stream: 'stdout',
      line: 'hi',
      seq: 1,
    });
    p.print({ type: 'log', ts: TS, service: 'db', stream: 'stdout', line: 'ready', seq: 1 });
    expect(text).toBe('api#1 | hi\ndb | ready\n');
  });
});

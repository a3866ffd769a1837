import { afterEach, describe, expect, it } from 'vitest';
import { CpuMeter, sampleTrees } from './sample.js';
import { Spawned, argv, fixture, sh, waitFor } from '../process/fixtures/harness.js';

const run = new Spawned();
afterEach(() => run.cleanup());

describe('sampleTrees', () => {
  it('measures CPU and memory of whole service trees in one pass', async () => {
    const busy = run.spawn({
      command: sh(`node ${fixture('busy.mjs')} 400 & echo $!; sleep 20 & wait`),
    });
    const idle = run.spawn({ command: argv('sleep', '20') });
    await waitFor(() => busy.out.lines.length === 1, 5_000, 'busy pid');
    const nodePid = Number(busy.out.text()[0]);

    const meter = new CpuMeter();
    const first = sampleTrees([busy.proc.pid, idle.proc.pid, 999_999_999]);
    expect(first.has(999_999_999)).toBe(false);
    expect(first.get(idle.proc.pid)?.pids).toEqual([idle.proc.pid]);
    expect(first.get(busy.proc.pid)?.pids).toContain(nodePid);
    meter.update(busy.proc.pid, first.get(busy.proc.pid)!.cpuTicks, performance.now());

    await waitFor(
      () => busy.out.text().some((l) => l.startsWith('busy done')),
      10_000,
      'busy done',
    );
    const second = sampleTrees([busy.proc.pid]).get(busy.proc.pid)!;
    expect(second.pids).toHaveLength(3); // sh, node, sleep
    expect(second.rssBytes).toBeGreaterThan(16 * 1024 * 1024); // node holds a 16 MB buffer
    const cpu = meter.update(busy.proc.pid, second.cpuTicks, performance.now());
    expect(cpu).not.toBeNull();
    expect(cpu!).toBeGreaterThan(0);
  });

  it('returns nothing for no roots', () => {
    expect(sampleTrees([]).size).toBe(0);
  });
});

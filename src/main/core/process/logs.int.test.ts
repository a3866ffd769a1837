import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceLogs } from './logs.js';
import { NODE, Spawned, argv, fixture, waitFor } from './fixtures/harness.js';

const run = new Spawned();
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-flood-'));
});
afterEach(async () => {
  await run.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a service flooding its output', () => {
  it('keeps Vigil memory bounded and the log files within their rotation limits', async () => {
    const TOTAL_MB = 128;
    const logs = new ServiceLogs({
      name: 'flood',
      logsDir: dir,
      maxBytes: 4 * 1024 * 1024,
      maxFiles: 3,
    });
    let lines = 0;
    let ended = false;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const { proc } = run.spawn(
        { name: 'flood', command: argv(NODE, fixture('flood.mjs'), String(TOTAL_MB)) },
        {
          lines: [],
          text: () => [],
          onOutput: (stream, line) => {
            lines += 1;
            logs.append(stream, line, Date.now());
            if (line.length !== 127) ended = true;
          },
        },
      );
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      const expected = (TOTAL_MB * 1024 * 1024) / 128;
      await waitFor(() => lines === expected, 30_000, `${expected} lines`, 50);
    } finally {
      clearInterval(sampler);
      logs.close();
    }
    expect(ended).toBe(false);
    expect(logs.tail(5000)).toHaveLength(2000);
    expect(logs.lastSeq).toBe(lines);
    // Output several times larger than the growth allowed: nothing of it was held on to.
    expect(peak - baseline).toBeLessThan((TOTAL_MB / 2) * 1024 * 1024);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['flood.log', 'flood.log.1', 'flood.log.2']);
    for (const f of files) {
      expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(4 * 1024 * 1024);
    }
    const last = fs.readFileSync(path.join(dir, 'flood.log'), 'utf8').trimEnd().split('\n').pop();
    expect(last).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z out x{127}$/);
  });
});

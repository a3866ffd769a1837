import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceLogs, serviceLogPath } from './logs.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-logs-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ServiceLogs', () => {
  it('numbers lines, keeps the last ones in memory and writes them to <name>.log', () => {
    const logs = new ServiceLogs({ name: 'api', logsDir: dir, ringLines: 3 });
    const ts = Date.UTC(2026, 0, 1, 10, 0, 0);
    for (let i = 1; i <= 5; i++) logs.append(i % 2 ? 'stdout' : 'stderr', `line ${i}`, ts + i);
    expect(logs.tail(10).map((e) => e.line)).toEqual(['line 3', 'line 4', 'line 5']);
    expect(logs.since(3, 10).map((e) => e.seq)).toEqual([4, 5]);
    expect(logs.lastSeq).toBe(5);
    logs.close();
    expect(logs.file).toBe(path.join(dir, 'api.log'));
    const text = fs.readFileSync(logs.file, 'utf8').trimEnd().split('\n');
    expect(text).toHaveLength(5);
    expect(text[0]).toBe('2026-01-01T10:00:00.001Z out line 1');
    expect(text[1]).toBe('2026-01-01T10:00:00.002Z err line 2');
  });

  it('refuses names that are not identifiers, so no file lands outside the logs directory', () => {
    for (const name of ['../evil', 'a/b', '', 'UPPER', '.hidden']) {
      expect(() => new ServiceLogs({ name, logsDir: dir })).toThrow(/not a valid service name/);
    }
    expect(serviceLogPath(dir, 'db_1')).toBe(path.join(dir, 'db_1.log'));
  });
});

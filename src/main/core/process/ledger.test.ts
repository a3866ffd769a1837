import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessLedger, judgeOrphan, type LedgerEntry } from './ledger.js';

const entry: LedgerEntry = {
  service: 'api',
  pid: 4242,
  startTime: '1000',
  command: '/bin/sh -c node server.js',
  marker: 'api.abc',
  recordedAt: 1,
};

describe('judgeOrphan', () => {
  const live = { startTime: '1000', cmdline: '/bin/sh -c node server.js', hasMarker: false };

  it('ends a process whose pid, start time and command line match', () => {
    expect(judgeOrphan(entry, live, true)).toEqual({ kill: true });
  });

  it('accepts a changed command line when the process carries the marker (the shell exec-ed)', () => {
    expect(
      judgeOrphan(entry, { ...live, cmdline: 'node server.js', hasMarker: true }, true),
    ).toEqual({ kill: true });
  });

  it('spares a reused pid: other start time, or other command without the marker', () => {
    expect(judgeOrphan(entry, { ...live, startTime: '2000' }, true)).toMatchObject({
      kill: false,
      why: expect.stringContaining('start time differs'),
    });
    expect(judgeOrphan(entry, { ...live, cmdline: 'vim notes.txt' }, true)).toMatchObject({
      kill: false,
      why: expect.stringContaining('command line differs'),
    });
    expect(judgeOrphan({ ...entry, startTime: null }, live, true)).toMatchObject({ kill: false });
  });

  it('spares everything recorded before a reboot, and reports gone processes', () => {
    expect(judgeOrphan(entry, live, false)).toEqual({
      kill: false,
      why: 'recorded before a reboot',
    });
    expect(judgeOrphan(entry, null, true)).toEqual({ kill: false, why: 'not running' });
  });
});

describe('ProcessLedger', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ledger-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('persists records atomically and a new instance reads them back', () => {
    const ledger = new ProcessLedger(path.join(dir, 'data'));
    ledger.record({ ...entry, recordedAt: 5 });
    ledger.record({ ...entry, pid: 4343, service: 'db', recordedAt: 6 });
    ledger.forget(4242);
    const files = fs.readdirSync(path.join(dir, 'data'));
    expect(files).toEqual(['processes.json']);
    expect((fs.statSync(ledger.file).mode & 0o777).toString(8)).toBe('600');
    const again = new ProcessLedger(path.join(dir, 'data'));
    expect(again.entries()).toEqual([{ ...entry, pid: 4343, service: 'db', recordedAt: 6 }]);
    again.clear();
    expect(new ProcessLedger(path.join(dir, 'data')).entries()).toEqual([]);
  });

  it('with a schedule, writes a burst of changes once, when the schedule calls back', () => {
    const pending: (() => void)[] = [];
    const ledger = new ProcessLedger(dir, { schedule: (write) => pending.push(write) });
    const onDisk = () => new ProcessLedger(dir).entries().map((e) => e.pid);
    for (let pid = 100; pid < 110; pid += 1) ledger.record({ ...entry, pid });
    ledger.forget(105);
    expect(pending).toHaveLength(1);
    expect(fs.existsSync(ledger.file)).toBe(false);
    pending.shift()!();
    expect(onDisk()).toEqual([100, 101, 102, 103, 104, 106, 107, 108, 109]);
    // The next change schedules a new write; flush() writes it without waiting.
    ledger.forget(100);
    expect(pending).toHaveLength(1);
    ledger.flush();
    expect(onDisk()).toEqual([101, 102, 103, 104, 106, 107, 108, 109]);
    pending.shift()!();
    expect(onDisk()).toHaveLength(8);
  });

  it('replaces an entry recorded again for the same pid', () => {
    const ledger = new ProcessLedger(dir);
    ledger.record(entry);
    ledger.record({ ...entry, service: 'other' });
    expect(ledger.entries().map((e) => e.service)).toEqual(['other']);
  });

  it('survives a corrupt file with a warning and ignores malformed entries', () => {
    fs.writeFileSync(path.join(dir, 'processes.json'), '{ not json');
    const warnings: string[] = [];
    expect(new ProcessLedger(dir, { onWarning: (m) => warnings.push(m) }).entries()).toEqual([]);
    expect(warnings[0]).toMatch(/not valid JSON/);
    fs.writeFileSync(
      path.join(dir, 'processes.json'),
      JSON.stringify({ version: 1, bootId: null, entries: [{ pid: 'x' }, entry] }),
    );
    expect(new ProcessLedger(dir).entries()).toEqual([entry]);
  });
});

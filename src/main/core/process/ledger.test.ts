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

  const journal = (): string[] =>
    fs.readFileSync(path.join(dir, 'processes.jsonl'), 'utf8').split('\n');

  it('journals records with one append each and a new instance reads them back', () => {
    const ledger = new ProcessLedger(path.join(dir, 'data'));
    ledger.record({ ...entry, recordedAt: 5 });
    ledger.record({ ...entry, pid: 4343, service: 'db', recordedAt: 6 });
    ledger.forget(4242);
    const files = fs.readdirSync(path.join(dir, 'data'));
    expect(files).toEqual(['processes.jsonl']);
    expect((fs.statSync(ledger.file).mode & 0o777).toString(8)).toBe('600');
    const lines = fs.readFileSync(ledger.file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: 2 });
    expect(lines.slice(1).map((l) => Object.keys(JSON.parse(l))[0])).toEqual([
      'add',
      'add',
      'forget',
    ]);
    const again = new ProcessLedger(path.join(dir, 'data'));
    expect(again.entries()).toEqual([{ ...entry, pid: 4343, service: 'db', recordedAt: 6 }]);
    again.clear();
    expect(new ProcessLedger(path.join(dir, 'data')).entries()).toEqual([]);
    expect(fs.readFileSync(ledger.file, 'utf8').trim().split('\n')).toHaveLength(1);
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
    ledger.close();
  });

  it('replaces an entry recorded again for the same pid', () => {
    const ledger = new ProcessLedger(dir);
    ledger.record(entry);
    ledger.record({ ...entry, service: 'other' });
    expect(ledger.entries().map((e) => e.service)).toEqual(['other']);
    expect(new ProcessLedger(dir).entries().map((e) => e.service)).toEqual(['other']);
  });

  it('compacts the journal when it has grown far past the live entries', () => {
    const ledger = new ProcessLedger(dir);
    for (let i = 0; i < 2_000; i += 1) {
      ledger.record({ ...entry, pid: 1000 + i });
      ledger.forget(1000 + i);
    }
    ledger.record({ ...entry, pid: 7 });
    expect(journal().length).toBeLessThan(1_100);
    expect(new ProcessLedger(dir).entries().map((e) => e.pid)).toEqual([7]);
  });

  it('skips a torn or malformed line with a warning, keeps the rest, and appends cleanly after it', () => {
    const header = JSON.stringify({ version: 2, bootId: null });
    fs.writeFileSync(
      path.join(dir, 'processes.jsonl'),
      [
        header,
        JSON.stringify({ add: entry }),
        JSON.stringify({ add: { pid: 'x' } }),
        '{"add":{"ser',
      ].join('\n'),
    );
    const warnings: string[] = [];
    const ledger = new ProcessLedger(dir, { onWarning: (m) => warnings.push(m) });
    expect(ledger.entries()).toEqual([entry]);
    expect(warnings[0]).toMatch(/2 unreadable lines skipped/);
    ledger.record({ ...entry, pid: 99 });
    const back: string[] = [];
    expect(
      new ProcessLedger(dir, { onWarning: (m) => back.push(m) }).entries().map((e) => e.pid),
    ).toEqual([4242, 99]);
    expect(back).toEqual([]);
  });

  it('does not follow a symlink planted in place of the journal', () => {
    const target = path.join(dir, 'elsewhere');
    fs.writeFileSync(target, '');
    const ledger = new ProcessLedger(dir);
    ledger.record(entry);
    fs.rmSync(ledger.file);
    fs.symlinkSync(target, ledger.file);
    const warnings: string[] = [];
    const again = new ProcessLedger(dir, { onWarning: (m) => warnings.push(m) });
    again.record({ ...entry, pid: 5 });
    again.record({ ...entry, pid: 6 });
    expect(fs.readFileSync(target, 'utf8')).toBe('');
  });

  it('keeps the recorded runs across restarts of the ledger until it is cleared', () => {
    const ledger = new ProcessLedger(dir, { schedule: () => {} });
    ledger.beginRun('vigil-aaa');
    ledger.beginRun('vigil-aaa');
    // Written at once, even with deferred writes: it must be on disk before the first spawn.
    expect(new ProcessLedger(dir).runs()).toEqual(['vigil-aaa']);
    const again = new ProcessLedger(dir);
    again.beginRun('vigil-bbb');
    expect(new ProcessLedger(dir).runs()).toEqual(['vigil-aaa', 'vigil-bbb']);
    again.clear();
    expect(new ProcessLedger(dir).runs()).toEqual([]);
  });
});

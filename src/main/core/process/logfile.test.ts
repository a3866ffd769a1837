import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingLogFile } from './logfile.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-logfile-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const read = (f: string): string => fs.readFileSync(f, 'utf8');

describe('RotatingLogFile', () => {
  it('batches writes until the end of the turn or an explicit flush', async () => {
    const file = path.join(dir, 'logs', 'api.log');
    const log = new RotatingLogFile(file);
    log.write('one\n');
    log.write('two\n');
    expect(fs.existsSync(file)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(read(file)).toBe('one\ntwo\n');
    log.write('three\n');
    log.flush();
    expect(read(file)).toBe('one\ntwo\nthree\n');
    log.close();
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
  });

  it('writes at once when a batch reaches flushBytes', () => {
    const file = path.join(dir, 'a.log');
    const log = new RotatingLogFile(file, { flushBytes: 10 });
    log.write('0123456789\n');
    expect(read(file)).toBe('0123456789\n');
    log.close();
  });

  it('rotates by size at line boundaries and keeps maxFiles files', () => {
    const file = path.join(dir, 'svc.log');
    const log = new RotatingLogFile(file, { maxBytes: 100, maxFiles: 3 });
    for (let i = 0; i < 100; i++)
      log.write(`line ${String(i).padStart(3, '0')} ${'.'.repeat(10)}\n`);
    log.close();
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['svc.log', 'svc.log.1', 'svc.log.2']);
    for (const f of files) {
      const text = read(path.join(dir, f));
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100);
      expect(text.endsWith('\n')).toBe(true);
    }
    // The newest lines are in svc.log, the older ones in .1, then .2: nothing lost in between.
    const lines = [...files]
      .reverse()
      .flatMap((f) => read(path.join(dir, f)).trimEnd().split('\n'));
    const nums = lines.map((l) => Number(l.slice(5, 8)));
    expect(nums[nums.length - 1]).toBe(99);
    for (let i = 1; i < nums.length; i++) expect(nums[i]).toBe(nums[i - 1]! + 1);
  });

  it('appends to an existing file and counts its size', () => {
    const file = path.join(dir, 'svc.log');
    fs.writeFileSync(file, 'x'.repeat(90) + '\n');
    const log = new RotatingLogFile(file, { maxBytes: 100, maxFiles: 2 });
    log.write('hello world\n');
    log.close();
    expect(read(file)).toBe('hello world\n');
    expect(read(`${file}.1`)).toBe('x'.repeat(90) + '\n');
  });

  it('with maxFiles 1 starts the file over instead of keeping old ones', () => {
    const file = path.join(dir, 'svc.log');
    const log = new RotatingLogFile(file, { maxBytes: 10, maxFiles: 1 });
    log.write('aaaaaaaa\n');
    log.flush();
    log.write('bbbbbbbb\n');
    log.close();
    expect(fs.readdirSync(dir)).toEqual(['svc.log']);
    expect(read(file)).toBe('bbbbbbbb\n');
  });

  it('never throws when the file cannot be written, and warns once', () => {
    const file = path.join(dir, 'taken');
    fs.mkdirSync(file); // a directory where the file should be
    const warnings: string[] = [];
    const log = new RotatingLogFile(file, { onWarning: (m) => warnings.push(m) });
    expect(() => {
      log.write('a\n');
      log.flush();
      log.write('b\n');
      log.flush();
    }).not.toThrow();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('cannot write log file');
    expect(log.dropped).toBe(4);
    log.close();
  });

  it('does not follow a symlink planted at the log path', () => {
    const target = path.join(dir, 'elsewhere');
    fs.writeFileSync(target, 'keep\n');
    const file = path.join(dir, 'svc.log');
    fs.symlinkSync(target, file);
    const warnings: string[] = [];
    const log = new RotatingLogFile(file, { onWarning: (m) => warnings.push(m) });
    log.write('x\n');
    log.close();
    expect(read(target)).toBe('keep\n');
    expect(warnings).toHaveLength(1);
  });
});

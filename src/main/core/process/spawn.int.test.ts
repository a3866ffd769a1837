import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MARKER_ENV } from './spawn.js';
import { isAlive, readStartTime } from './procfs.js';
import { truncationMarker } from './lines.js';
import {
  NODE,
  Spawned,
  argv,
  baseEnv,
  fixture,
  sh,
  treePids,
  waitFor,
} from './fixtures/harness.js';

const run = new Spawned();
afterEach(() => run.cleanup());

describe('spawnService', () => {
  it('runs a shell command and reports its exit code and output streams', async () => {
    const { proc, out } = run.spawn({ command: sh('echo out; echo err >&2; exit 3') });
    expect(proc.pid).toBeGreaterThan(0);
    expect(await proc.exited).toEqual({ code: 3, signal: null });
    expect(proc.exitInfo).toEqual({ code: 3, signal: null });
    await waitFor(() => out.lines.length === 2, 5_000, 'output');
    expect(out.text('stdout')).toEqual(['out']);
    expect(out.text('stderr')).toEqual(['err']);
  });

  it('execs an argv command with exactly the given env and cwd, plus the marker', async () => {
    const cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cwd-')));
    try {
      const script = `console.log([process.env.FOO, process.env.${MARKER_ENV}, process.env.HOME ?? 'no-home', process.cwd(), process.argv[1]].join('|'))`;
      const { proc, out } = run.spawn({
        command: argv('node', '-e', script, 'two words'),
        cwd,
        env: baseEnv({ FOO: 'bar baz' }),
        marker: 'svc.m1',
      });
      expect(await proc.exited).toEqual({ code: 0, signal: null });
      await waitFor(() => out.lines.length === 1, 5_000, 'output');
      expect(out.text()).toEqual([`bar baz|svc.m1|no-home|${cwd}|two words`]);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('makes the child a process group leader and records its start time', async () => {
    const { proc, out } = run.spawn({ command: sh('echo $$; sleep 5') });
    await waitFor(() => out.lines.length === 1, 5_000, 'pid line');
    expect(Number(out.text()[0])).toBe(proc.pid);
    expect(proc.startTime).toBe(readStartTime(proc.pid));
    const stat = fs.readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    expect(pgid).toBe(proc.pid);
    expect(proc.commandLine).toBe('/bin/sh -c echo $$; sleep 5');
  });

  it('reports the signal that killed the process', async () => {
    const { proc } = run.spawn({ command: sh('kill -TERM $$; sleep 5') });
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('signalGroup reaches the whole group', async () => {
    const { proc, out } = run.spawn({ command: sh('sleep 20 & echo $!; wait') });
    await waitFor(() => out.lines.length === 1, 5_000, 'child pid');
    const child = Number(out.text()[0]);
    expect(isAlive(child)).toBe(true);
    proc.signalGroup('SIGKILL');
    await proc.exited;
    await waitFor(() => !isAlive(child), 5_000, 'child killed');
  });

  it('resolves exited with an error for a command that does not exist', async () => {
    const { proc } = run.spawn({ command: argv('vigil-no-such-command-xyz', '--flag') });
    const info = await proc.exited;
    expect(info.code).toBeNull();
    expect(info.error).toMatch(/command not found: vigil-no-such-command-xyz/);
    expect(proc.pid).toBe(0);
    expect(() => proc.signalGroup('SIGKILL')).not.toThrow();
  });

  it('resolves exited with an error for a missing working directory', async () => {
    const { proc } = run.spawn({ command: sh('true'), cwd: '/nonexistent/vigil-dir' });
    expect((await proc.exited).error).toMatch(
      /working directory \/nonexistent\/vigil-dir does not exist/,
    );
  });

  it('resolves exited with an error for a file that is not executable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-noexec-'));
    try {
      const file = path.join(dir, 'script.sh');
      fs.writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
      const { proc } = run.spawn({ command: argv('./script.sh'), cwd: dir });
      expect((await proc.exited).error).toMatch(/permission denied/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a shell command that is not found exits 127 with the shell saying so', async () => {
    const { proc, out } = run.spawn({ command: sh('vigil-no-such-command-xyz') });
    expect((await proc.exited).code).toBe(127);
    await waitFor(() => out.lines.length > 0, 5_000, 'stderr');
    expect(out.text('stderr').join('\n')).toMatch(/not found/);
  });

  it('resolves exited when the leader exits although a setsid grandchild holds stdout', async () => {
    const { proc, out } = run.spawn({
      command: argv(NODE, fixture('tree.mjs'), '1', 'leader-exits'),
    });
    const info = await proc.exited; // the grandchild lives 30 s: this must not wait for it
    expect(info).toEqual({ code: 0, signal: null });
    await waitFor(() => treePids(out.text()).size === 3, 5_000, 'three levels');
    const grandchild = treePids(out.text()).get(3)!;
    expect(isAlive(grandchild)).toBe(true);
  });

  it('decodes output: invalid UTF-8, NUL, ANSI, CRLF, and cuts a 20 MB line without keeping it', async () => {
    const script = `
      const w = (b) => process.stdout.write(b);
      w(Buffer.from([0x66, 0x80, 0x6f, 0x0a]));
      w(Buffer.from('a\\0b\\n'));
      w('\\x1b[31mred\\x1b[0m\\n');
      w('crlf\\r\\n');
      w(Buffer.alloc(20 * 1024 * 1024, 0x78));
      w('\\nafter\\n');`;
    const { proc, out } = run.spawn({ command: argv('node', '-e', script) });
    expect((await proc.exited).code).toBe(0);
    await waitFor(() => out.text().includes('after'), 10_000, 'last line');
    const lines = out.text('stdout');
    expect(lines.slice(0, 4)).toEqual(['f\uFFFDo', 'a\uFFFDb', '\x1b[31mred\x1b[0m', 'crlf']);
    expect(lines[4]).toBe('x'.repeat(64 * 1024) + truncationMarker(20 * 1024 * 1024 - 64 * 1024));
    expect(lines[5]).toBe('after');
  });
});

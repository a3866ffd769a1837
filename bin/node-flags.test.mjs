import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIGIL_BIN, shebangNodeFlags, vigilNodeFlags } from './node-flags.mjs';

describe('the flags vigil runs with', () => {
  it('are read from an `env -S node` line, and are none for a plain `env node` line', () => {
    expect(shebangNodeFlags('#!/usr/bin/env -S node --a --b=1')).toEqual(['--a', '--b=1']);
    expect(shebangNodeFlags('#!/usr/bin/env node')).toEqual([]);
    expect(shebangNodeFlags('#!/usr/bin/env -S node')).toEqual([]);
    expect(shebangNodeFlags('// not a shebang')).toEqual([]);
  });

  it('keep V8 from compiling on background threads (the steady-state memory budget)', () => {
    expect(vigilNodeFlags()).toContain('--no-concurrent-recompilation');
  });

  it('are accepted by this Node without a word', () => {
    const r = spawnSync(process.execPath, [...vigilNodeFlags(), '-e', 'process.exit(7)'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
  });

  it.skipIf(!fs.existsSync('/proc/self/cmdline'))(
    'reach Node when the command is run directly, as a user runs it',
    async () => {
      if (!fs.existsSync(path.join(path.dirname(VIGIL_BIN), '..', 'out', 'cli', 'vigil.js'))) {
        throw new Error('the CLI is not built: run `npm run build:cli` first');
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-flags-'));
      fs.writeFileSync(
        path.join(dir, 'vigil.yaml'),
        'version: 1\nname: flags\nservices:\n  idle:\n    command: [node, -e, "setInterval(() => {}, 1000)"]\n',
      );
      const child = spawn(VIGIL_BIN, ['up', '--port', '0', '--data-dir', path.join(dir, 'data')], {
        cwd: dir,
        detached: true,
        stdio: 'ignore',
        env: {
          ...process.env,
          PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
        },
      });
      try {
        // `env` replaces itself with node under the same pid: wait for node's command line.
        let argv = [];
        for (let i = 0; i < 100 && !argv.includes(VIGIL_BIN); i++) {
          await new Promise((r) => setTimeout(r, 50));
          try {
            argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
          } catch {
            argv = [];
          }
        }
        expect(argv.slice(0, argv.indexOf(VIGIL_BIN))).toEqual([
          expect.stringMatching(/node$/),
          ...vigilNodeFlags(),
        ]);
      } finally {
        // SIGTERM: Vigil stops its service before it exits.
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CGROUP_ENTER_SCRIPT, pidsCgroupsAvailable } from './cgroup.js';
import { processLimitWatcher } from './limits.js';
import { Spawned, sh, waitFor } from './fixtures/harness.js';

const run = new Spawned();
afterEach(() => run.cleanup());

describe('entering a pids cgroup', () => {
  it('still runs the command, and says so, when the cgroup cannot be entered', () => {
    const r = spawnSync(
      '/bin/sh',
      ['-c', CGROUP_ENTER_SCRIPT, 'vigil-cgroup', '/nonexistent/vigil/cgroup.procs', 'echo', 'a b'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('a b\n');
    expect(r.stderr).toMatch(/could not enter cgroup \/nonexistent\/vigil\/cgroup.procs/);
  });

  it.skipIf(!pidsCgroupsAvailable())(
    'puts a bounded service in its own cgroup and removes it when the service is gone',
    async () => {
      const { proc, out } = run.spawn({
        command: sh('echo up; sleep 20'),
        marker: 'vigil-0a1b2c:api',
        maxProcesses: 10,
      });
      await waitFor(() => out.text().includes('up'), 5_000, 'up');
      expect(proc.processBound).toBe('cgroup');
      const own = fs.readFileSync(`/proc/${proc.pid}/cgroup`, 'utf8');
      expect(own).toMatch(/vigil-vigil-0a1b2c_api-[0-9a-f]{6}/);
      proc.signalGroup('SIGKILL');
      await proc.exited;
      await waitFor(() => processLimitWatcher.size === 0, 10_000, 'cgroup released');
    },
  );
});

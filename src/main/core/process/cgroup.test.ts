import { describe, expect, it } from 'vitest';
import { CGROUP_ENTER_SCRIPT, cgroupWrapper, findPidsBase, type PidsCgroup } from './cgroup.js';

const V1_MOUNTS = `tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0`;
const V1_SELF = `9:name=systemd:/
8:pids:/user.slice
4:memory:/x
0::/`;

describe('findPidsBase', () => {
  it('uses the v1 pids hierarchy at Vigil’s own cgroup when v2 does not hand out pids', () => {
    expect(findPidsBase(V1_MOUNTS, V1_SELF, () => '')).toBe('/sys/fs/cgroup/pids/user.slice');
  });

  it('prefers v2 when Vigil’s cgroup delegates the pids controller', () => {
    const mounts = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0';
    const self = '0::/user.slice/vigil.service';
    const seen: string[] = [];
    const base = findPidsBase(mounts, self, (dir) => {
      seen.push(dir);
      return 'cpu memory pids';
    });
    expect(base).toBe('/sys/fs/cgroup/user.slice/vigil.service');
    expect(seen).toEqual(['/sys/fs/cgroup/user.slice/vigil.service']);
  });

  it('finds nothing when neither offers pids', () => {
    expect(
      findPidsBase('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0', '0::/a', () => 'cpu memory'),
    ).toBeNull();
    expect(findPidsBase('', '', () => null)).toBeNull();
  });
});

describe('cgroupWrapper', () => {
  it('enters the cgroup and execs the command with its arguments untouched', () => {
    const cg = { procsFile: '/cg/vigil-x/cgroup.procs' } as PidsCgroup;
    expect(cgroupWrapper(cg, ['/usr/bin/node', 'a b', '$HOME'])).toEqual([
      '/bin/sh',
      '-c',
      CGROUP_ENTER_SCRIPT,
      'vigil-cgroup',
      '/cg/vigil-x/cgroup.procs',
      '/usr/bin/node',
      'a b',
      '$HOME',
    ]);
  });
});

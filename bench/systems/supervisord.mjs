// supervisord (Debian package `supervisor`), run with a generated config in the run's temp dir:
// its own unix socket, pid file and logs there, never the system service. Started with
// `supervisord -c FILE` (it daemonizes), stopped with `supervisorctl -c FILE shutdown`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../lib/spawn.mjs';
import { trackPid, untrackPid } from '../lib/guard.mjs';
import { isRunning } from '../lib/procfs.mjs';
import { sleep } from '../lib/http.mjs';
import { SERVICE_SCRIPT } from '../lib/workload.mjs';

export const INSTALL_HINT =
  'install it with `sudo apt-get install -y supervisor` (Debian/Ubuntu) or `pip install supervisor`';

/** A word for supervisord's shlex-style command line. */
function word(s) {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** An environment value for `environment=KEY="value",...`. */
function envValue(v) {
  return `"${String(v).replace(/(["\\%])/g, (c) => (c === '%' ? '%%' : `\\${c}`))}"`;
}

/**
 * Restart at once (supervisord has no delay setting; startsecs=0 so a kill is a plain exit, never
 * a failed start with its backoff); supervisord has no HTTP health checks.
 */
export function supervisordConfig(services, dir) {
  const out = [
    '[unix_http_server]',
    `file=${path.join(dir, 'supervisor.sock')}`,
    'chmod=0700',
    '',
    '[supervisord]',
    `logfile=${path.join(dir, 'supervisord.log')}`,
    `pidfile=${path.join(dir, 'supervisord.pid')}`,
    `childlogdir=${path.join(dir, 'logs')}`,
    'nodaemon=false',
    `minfds=${Math.max(1024, services.length * 8 + 64)}`,
    `minprocs=${Math.max(200, services.length * 2 + 64)}`,
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    '[supervisorctl]',
    `serverurl=unix://${path.join(dir, 'supervisor.sock')}`,
  ];
  for (const s of services) {
    const env = Object.entries(s.env)
      .map(([k, v]) => `${k}=${envValue(v)}`)
      .join(',');
    out.push(
      '',
      `[program:${s.name}]`,
      `command=${word(process.execPath)} ${word(SERVICE_SCRIPT)}`,
      `environment=${env}`,
      'autostart=true',
      'autorestart=true',
      'startsecs=0',
      'startretries=1000',
      'stopsignal=TERM',
      'stopwaitsecs=10',
    );
  }
  return out.join('\n') + '\n';
}

let versionCache;
export function supervisordVersion() {
  if (versionCache !== undefined) return versionCache;
  const r = spawnSync('supervisord', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  versionCache = r.status === 0 ? r.stdout.trim() : null;
  return versionCache;
}

function readPid(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

export const supervisord = {
  name: 'supervisord',
  label: 'supervisord',
  version: supervisordVersion,
  describe:
    '`supervisord -c FILE` (own socket and pid file in a temp dir), stopped with `supervisorctl shutdown`; supervisord has no HTTP health checks',
  check() {
    if (process.platform !== 'linux' && process.platform !== 'darwin')
      return { ok: false, why: `not available on ${process.platform}` };
    if (supervisordVersion() === null)
      return { ok: false, why: `supervisord is not installed: ${INSTALL_HINT}` };
    return { ok: true };
  },
  config: (services, _opts, dir = '/tmp/RUN') => ({
    file: 'supervisord.conf',
    text: supervisordConfig(services, dir),
  }),

  async start(dir, services) {
    const file = path.join(dir, 'supervisord.conf');
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    fs.writeFileSync(file, supervisordConfig(services, dir));
    const pidFile = path.join(dir, 'supervisord.pid');
    let daemon = null;
    const daemonPid = () => {
      if (daemon === null) {
        daemon = readPid(pidFile);
        if (daemon) trackPid(daemon);
      }
      return daemon;
    };
    // `supervisord` forks and its first process exits; the daemon writes its pid file.
    const launched = run('supervisord', ['-c', file], { cwd: dir, timeoutMs: 60_000 });
    (async () => {
      for (let i = 0; i < 600 && daemonPid() === null; i += 1) await sleep(50);
    })();
    const ctl = (args, timeoutMs) =>
      run('supervisorctl', ['-c', file, ...args], { cwd: dir, timeoutMs });
    return {
      supervisorPids: () => {
        const d = daemonPid();
        return d ? [d] : [];
      },
      selfReady: null,
      stop: () => ctl(['shutdown'], 90_000),
      exited: null,
      cleanup: async () => {
        await launched;
        const d = daemonPid();
        if (d && isRunning(d)) {
          try {
            process.kill(d, 'SIGTERM');
          } catch {
            // gone
          }
          for (let i = 0; i < 100 && isRunning(d); i += 1) await sleep(100);
          try {
            process.kill(d, 'SIGKILL');
          } catch {
            // gone
          }
        }
        if (d) untrackPid(d);
      },
      output: () => '',
    };
  },
};

// PM2 from npm (the local devDependency), with its own PM2_HOME in the run's temp dir so it never
// touches a user's daemon; started with `pm2 start ecosystem.config.cjs`, stopped with `pm2 kill`.
import fs from 'node:fs';
import path from 'node:path';
import { cleanEnv, killGroup, run, start } from '../lib/spawn.mjs';
import { trackPid, untrackPid } from '../lib/guard.mjs';
import { REPO_ROOT, SERVICE_SCRIPT } from '../lib/workload.mjs';
import { sleep } from '../lib/http.mjs';

const PM2_BIN = path.join(REPO_ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/** Fork mode, one instance each, restart at once with no delay; PM2 has no HTTP health checks. */
export function pm2Config(services) {
  const apps = services.map((s) => ({
    name: s.name,
    script: SERVICE_SCRIPT,
    interpreter: process.execPath,
    exec_mode: 'fork',
    instances: 1,
    autorestart: true,
    restart_delay: 0,
    max_restarts: 1000,
    env: s.env,
  }));
  return `module.exports = ${JSON.stringify({ apps }, null, 1)};\n`;
}

function pm2Version() {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'node_modules/pm2/package.json'), 'utf8'),
    ).version;
  } catch {
    return null;
  }
}

function readPid(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

export const pm2 = {
  name: 'pm2',
  label: 'PM2',
  version: pm2Version,
  describe:
    '`pm2 start ecosystem.config.cjs` (fork mode, isolated PM2_HOME), stopped with `pm2 kill`; PM2 has no HTTP health checks',
  check() {
    if (!fs.existsSync(PM2_BIN))
      return { ok: false, why: 'node_modules/pm2 is missing: run `npm install`' };
    return { ok: true };
  },
  config: (services) => ({ file: 'ecosystem.config.cjs', text: pm2Config(services) }),

  async start(dir, services) {
    const file = path.join(dir, 'ecosystem.config.cjs');
    const home = path.join(dir, 'pm2home');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(file, pm2Config(services));
    const env = cleanEnv({ PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true', FORCE_COLOR: '0' });
    const pidFile = path.join(home, 'pm2.pid');
    const cli = start(process.execPath, [PM2_BIN, 'start', file], { cwd: dir, env });
    let daemon = null;
    const daemonPid = () => {
      if (daemon === null) {
        daemon = readPid(pidFile);
        if (daemon) trackPid(daemon);
      }
      return daemon;
    };
    // The daemon writes its pid file as it starts; note it as soon as it is there.
    (async () => {
      for (let i = 0; i < 600 && daemonPid() === null; i += 1) await sleep(50);
    })();
    const pm2cmd = (args, timeoutMs) =>
      run(process.execPath, [PM2_BIN, ...args], { cwd: dir, env, timeoutMs });
    return {
      supervisorPids: () => {
        const d = daemonPid();
        return d ? [d] : [];
      },
      selfReady: null,
      stop: () => pm2cmd(['kill'], 90_000),
      exited: null,
      cleanup: async () => {
        killGroup(cli.pid);
        const d = daemonPid();
        if (d) {
          try {
            process.kill(d, 0);
            await pm2cmd(['kill'], 20_000);
          } catch {
            // daemon already gone
          }
          try {
            process.kill(d, 'SIGKILL');
          } catch {
            // gone
          }
          untrackPid(d);
        }
      },
      output: cli.output,
    };
  },
};

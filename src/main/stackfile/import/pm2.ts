/**
 * PM2 ecosystem file -> Vigil stack. PM2 execs `interpreter [interpreter_args] script [args]`
 * without a shell (a script with spaces runs as `bash -c script`), picks the interpreter from the
 * script's extension, stops with SIGINT and 1.6 s before SIGKILL, and restarts on exit unless
 * `autorestart: false`. The generated commands are argv lists that do exactly that.
 */
import path from 'node:path';
import { VigilError } from '../../../shared/errors.js';
import type { ConvertContext } from './context.js';
import { escapeInterpolation, splitArgs } from './escape.js';
import { NameRegistry } from './names.js';
import type { KeyPath } from './source.js';
import type { Conversion, DraftService, SourcePos } from './types.js';
import { ENV_KEY_RE, isDict, millis, num, text, type Dict } from './values.js';
import { WarningList } from './warnings.js';
import { pm2Watch } from './watch.js';

/** PM2's interpreter by extension (python3 where PM2 would look for `python` first). */
const INTERPRETERS: Readonly<Record<string, string>> = {
  '.js': 'node',
  '.cjs': 'node',
  '.mjs': 'node',
  '.sh': 'bash',
  '.py': 'python3',
  '.rb': 'ruby',
  '.php': 'php',
  '.pl': 'perl',
  '.coffee': 'coffee',
  '.ls': 'lsc',
  '.ts': 'node',
  '.tsx': 'node',
};

/** PM2's defaults for stopping a process. */
export const PM2_KILL_SIGNAL = 'SIGINT';
export const PM2_KILL_TIMEOUT_MS = 1600;
/** PM2's cap on exp_backoff_restart_delay, and its growth factor. */
const EXP_BACKOFF_CAP_MS = 15_000;
const EXP_BACKOFF_FACTOR = 1.5;

const LOG_KEYS = [
  'out_file',
  'error_file',
  'log_file',
  'output',
  'error',
  'log',
  'log_date_format',
  'merge_logs',
  'combine_logs',
  'log_type',
  'time',
  'disable_logs',
  'pid_file',
];

const NOT_MAPPED: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    LOG_KEYS.map((k) => [
      k,
      "not mapped: Vigil keeps the service's log itself, in its data directory",
    ]),
  ),
  cron_restart: 'not mapped: Vigil does not restart services on a schedule',
  wait_ready: 'not mapped: Vigil waits for the health probe instead of process.send("ready")',
  listen_timeout: 'not mapped: use `startup_timeout` for how long the service may take to be ready',
  min_uptime:
    'not mapped: Vigil counts every restart; `stable_after` (settings) resets the count after a healthy stretch',
  shutdown_with_message: 'not mapped: Vigil stops services with a signal',
  autostart:
    'not mapped: every Vigil service starts with the stack; stop it with `vigil stop NAME`',
  namespace: 'not mapped: Vigil has no namespaces',
  source_map_support: 'not mapped: add --enable-source-maps to the node arguments if needed',
  instance_var:
    "not mapped: each instance's index (0-based) is in VIGIL_REPLICA, and its id (api#1) in VIGIL_INSTANCE",
  increment_var: 'not mapped: each instance gets its own PORT; no other variable is incremented',
  filter_env: 'not mapped: services get Vigil’s environment plus their own',
  append_env_to_name: 'not mapped',
  vizion: 'not mapped: Vigil does not track versions of the source',
  post_update: 'not mapped: Vigil does not track versions of the source',
  force: 'not mapped',
  treekill: "not mapped: Vigil always signals the service's whole process group",
  uid: 'not mapped: Vigil runs services as the user it runs as',
  gid: 'not mapped: Vigil runs services as the user it runs as',
  user: 'not mapped: Vigil runs services as the user it runs as',
  kill_retry_time: 'not mapped',
};

const HANDLED = new Set([
  'name',
  'script',
  'cmd',
  'command',
  'args',
  'interpreter',
  'exec_interpreter',
  'interpreter_args',
  'interpreterArgs',
  'node_args',
  'cwd',
  'env',
  'autorestart',
  'max_restarts',
  'restart_delay',
  'exp_backoff_restart_delay',
  'stop_exit_codes',
  'kill_timeout',
  'max_memory_restart',
  'instances',
  'exec_mode',
  // mapped to `watch:` (see watch.ts)
  'watch',
  'ignore_watch',
  'watch_delay',
  'watch_options',
]);

export interface Pm2Options {
  /** Apply `env_<name>` over `env`, as `pm2 start ecosystem.config.js --env <name>` does. */
  readonly envName?: string;
  /** Where a key path is written in the file, for YAML/JSON ecosystem files. */
  readonly pos?: (path: KeyPath) => SourcePos | undefined;
  /** Sentences about how the file was read (e.g. evaluated as CommonJS), added as warnings. */
  readonly notes?: readonly { readonly path: string; readonly message: string }[];
}

/** The apps of an ecosystem value: `{apps: [...]}`, `{apps: {...}}`, `[...]` or a single app. */
function appsOf(value: unknown, file: string, w: WarningList): { apps: unknown[]; base: KeyPath } {
  if (isDict(value) && 'apps' in value) {
    for (const k of Object.keys(value)) {
      if (k === 'apps') continue;
      w.at(
        [k],
        k === 'deploy'
          ? 'deploy not imported: Vigil runs a local stack, it does not deploy'
          : `${k}: not a PM2 ecosystem key Vigil knows; ignored`,
      );
    }
    const apps = value.apps;
    return { apps: Array.isArray(apps) ? apps : [apps], base: Array.isArray(apps) ? ['apps'] : [] };
  }
  if (Array.isArray(value)) return { apps: value, base: [] };
  if (isDict(value) && ('script' in value || 'cmd' in value)) return { apps: [value], base: [] };
  throw new VigilError('STACK_INVALID', `${file} does not define any PM2 apps`, {
    location: { file, line: 1, col: 1 },
    hint: 'an ecosystem file exports `{ apps: [{ name, script, ... }] }`',
  });
}

export function convertPm2(
  value: unknown,
  file: string,
  ctx: ConvertContext,
  opts: Pm2Options = {},
): Conversion {
  const dir = path.dirname(file);
  const w = new WarningList(file, opts.pos);
  for (const n of opts.notes ?? []) w.at([], n.message);
  const { apps, base } = appsOf(value, file, w);
  const names = new NameRegistry();
  const usedPorts = new Map<number, string>();
  const services: DraftService[] = [];
  const envBlocks = new Set<string>();
  apps.forEach((app, i) => {
    const at: KeyPath = base.length > 0 ? [...base, i] : apps.length > 1 ? [i] : [];
    if (!isDict(app)) {
      w.at(at, `app ${i + 1} is not an object; skipped`);
      return;
    }
    const svc = convertApp(app, i, {
      at,
      w,
      dir,
      ctx,
      names,
      usedPorts,
      fileName: path.basename(file),
      envName: opts.envName,
    });
    for (const k of Object.keys(app)) if (/^env_./.test(k)) envBlocks.add(k.slice(4));
    if (svc) services.push(svc);
  });
  if (opts.envName !== undefined && !envBlocks.has(opts.envName))
    w.at([], `no app has env_${opts.envName}: only env is applied (is the name right?)`);
  if (services.length === 0) {
    throw new VigilError('STACK_INVALID', `${file}: none of its apps has a script to run`, {
      location: { file, line: 1, col: 1 },
    });
  }
  const header = [
    `Imported from ${path.basename(file)} (PM2) by \`vigil import\`${opts.envName ? ` with env_${opts.envName}` : ''}.`,
    "Commands are exec'd like PM2 runs them (interpreter, script, args; no shell); stop is SIGINT",
    "then SIGKILL after kill_timeout (PM2's 1.6s unless set). Restarts use Vigil's backoff unless",
    'restart_delay or exp_backoff_restart_delay was set.',
  ];
  const unused = [...envBlocks].filter((e) => e !== opts.envName);
  if (unused.length > 0 && opts.envName === undefined)
    header.push(
      `Not applied: ${unused.map((e) => `env_${e}`).join(', ')} (import with --env ${unused[0]} to apply one).`,
    );
  return { stack: { name: path.basename(dir), header, services }, warnings: w.items };
}

interface AppContext {
  readonly at: KeyPath;
  readonly w: WarningList;
  readonly dir: string;
  readonly ctx: ConvertContext;
  readonly names: NameRegistry;
  readonly usedPorts: Map<number, string>;
  readonly fileName: string;
  readonly envName: string | undefined;
}

function argList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return splitArgs(v);
  if (Array.isArray(v)) return v.map((x) => text(x) ?? '').filter((x) => x !== '');
  return undefined;
}

function convertApp(app: Dict, index: number, ac: AppContext): DraftService | null {
  const { at, w } = ac;
  const script = text(app.script) ?? text(app.cmd) ?? text(app.command);
  const scriptKey = app.script !== undefined ? 'script' : app.cmd !== undefined ? 'cmd' : 'command';
  // PM2 names an unnamed app after its script file (or the whole command when it has spaces).
  const rawName =
    text(app.name) ??
    (script === undefined
      ? `app-${index + 1}`
      : script.includes(' ')
        ? script
        : path.basename(script).replace(/(.)\.[^.]*$/, '$1'));
  const { name, changed } = ac.names.take(rawName);
  const warn = (key: KeyPath, msg: string): void => w.at([...at, ...key], msg, name);
  if (changed) warn(app.name !== undefined ? ['name'] : [], changed);
  if (script === undefined || script.trim() === '') {
    warn([], `app "${rawName}" has no script; skipped`);
    return null;
  }
  for (const k of Object.keys(app)) {
    if (HANDLED.has(k) || /^env_./.test(k)) continue;
    const reason = NOT_MAPPED[k];
    if (k === 'autostart' && app.autostart !== false) continue;
    warn([k], `${k}: ${reason ?? 'not a PM2 key Vigil knows; ignored'}`);
  }

  // working directory: relative to the ecosystem file
  let cwd = ac.dir;
  const cwdText = text(app.cwd);
  if (cwdText !== undefined && cwdText !== '') {
    const abs = path.resolve(ac.dir, cwdText);
    if (ac.ctx.fs.isDir(abs)) cwd = abs;
    else
      warn(
        ['cwd'],
        `cwd "${cwdText}" does not exist (${abs}); left out, so the app runs in the stack's directory: create it and add \`cwd:\``,
      );
  }

  // command
  let argv: string[];
  const args = argList(app.args);
  const interpreter = text(app.interpreter) ?? text(app.exec_interpreter);
  const interpArgs =
    argList(app.interpreter_args) ?? argList(app.interpreterArgs) ?? argList(app.node_args) ?? [];
  if (script.includes(' ') && interpreter === undefined) {
    argv = ['bash', '-c', script];
    if (args && args.length > 0)
      warn(['args'], 'args not mapped: PM2 ignores them when the script is a command with spaces');
  } else {
    const ext = path.extname(script).toLowerCase();
    let interp: string | null;
    if (interpreter === 'none') interp = null;
    else if (interpreter !== undefined) interp = interpreter;
    else if (INTERPRETERS[ext] !== undefined) interp = INTERPRETERS[ext]!;
    else {
      // No known extension: PM2 runs text files (e.g. ./bin/www) with node and binaries directly.
      const local = path.resolve(cwd, script);
      const content = ac.ctx.fs.isFile(local) ? ac.ctx.fs.read(local) : undefined;
      interp = content !== undefined && !content.slice(0, 512).includes('\0') ? 'node' : null;
    }
    if (interp === 'node' && (ext === '.ts' || ext === '.tsx') && interpreter === undefined)
      warn(
        [scriptKey],
        'PM2 runs TypeScript with bun when it is installed; the command uses node (which strips types from Node 22.18); change it to bun if needed',
      );
    argv =
      interp === null
        ? [script, ...(args ?? [])]
        : [interp, ...interpArgs, script, ...(args ?? [])];
    if (interp === null && interpArgs.length > 0)
      warn(
        ['interpreter_args'],
        'interpreter arguments not mapped: the script runs without an interpreter',
      );
  }
  const svc: DraftService = {
    name,
    command: argv.map(escapeInterpolation),
    comment: [`${ac.fileName} apps[${index}]${rawName !== name ? ` "${rawName}"` : ''}`],
  };
  svc.cwd = cwd; // written only when the stack file is elsewhere
  const keyComments: Record<string, string> = {};

  // environment: env, then env_<name> when asked for
  const env: Record<string, string> = {};
  const putEnv = (src: unknown, key: string): void => {
    if (src === undefined) return;
    if (!isDict(src)) {
      warn([key], `${key} is not an object; ignored`);
      return;
    }
    for (const [k, v] of Object.entries(src)) {
      if (!ENV_KEY_RE.test(k) || k === '__proto__') {
        warn([key, k], `"${k}" is not a valid environment variable name; dropped`);
        continue;
      }
      const s = text(v) ?? (v === null || v === undefined ? undefined : JSON.stringify(v));
      if (s === undefined) {
        warn([key, k], `${key}.${k} has no value; dropped`);
        continue;
      }
      env[k] = escapeInterpolation(s);
    }
  };
  putEnv(app.env, 'env');
  if (ac.envName !== undefined) {
    const block = `env_${ac.envName}`;
    // Apps without the block run with env alone, as with PM2.
    if (app[block] !== undefined) putEnv(app[block], block);
  } else {
    for (const k of Object.keys(app))
      if (/^env_./.test(k))
        warn(
          [k],
          `${k} not applied (PM2 applies it with --env ${k.slice(4)}; so does \`vigil import --env ${k.slice(4)}\`)`,
        );
  }
  if (Object.keys(env).length > 0) svc.env = env;
  const port = Number(env.PORT);
  if (Number.isInteger(port) && port >= 1 && port <= 65535) {
    const owner = ac.usedPorts.get(port);
    if (owner === undefined) {
      svc.port = port;
      ac.usedPorts.set(port, name);
      keyComments.port = 'from env PORT';
    } else
      warn(
        ['env', 'PORT'],
        `PORT ${port} is also the port of "${owner}": not declared as this service's port (two services cannot listen on one port)`,
      );
  }

  // restarts
  const restart: NonNullable<DraftService['restart']> = {};
  if (app.autorestart === false) restart.policy = 'never';
  const stopCodes = Array.isArray(app.stop_exit_codes)
    ? app.stop_exit_codes
    : app.stop_exit_codes !== undefined
      ? [app.stop_exit_codes]
      : [];
  if (stopCodes.length > 0) {
    const codes = stopCodes.map((c) => num(c));
    if (codes.length === 1 && codes[0] === 0 && restart.policy === undefined)
      restart.policy = 'on-failure';
    else
      warn(
        ['stop_exit_codes'],
        `stop_exit_codes ${JSON.stringify(app.stop_exit_codes)} not mapped: Vigil's policies are always, on-failure (exit code 0 is not restarted) and never`,
      );
  }
  const exp = num(app.exp_backoff_restart_delay);
  const fixed = num(app.restart_delay);
  if (exp !== undefined && exp > 0) {
    const delays: string[] = [];
    let d = exp;
    for (let n = 0; n < 30; n++) {
      delays.push(millis(d));
      if (d >= EXP_BACKOFF_CAP_MS) break;
      d = Math.floor(Math.min(EXP_BACKOFF_CAP_MS, d * EXP_BACKOFF_FACTOR));
    }
    restart.backoff = delays;
    keyComments.restart = `exp_backoff_restart_delay ${exp}: x1.5 per restart up to 15s, as PM2 does`;
    if (fixed !== undefined)
      warn(
        ['restart_delay'],
        'restart_delay not mapped: exp_backoff_restart_delay takes precedence, as in PM2',
      );
  } else if (fixed !== undefined && fixed >= 0) restart.backoff = [millis(fixed)];
  const maxRestarts = num(app.max_restarts);
  if (maxRestarts !== undefined && maxRestarts >= 0 && restart.policy !== 'never')
    restart.max_attempts = Math.floor(maxRestarts);
  if (Object.keys(restart).length > 0) svc.restart = restart;

  // stop: PM2 sends SIGINT, then SIGKILL after kill_timeout
  const kill = num(app.kill_timeout);
  svc.stop = {
    signal: PM2_KILL_SIGNAL,
    timeout: millis(kill !== undefined && kill >= 0 ? kill : PM2_KILL_TIMEOUT_MS),
  };

  // memory
  if (app.max_memory_restart !== undefined) {
    const mem = memoryLimit(app.max_memory_restart);
    if (mem !== undefined) {
      svc.limits = { memory: mem };
      keyComments.limits = 'max_memory_restart: restarted when exceeded, as in PM2';
    } else
      warn(
        ['max_memory_restart'],
        `max_memory_restart "${String(app.max_memory_restart)}" is not a size like 300M; not mapped`,
      );
  }

  mapInstances(app, svc, ac.ctx.cpus, keyComments, warn);
  const watch = pm2Watch(app, warn);
  if (watch) {
    svc.watch = watch;
    keyComments.watch = 'from watch / ignore_watch: restarts the app when its files change';
  }
  if (Object.keys(keyComments).length > 0) svc.keyComments = keyComments;
  return svc;
}

/**
 * PM2's `instances` as a count: a number, `max` (or 0) for every core, `-N` for all but N; at
 * least 1. Undefined when it is none of those.
 */
export function instanceCount(v: unknown, cpus: number): number | undefined {
  if (v === undefined) return 1;
  if (typeof v === 'string' && v.trim().toLowerCase() === 'max') return cpus;
  const n = num(v);
  if (n === undefined || !Number.isInteger(n)) return undefined;
  if (n === 0) return cpus;
  return Math.max(1, n < 0 ? cpus + n : n);
}

/**
 * `instances` and `exec_mode`: more than one instance, or cluster mode, become `replicas`. Cluster
 * mode shares one port among the workers; with a port (env PORT) Vigil's balancer does that on the
 * front port, each instance listening on its own PORT.
 */
function mapInstances(
  app: Dict,
  svc: DraftService,
  cpus: number,
  keyComments: Record<string, string>,
  warn: (key: KeyPath, msg: string) => void,
): void {
  const mode = text(app.exec_mode)?.trim().toLowerCase();
  const cluster = mode === 'cluster' || mode === 'cluster_mode';
  if (mode !== undefined && !cluster && mode !== 'fork' && mode !== 'fork_mode')
    warn(
      ['exec_mode'],
      `exec_mode "${String(app.exec_mode)}" is neither fork nor cluster; read as fork`,
    );
  const n = instanceCount(app.instances, cpus);
  if (n === undefined) {
    warn(
      ['instances'],
      `instances: ${String(app.instances)} not mapped: write a whole number, max or -N; one instance runs`,
    );
    return;
  }
  // One instance needs nothing, unless a balancer in front gives it PM2's zero-downtime reload.
  if (n === 1 && !(cluster && svc.port !== undefined)) return;
  svc.replicas = n;
  // A count taken from this machine's cores says so: another machine may want another.
  const given = num(app.instances);
  const source =
    app.instances === undefined
      ? 'cluster mode'
      : given !== undefined && given > 0
        ? `instances${cluster ? ' in cluster mode' : ''}`
        : `instances: ${String(app.instances)} (${cpus} cores when imported)${cluster ? ' in cluster mode' : ''}`;
  if (cluster && svc.port !== undefined) {
    svc.balance = { strategy: 'round_robin', mode: 'http' };
    keyComments.replicas = `from ${source}; each instance gets its own PORT behind the front port`;
    keyComments.balance = 'cluster mode: one port shared by the instances';
    return;
  }
  keyComments.replicas = `from ${source}; each instance gets PORT, VIGIL_REPLICA and VIGIL_INSTANCE`;
  if (cluster)
    warn(
      ['exec_mode'],
      'cluster mode shares one port among the instances, but the app sets no PORT in env: Vigil cannot put its balancer in front. Give the service `port:` (where clients connect) and have the app listen on $PORT',
    );
}

/** PM2's `300M` / `1G` / `512K` / bytes -> a stack file size. */
export function memoryLimit(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return `${Math.round(v)}`;
  const m = typeof v === 'string' ? /^\s*(\d+)\s*([KMG])?\s*$/i.exec(v) : null;
  if (!m) return undefined;
  const unit = m[2]?.toUpperCase();
  return unit === undefined ? m[1]! : `${m[1]}${unit}B`;
}

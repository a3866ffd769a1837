/**
 * Over 500 lines: one mapping per process-compose key, each with its warning; splitting them would
 * scatter one format's rules.
 *
 * process-compose.yaml -> Vigil stack. Both run commands through the shell and expand `${VAR}`
 * from the environment and the `.env` beside the file when loading, so commands and environment
 * values carry over verbatim. Differences that matter are mapped explicitly: process-compose does
 * not restart by default (Vigil does), its default dependency condition is "started" (Vigil's is
 * "healthy"), and it has two probes where Vigil has one.
 */
import path from 'node:path';
import { VigilError } from '../../../shared/errors.js';
import { expandForCheck, readDotenv, type ConvertContext } from './context.js';
import { regexEscape, shellQuote } from './escape.js';
import { NameRegistry } from './names.js';
import type { KeyPath, LocatedValue } from './source.js';
import type { Conversion, DraftDependency, DraftService } from './types.js';
import { ENV_KEY_RE, isDict, num, seconds, signalName, text, type Dict } from './values.js';
import { WarningList } from './warnings.js';
import { processComposeWatch } from './watch.js';

const TOP_NOT_MAPPED: Readonly<Record<string, string>> = {
  log_location: "not mapped: Vigil keeps each service's log itself, in its data directory",
  log_length: "not mapped: Vigil keeps each service's log itself, in its data directory",
  log_configuration: "not mapped: Vigil keeps each service's log itself, in its data directory",
  log_format: "not mapped: Vigil keeps each service's log itself, in its data directory",
  shell: 'not mapped: Vigil runs string commands with /bin/sh -c',
  is_strict: 'not needed: the Vigil stack loader always rejects unknown keys',
  vars: 'not mapped: templates ({{.NAME}}) are not expanded; write the values into the commands',
  env_cmds:
    'not mapped: commands that compute environment variables are not run; put the values in an env file',
  disable_env_expansion:
    'not mapped: Vigil always expands ${VAR}; write $${VAR} where a literal is meant',
};

const PROCESS_NOT_MAPPED: Readonly<Record<string, string>> = {
  namespace: 'not mapped: Vigil has no namespaces',
  log_location: "not mapped: Vigil keeps the service's log itself, in its data directory",
  log_configuration: "not mapped: Vigil keeps the service's log itself, in its data directory",
  disable_ansi_colors: 'not mapped: log colours are kept as the service prints them',
  is_tty: 'not mapped: services run without a terminal (stdin closed, output captured)',
  is_elevated: 'not mapped: Vigil does not run services with elevated rights',
  is_foreground: 'not mapped: services run in the background; use `vigil logs NAME -f`',
  vars: 'not mapped: templates ({{.NAME}}) are not expanded; write the values into the command',
  launch_timeout_seconds: 'not mapped: only used for daemons, which Vigil does not track',
};

const PROCESS_HANDLED = new Set([
  'command',
  'entrypoint',
  'working_dir',
  'environment',
  'availability',
  'depends_on',
  'readiness_probe',
  'liveness_probe',
  'ready_log_line',
  'shutdown',
  'is_daemon',
  'disabled',
  'description',
  'replicas',
  'watch',
]);

const CONDITIONS: Readonly<Record<string, DraftDependency['condition']>> = {
  process_started: 'started',
  process_healthy: 'healthy',
  process_completed_successfully: 'completed',
  process_completed: 'completed',
  process_log_ready: 'healthy',
};

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '::1', '']);

export function convertProcessCompose(
  src: LocatedValue,
  file: string,
  ctx: ConvertContext,
): Conversion {
  const dir = path.dirname(file);
  const w = new WarningList(file, src.pos);
  const root = src.value;
  if (!isDict(root) || !isDict(root.processes)) {
    throw new VigilError('STACK_INVALID', `${file} has no "processes" map`, {
      location: { file, line: 1, col: 1 },
      hint: 'a process-compose file lists its processes under `processes:`',
    });
  }
  const processes = root.processes;
  const header = [`Imported from ${path.basename(file)} (process-compose) by \`vigil import\`.`];

  // The .env beside the file is loaded by process-compose into every process and used for ${VAR}.
  const dotenvFile = path.join(dir, '.env');
  const hasDotenv = ctx.fs.isFile(dotenvFile);
  const dotenv = hasDotenv ? readDotenv(ctx.fs, dotenvFile) : new Map<string, string>();

  let logLevel: string | undefined;
  for (const key of Object.keys(root)) {
    if (key === 'processes' || key === 'version' || key === 'environment' || key.startsWith('x-'))
      continue;
    if (key === 'log_level') {
      const v = text(root.log_level)?.toLowerCase();
      if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error') logLevel = v;
      else
        w.at(
          [key],
          `log_level "${String(root.log_level)}" not mapped: Vigil's levels are debug, info, warn, error`,
        );
      continue;
    }
    w.at(
      [key],
      `${key}: ${TOP_NOT_MAPPED[key] ?? 'not a process-compose key Vigil knows; ignored'}`,
    );
  }
  const globalEnv = readEnvironment(root.environment, ['environment'], w);

  const names = new NameRegistry();
  const nameOf = new Map<string, string>();
  for (const raw of Object.keys(processes)) {
    if (raw.startsWith('x-')) continue;
    const { name, changed } = names.take(raw);
    nameOf.set(raw, name);
    if (changed) w.at(['processes', raw], changed, name);
  }
  const disabled = new Set(
    [...nameOf.keys()].filter((raw) => isDict(processes[raw]) && processes[raw].disabled === true),
  );

  // Who must run to completion, and who must announce readiness with a log line.
  const oneshots = new Set<string>();
  const logReady = new Set<string>();
  for (const raw of nameOf.keys()) {
    const p = processes[raw];
    if (!isDict(p)) continue;
    if (p.is_daemon === true) oneshots.add(raw);
    if (!isDict(p.depends_on)) continue;
    for (const [dep, spec] of Object.entries(p.depends_on)) {
      const cond = isDict(spec) ? text(spec.condition) : undefined;
      if (cond === 'process_completed_successfully' || cond === 'process_completed')
        oneshots.add(dep);
      if (cond === 'process_log_ready') logReady.add(dep);
    }
  }

  let exitOnFailure = false;
  const usedPorts = new Set<number>();
  const services: DraftService[] = [];
  const commented: { note: string; service: DraftService }[] = [];
  for (const [raw, name] of nameOf) {
    const p = processes[raw];
    const at: KeyPath = ['processes', raw];
    if (!isDict(p)) {
      w.at(at, `process "${raw}" is empty; skipped`, name);
      continue;
    }
    const svc = convertProcess(raw, name, p, {
      at,
      w,
      dir,
      ctx,
      dotenv,
      globalEnv,
      nameOf,
      disabled,
      oneshot: oneshots.has(raw),
      logReady: logReady.has(raw),
      usedPorts,
    });
    if (svc === null) continue;
    if (svc.exitOnFailure) exitOnFailure = true;
    if (disabled.has(raw)) {
      w.at(
        [...at, 'disabled'],
        `process "${raw}" is disabled: written as a comment at the end of the file, uncomment it to run it`,
        name,
      );
      commented.push({
        note: `Disabled in ${path.basename(file)}; to run it, move it under services:`,
        service: svc.service,
      });
      continue;
    }
    services.push(svc.service);
  }

  const settings: Record<string, unknown> = {};
  if (logLevel !== undefined) settings.log_level = logLevel;
  if (exitOnFailure) settings.on_critical = 'shutdown';
  return {
    stack: {
      name: path.basename(dir),
      header,
      ...(hasDotenv ? { envFile: [dotenvFile] } : {}),
      settings,
      services,
      ...(commented.length > 0 ? { commented } : {}),
    },
    warnings: w.items,
  };
}

interface ProcessContext {
  readonly at: KeyPath;
  readonly w: WarningList;
  readonly dir: string;
  readonly ctx: ConvertContext;
  readonly dotenv: ReadonlyMap<string, string>;
  readonly globalEnv: Readonly<Record<string, string>>;
  readonly nameOf: ReadonlyMap<string, string>;
  readonly disabled: ReadonlySet<string>;
  readonly oneshot: boolean;
  readonly logReady: boolean;
  readonly usedPorts: Set<number>;
}

function convertProcess(
  raw: string,
  name: string,
  p: Dict,
  pc: ProcessContext,
): { service: DraftService; exitOnFailure: boolean } | null {
  const { at, w } = pc;
  const warn = (key: KeyPath, msg: string): void => w.at([...at, ...key], msg, name);
  const comment: string[] = [];
  const keyComments: Record<string, string> = {};
  const description = text(p.description);
  if (description !== undefined) comment.push(...description.trim().split('\n'));

  for (const key of Object.keys(p)) {
    if (PROCESS_HANDLED.has(key) || key.startsWith('x-')) continue;
    warn(
      [key],
      `${key}: ${PROCESS_NOT_MAPPED[key] ?? 'not a process-compose key Vigil knows; ignored'}`,
    );
  }

  // command
  let command: string | readonly string[] | undefined;
  const cmd = text(p.command);
  const entry = Array.isArray(p.entrypoint) ? p.entrypoint.map((x) => text(x) ?? '') : undefined;
  if (cmd !== undefined && cmd.trim() !== '') {
    command = cmd.replace(/\n+$/, '');
    if (entry) warn(['entrypoint'], 'entrypoint not mapped: command is set too, and wins');
  } else if (entry && entry.length > 0 && entry[0] !== '') command = entry;
  if (command === undefined) {
    warn([], `process "${raw}" has no command; skipped`);
    return null;
  }
  if (typeof command === 'string' && /\{\{.*\}\}/.test(command))
    warn(
      ['command'],
      'the command uses {{...}} templates, which Vigil does not expand; write the values out',
    );

  // process-compose runs processes in its own directory: the file's, as the stack file's.
  const svc: DraftService = { name, command, cwd: pc.dir };
  if (comment.length > 0) svc.comment = comment;

  // working_dir
  const wd = text(p.working_dir);
  if (wd !== undefined && wd !== '') {
    const expanded = expandForCheck(wd, pc.ctx.env, pc.dotenv);
    const abs = path.resolve(pc.dir, expanded);
    if (wd.includes('${') && pc.ctx.fs.isDir(abs)) svc.cwd = wd;
    else if (pc.ctx.fs.isDir(abs)) svc.cwd = abs;
    else
      warn(
        ['working_dir'],
        `working_dir "${wd}" does not exist (${abs}); left out, so the service runs in the stack's directory: create it and add \`cwd:\``,
      );
  }

  // environment: the global list, then the process's own
  const env: Record<string, string> = {
    ...pc.globalEnv,
    ...readEnvironment(p.environment, [...at, 'environment'], w, name),
  };
  if (Object.keys(env).length > 0) svc.env = env;

  // availability
  const av = isDict(p.availability) ? p.availability : {};
  if (p.availability !== undefined && !isDict(p.availability))
    warn(['availability'], 'availability is not a map; ignored');
  let exitOnFailure = false;
  const policy = text(av.restart) ?? 'no';
  const restart: NonNullable<DraftService['restart']> = {};
  switch (policy) {
    case 'always':
      restart.policy = 'always';
      break;
    case 'on_failure':
      restart.policy = 'on-failure';
      break;
    case 'exit_on_failure':
      restart.policy = 'never';
      svc.priority = 'critical';
      exitOnFailure = true;
      keyComments.priority =
        'exit_on_failure: a critical service that fails stops the stack (settings.on_critical)';
      break;
    case 'no':
      restart.policy = 'never';
      if (av.restart === undefined)
        keyComments.restart = 'process-compose does not restart by default';
      break;
    default:
      warn(
        ['availability', 'restart'],
        `restart "${policy}" is not a process-compose policy; Vigil's default (always) applies`,
      );
  }
  const backoff = num(av.backoff_seconds);
  if (backoff !== undefined && restart.policy !== 'never') restart.backoff = [seconds(backoff)];
  const maxRestarts = num(av.max_restarts);
  if (maxRestarts !== undefined && maxRestarts > 0 && restart.policy !== 'never')
    restart.max_attempts = Math.floor(maxRestarts);
  if (av.exit_on_end === true)
    warn(
      ['availability', 'exit_on_end'],
      'exit_on_end not mapped: Vigil keeps the stack running when one service ends',
    );
  if (av.exit_on_skipped === true)
    warn(
      ['availability', 'exit_on_skipped'],
      'exit_on_skipped not mapped: Vigil keeps the stack running when a service cannot start',
    );
  for (const k of Object.keys(av))
    if (
      !['restart', 'backoff_seconds', 'max_restarts', 'exit_on_end', 'exit_on_skipped'].includes(k)
    )
      warn(['availability', k], `availability.${k} is not a key Vigil knows; ignored`);
  if (pc.oneshot) {
    svc.oneshot = true;
    // A job that exits 0 is done; "always" would rerun it forever in process-compose terms.
    if (restart.policy === 'always') restart.policy = 'on-failure';
  }
  if (Object.keys(restart).length > 0) svc.restart = restart;

  if (p.is_daemon === true) {
    warn(
      ['is_daemon'],
      'is_daemon: Vigil supervises foreground processes; the command is run as a oneshot job, and the daemon it starts is neither watched nor stopped by Vigil (run it in the foreground to have it supervised)',
    );
  }
  const replicas = num(p.replicas);
  if (replicas !== undefined && Number.isInteger(replicas) && replicas > 1) {
    svc.replicas = replicas;
    keyComments.replicas =
      'from replicas; each instance gets PORT, VIGIL_REPLICA and VIGIL_INSTANCE';
    const uses = [command, ...Object.values(env)].flat().some((x) => x.includes('PC_REPLICA_NUM'));
    if (uses)
      warn(
        ['replicas'],
        'PC_REPLICA_NUM is not set under Vigil: use VIGIL_REPLICA (0-based too) instead, and $PORT for the port each instance listens on',
      );
  } else if (replicas !== undefined && replicas !== 1)
    warn(
      ['replicas'],
      `replicas: ${String(p.replicas)} not mapped: write a whole number of at least 1`,
    );

  // depends_on
  if (p.depends_on !== undefined) {
    const deps: DraftDependency[] = [];
    if (!isDict(p.depends_on)) warn(['depends_on'], 'depends_on is not a map; ignored');
    else
      for (const [dep, spec] of Object.entries(p.depends_on)) {
        const where: KeyPath = ['depends_on', dep];
        const target = pc.nameOf.get(dep);
        if (target === undefined) {
          warn(where, `depends on "${dep}", which is not a process in this file; dropped`);
          continue;
        }
        if (pc.disabled.has(dep)) {
          warn(
            where,
            `depends on "${dep}", which is disabled; dropped (process-compose treats a disabled dependency as ready)`,
          );
          continue;
        }
        const cond = isDict(spec) ? (text(spec.condition) ?? 'process_started') : 'process_started';
        const mapped = CONDITIONS[cond];
        if (mapped === undefined) {
          warn(
            [...where, 'condition'],
            `condition "${cond}" is not a process-compose condition; "started" is used`,
          );
          deps.push({ name: target, condition: 'started' });
          continue;
        }
        if (cond === 'process_completed')
          warn(
            [...where, 'condition'],
            `process_completed (any exit code) is mapped to "completed", which needs "${target}" to exit with code 0`,
          );
        deps.push({
          name: target,
          condition: mapped,
          ...(cond === 'process_log_ready' ? { comment: 'process_log_ready: its log probe' } : {}),
        });
      }
    if (deps.length > 0) svc.dependsOn = deps;
  }

  // health: one probe; the readiness probe gates dependents, so it wins over the liveness probe
  const readiness = isDict(p.readiness_probe) ? p.readiness_probe : undefined;
  const liveness = isDict(p.liveness_probe) ? p.liveness_probe : undefined;
  const chosen = readiness ?? liveness;
  const chosenKey = readiness ? 'readiness_probe' : 'liveness_probe';
  if (readiness && liveness)
    warn(
      ['liveness_probe'],
      'liveness_probe not mapped: Vigil has one health probe per service and uses the readiness probe, which both gates dependents and triggers restarts',
    );
  const logLine = text(p.ready_log_line);
  if (chosen) {
    const health = convertProbe(chosen, [chosenKey], svc, pc, warn);
    if (health) svc.health = health;
    if (logLine !== undefined)
      warn(
        ['ready_log_line'],
        `ready_log_line not mapped: the ${chosenKey.replace('_', ' ')} is the health check`,
      );
  } else if (logLine !== undefined) {
    svc.health = { log: regexEscape(logLine) };
    keyComments.health = 'ready_log_line';
  } else if (pc.logReady) {
    warn(
      [],
      `a dependent waits for process_log_ready, but "${raw}" has no ready_log_line: it is considered healthy once running`,
    );
  }

  // shutdown
  if (p.shutdown !== undefined) {
    const sd = isDict(p.shutdown) ? p.shutdown : {};
    const stop: NonNullable<DraftService['stop']> = {};
    const sig = num(sd.signal);
    if (sig !== undefined) {
      const sigName = signalName(sig);
      if (sigName) stop.signal = sigName;
      else
        warn(['shutdown', 'signal'], `signal ${sig} is not a Linux signal number; SIGTERM is used`);
    }
    const to = num(sd.timeout_seconds);
    if (to !== undefined && to >= 0) stop.timeout = seconds(to);
    if (text(sd.command) !== undefined)
      warn(
        ['shutdown', 'command'],
        'shutdown.command not mapped: Vigil stops a service with its stop signal, then SIGKILL to its process group',
      );
    if (sd.parent_only === true)
      warn(
        ['shutdown', 'parent_only'],
        "shutdown.parent_only not mapped: Vigil signals the service's whole process group",
      );
    for (const k of Object.keys(sd))
      if (!['signal', 'timeout_seconds', 'command', 'parent_only'].includes(k))
        warn(['shutdown', k], `shutdown.${k} is not a key Vigil knows; ignored`);
    if (Object.keys(stop).length > 0) svc.stop = stop;
  }
  if (p.watch !== undefined) {
    const watch = processComposeWatch(p.watch, warn);
    if (watch) svc.watch = watch;
  }
  if (Object.keys(keyComments).length > 0) svc.keyComments = keyComments;
  return { service: svc, exitOnFailure };
}

function convertProbe(
  probe: Dict,
  at: KeyPath,
  svc: DraftService,
  pc: ProcessContext,
  warn: (key: KeyPath, msg: string) => void,
): Record<string, unknown> | null {
  const health: Record<string, unknown> = {};
  const http = isDict(probe.http_get)
    ? probe.http_get
    : isDict(probe.http)
      ? probe.http
      : undefined;
  const httpKey = isDict(probe.http_get) ? 'http_get' : 'http';
  const exec = isDict(probe.exec) ? probe.exec : undefined;
  if (http) {
    const host = text(http.host) ?? '127.0.0.1';
    const scheme = (text(http.scheme) ?? 'http').toLowerCase();
    const port = num(http.port) ?? (scheme === 'https' ? 443 : 80);
    const urlPath = text(http.path) ?? '/';
    const local = LOCAL_HOSTS.has(host);
    const method = text(http.method);
    if (method !== undefined && method.toUpperCase() !== 'GET')
      warn([...at, httpKey, 'method'], `method ${method} not mapped: the http probe sends GET`);
    let portInProbe = true;
    if (local && !pc.usedPorts.has(port) && Number.isInteger(port) && port > 0 && port < 65536) {
      svc.port = port;
      pc.usedPorts.add(port);
      portInProbe = false;
    }
    if (scheme === 'https') {
      warn(
        [...at, httpKey, 'scheme'],
        'https not mapped: the http probe speaks plain HTTP, so this is a TCP connect to the port instead',
      );
      health.tcp = portInProbe ? { port, ...(local ? {} : { host }) } : {};
    } else {
      const h: Record<string, unknown> = {
        path: urlPath.startsWith('/') ? urlPath : `/${urlPath}`,
      };
      if (portInProbe) h.port = port;
      if (host !== '127.0.0.1' && host !== '' && host !== '0.0.0.0') h.host = host;
      const status = num(http.status_code);
      if (status !== undefined && status !== 200) h.expect_status = status;
      health.http = h;
    }
  } else if (exec) {
    const cmd = text(exec.command);
    if (cmd === undefined || cmd.trim() === '') {
      warn([...at, 'exec'], 'exec probe without a command; not mapped');
      return null;
    }
    const wd = text(exec.working_dir);
    health.exec = wd ? `cd ${shellQuote(wd)} && ${cmd}` : cmd;
  } else {
    warn(at, 'probe has neither exec nor http_get; not mapped');
    return null;
  }
  const delay = num(probe.initial_delay_seconds);
  if (delay !== undefined && delay > 0) health.start_period = seconds(delay);
  // process-compose's defaults differ from Vigil's: period 10s, timeout 1s, success threshold 1.
  const period = num(probe.period_seconds);
  health.interval = seconds(period !== undefined && period >= 1 ? period : 10);
  const timeout = num(probe.timeout_seconds);
  health.timeout = seconds(timeout !== undefined && timeout >= 1 ? timeout : 1);
  const failure = num(probe.failure_threshold);
  if (failure !== undefined && failure >= 1 && failure !== 3)
    health.failure_threshold = Math.floor(failure);
  const success = num(probe.success_threshold);
  health.recovery_threshold = success !== undefined && success >= 1 ? Math.floor(success) : 1;
  for (const k of Object.keys(probe))
    if (
      ![
        'http_get',
        'http',
        'exec',
        'initial_delay_seconds',
        'period_seconds',
        'timeout_seconds',
        'failure_threshold',
        'success_threshold',
      ].includes(k)
    )
      warn([...at, k], `${k} is not a probe key Vigil knows; ignored`);
  return health;
}

/** `environment: ["K=V", ...]` (or a map) -> a map; values kept verbatim for interpolation. */
function readEnvironment(
  v: unknown,
  at: KeyPath,
  w: WarningList,
  service?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  const put = (key: string, value: string, where: KeyPath): void => {
    if (!ENV_KEY_RE.test(key) || key === '__proto__') {
      w.at(where, `"${key}" is not a valid environment variable name; dropped`, service);
      return;
    }
    out[key] = value;
  };
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = text(item);
      if (s === undefined) {
        w.at(
          [...at, i],
          'environment entries are "KEY=value" strings; this one is dropped',
          service,
        );
        return;
      }
      const eq = s.indexOf('=');
      // A bare KEY passes the variable through from the environment Vigil runs in.
      if (eq < 0) put(s.trim(), `\${${s.trim()}}`, [...at, i]);
      else put(s.slice(0, eq).trim(), s.slice(eq + 1), [...at, i]);
    });
  } else if (isDict(v)) {
    for (const [k, val] of Object.entries(v)) put(k, text(val) ?? '', [...at, k]);
  } else w.at(at, 'environment is neither a list nor a map; ignored', service);
  return out;
}

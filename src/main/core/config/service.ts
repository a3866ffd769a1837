/**
 * Over 500 lines: one reader per key of a service entry, each with its default and its error; they
 * share the issue list and the position lookup.
 *
 * One entry of `services:` turned into a ServiceSpec with every default applied. Invalid values are
 * reported and replaced by their default so that the rest of the file can still be checked; the
 * caller discards the result when any error was reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_BACKOFF_MS,
  DEFAULT_HEALTH,
  type CommandSpec,
  type DependencyCondition,
  type HealthSpec,
  type LimitsSpec,
  type ProbeSpec,
  type RestartSpec,
  type ServiceSpec,
  type StackSettings,
  type StopSpec,
} from '../../../shared/model.js';
import { ENV_NAME_RE, isSecretEnvKey, readEnvFile } from './env.js';
import type { Position } from './issues.js';
import { FORBIDDEN_KEYS, joinPath, label, type Entry, type Reader, type Slot } from './reader.js';
import {
  CONDITIONS,
  DEFAULT_EXPECT_STATUS,
  DEFAULT_HTTP_PATH,
  DEFAULT_PROBE_HOST,
  DEFAULT_STOP_SIGNAL,
  DEPENDENCY_KEYS,
  EXEC_KEYS,
  HEALTH_KEYS,
  HTTP_KEYS,
  LAUNCH_MODES,
  LIMITS_KEYS,
  LOG_KEYS,
  PRIORITIES,
  PROBE_TYPES,
  RECOVERY_STRATEGIES,
  RESTART_KEYS,
  RESTART_POLICIES,
  SERVICE_KEYS,
  SIGNALS,
  STOP_KEYS,
  TCP_KEYS,
} from './schema.js';
import { closest } from './suggest.js';
import { readCircuitBreaker } from './settings.js';
import { readReplicaKeys, type ReplicaDraft } from './replicas.js';
import { readWatch } from './watch.js';

export interface DependencyDraft {
  readonly name: string;
  readonly condition: DependencyCondition;
  readonly optional: boolean;
  /** Where the dependency is named. */
  readonly pos: Position;
  readonly path: string;
}

/** A service plus the positions the cross-service checks point at. */
export interface ServiceDraft {
  readonly spec: ServiceSpec;
  readonly keyPos: Position;
  readonly path: string;
  readonly port?: { readonly pos: Position; readonly path: string };
  readonly phase?: { readonly pos: Position; readonly path: string };
  readonly deps: readonly DependencyDraft[];
  readonly replica: ReplicaDraft;
}

export interface ServiceContext {
  readonly r: Reader;
  /** Directory of the stack file. */
  readonly dir: string;
  readonly settings: StackSettings;
  /** Every env file read (for hot reload to watch). */
  envFiles?: Set<string>;
  /** Variables of the stack-level env_file. */
  readonly stackEnv: ReadonlyMap<string, string>;
  /** Absolute paths of the stack-level env files, in order. */
  readonly stackEnvFiles?: readonly string[];
  /** CPU cores, for the `limits.cpu` bound. */
  readonly cores: number;
}

const PLACEHOLDER_COMMAND: CommandSpec = { kind: 'shell', script: '' };

export function readService(name: string, entry: Entry, ctx: ServiceContext): ServiceDraft {
  const { r, settings } = ctx;
  const t = r.isMissing(entry)
    ? new Map<string, Entry>()
    : (r.table(entry, { known: SERVICE_KEYS, what: `service "${name}"` }) ?? null);
  const svc = t ?? new Map<string, Entry>();
  const at = (key: string): Entry | undefined => svc.get(key);
  const read = <T>(key: string, fn: (s: Slot) => T | undefined): T | undefined => {
    const e = at(key);
    return e === undefined ? undefined : fn(e);
  };

  // command (required)
  let command = PLACEHOLDER_COMMAND;
  const cmdEntry = at('command');
  if (cmdEntry === undefined) {
    if (t !== null) {
      r.issues.error(
        'STACK_INVALID',
        `service "${name}" has no "command"`,
        entry.keyPos,
        joinPath(entry.path, 'command'),
        "add `command: <what to run>` (a string runs through the shell, a list is exec'd directly)",
      );
    }
  } else command = readCommand(r, cmdEntry) ?? PLACEHOLDER_COMMAND;

  // cwd
  let cwd = ctx.dir;
  const cwdEntry = at('cwd');
  if (cwdEntry !== undefined) {
    const v = r.string(cwdEntry, { nonEmpty: true });
    if (v !== undefined) {
      const abs = path.resolve(ctx.dir, v);
      let isDir = false;
      let exists = false;
      try {
        const st = fs.statSync(abs);
        exists = true;
        isDir = st.isDirectory();
      } catch {
        // reported below
      }
      if (!exists)
        r.fail(
          cwdEntry,
          `cwd "${v}" does not exist (${abs})`,
          'create the directory or fix the path; it is relative to the stack file',
        );
      else if (!isDir) r.fail(cwdEntry, `cwd "${v}" is not a directory (${abs})`);
      else cwd = abs;
    }
  }

  // env: stack env_file, then service env_file(s), then env
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of ctx.stackEnv) env[k] = v;
  const envFileEntry = at('env_file');
  const envFileList: string[] = [...(ctx.stackEnvFiles ?? [])];
  if (envFileEntry !== undefined) {
    for (const [k, v] of readEnvFiles(r, envFileEntry, ctx.dir, ctx.envFiles, envFileList))
      env[k] = v;
  }
  const envEntry = at('env');
  if (envEntry !== undefined) readEnv(r, envEntry, env);

  const oneshot = read('oneshot', (s) => r.bool(s)) ?? false;

  const portEntry = at('port');
  const port = read('port', (s) => r.int(s, 1, 65535));

  const phaseEntry = at('phase');
  const phase = read('phase', (s) => r.int(s, 0, 10_000));

  const deps = at('depends_on') === undefined ? [] : readDependsOn(r, at('depends_on')!);

  const health = readHealth(r, at('health'), {
    name,
    port,
    settings,
    keyPos: entry.keyPos,
    path: entry.path,
  });
  const restart = readRestart(r, at('restart'), oneshot, settings);
  const recovery = read('recovery', (s) => r.oneOf(s, RECOVERY_STRATEGIES)) ?? 'restart';
  const reset = read('reset', (s) => readCommand(r, s));
  if (recovery === 'restart_with_reset' && at('reset') === undefined) {
    r.fail(
      at('recovery')!,
      `recovery "restart_with_reset" needs a "reset" command in service "${name}"`,
      "add `reset: <command that resets the service's state>`",
    );
  }
  const stop = readStop(r, at('stop'), settings);
  const limits = readLimits(r, at('limits'), ctx.cores);
  // replicas and export (SPEC §11)
  const livenessEntry = at('liveness');
  const liveness =
    livenessEntry === undefined
      ? undefined
      : readLiveness(r, livenessEntry, {
          name,
          port,
          settings,
          keyPos: entry.keyPos,
          path: entry.path,
        });
  const replicaKeys = readReplicaKeys(r, svc, { name, port, cores: ctx.cores });
  const rf = replicaKeys.fields;
  const watch = read('watch', (s) => readWatch(r, s, cwd));

  const spec: ServiceSpec = {
    name,
    command,
    cwd,
    env,
    secretEnv: Object.keys(env).filter(isSecretEnvKey),
    ...(port !== undefined ? { port } : {}),
    priority: read('priority', (s) => r.oneOf(s, PRIORITIES)) ?? 'medium',
    required: read('required', (s) => r.bool(s)) ?? true,
    ...(phase !== undefined ? { phase } : {}),
    launch: read('launch', (s) => r.oneOf(s, LAUNCH_MODES)) ?? 'parallel',
    ...(at('version') !== undefined ? { version: read('version', (s) => r.text(s)) ?? '' } : {}),
    capabilities: read('capabilities', (s) => r.stringList(s)) ?? [],
    dependsOn: deps.map((d) => ({ name: d.name, condition: d.condition, optional: d.optional })),
    health,
    restart: restart.spec,
    recovery,
    ...(reset !== undefined ? { reset } : {}),
    stop,
    oneshot,
    limits,
    maxRestartAttempts: restart.maxAttempts ?? settings.maxRestartAttempts,
    startupTimeoutMs:
      read('startup_timeout', (s) => r.duration(s, { positive: true })) ??
      settings.startupTimeoutMs,
    source: { file: r.issues.file, line: entry.keyPos.line, col: entry.keyPos.col },
    ...(envFileList.length > 0 ? { envFileList } : {}),
    ...(liveness !== undefined ? { liveness } : {}),
    ...rf,
    ...(watch !== undefined ? { watch } : {}),
  };
  return {
    spec,
    keyPos: entry.keyPos,
    path: entry.path,
    ...(portEntry !== undefined && port !== undefined
      ? { port: { pos: portEntry.pos, path: portEntry.path } }
      : {}),
    ...(phaseEntry !== undefined && phase !== undefined
      ? { phase: { pos: phaseEntry.pos, path: phaseEntry.path } }
      : {}),
    deps,
    replica: replicaKeys.draft,
  };
}

/** `command`, `reset` and exec probes: a string runs through the shell, a list is exec'd. */
export function readCommand(r: Reader, slot: Slot): CommandSpec | undefined {
  if (r.isList(slot)) {
    const items = r.items(slot) ?? [];
    if (items.length === 0)
      return r.fail(
        slot,
        `${label(slot.path)} must not be an empty list`,
        'give the program and its arguments',
      );
    const argv: string[] = [];
    let ok = true;
    for (const item of items) {
      const s = r.text(item);
      if (s === undefined) ok = false;
      else argv.push(s);
    }
    if (!ok) return undefined;
    if (argv[0]!.trim() === '') return r.fail(items[0]!, 'the program name must not be empty');
    return { kind: 'argv', argv };
  }
  if (r.isMap(slot)) return r.expected(slot, 'a command string or a list of arguments');
  const v = r.value(slot);
  if (v === null || (typeof v === 'string' && v.trim() === '')) {
    return r.fail(slot, `${label(slot.path)} must not be empty`, 'give the command to run');
  }
  if (typeof v !== 'string') return r.expected(slot, 'a command string or a list of arguments');
  return { kind: 'shell', script: v };
}

function readEnvFiles(
  r: Reader,
  slot: Slot,
  dir: string,
  seen: Set<string> | undefined,
  list: string[],
): Map<string, string> {
  const out = new Map<string, string>();
  const files: Slot[] = r.isList(slot) ? (r.items(slot) ?? []) : [slot];
  for (const f of files) {
    const rel = r.string(f, { nonEmpty: true });
    if (rel === undefined) continue;
    const abs = path.resolve(dir, rel);
    const res = readEnvFile(abs, seen);
    if (!res.ok) {
      r.fail(
        f,
        `env_file "${rel}" ${res.reason} (${abs})`,
        'env_file paths are relative to the stack file',
      );
      continue;
    }
    if (!list.includes(abs)) list.push(abs);
    for (const [k, v] of res.vars) out.set(k, v);
  }
  return out;
}

function checkEnvName(r: Reader, key: string, pos: Position, p: string): boolean {
  if (ENV_NAME_RE.test(key) && !FORBIDDEN_KEYS.has(key)) return true;
  r.issues.error(
    'STACK_INVALID',
    `invalid environment variable name "${key}"`,
    pos,
    p,
    'use letters, digits and "_", not starting with a digit',
  );
  return false;
}

function readEnv(r: Reader, slot: Slot, env: Record<string, string>): void {
  if (r.isList(slot)) {
    for (const item of r.items(slot) ?? []) {
      const s = r.string(item, { nonEmpty: true });
      if (s === undefined) continue;
      const eq = s.indexOf('=');
      const key = eq < 0 ? s : s.slice(0, eq);
      if (!checkEnvName(r, key, item.pos, item.path)) continue;
      env[key] = eq < 0 ? (r.lookup(key) ?? '') : s.slice(eq + 1);
    }
    return;
  }
  const entries = r.entries(slot, { known: null, what: 'env' });
  for (const e of entries ?? []) {
    if (!checkEnvName(r, e.key, e.keyPos, e.path)) continue;
    if (r.isList(e) || r.isMap(e)) {
      r.expected(e, 'a string, number or boolean');
      continue;
    }
    const v = r.text(e);
    if (v !== undefined) env[e.key] = v;
  }
}

function readDependsOn(r: Reader, slot: Slot): DependencyDraft[] {
  const out: DependencyDraft[] = [];
  if (r.isList(slot)) {
    const seen = new Set<string>();
    for (const item of r.items(slot) ?? []) {
      const name = r.string(item, { nonEmpty: true });
      if (name === undefined) continue;
      if (seen.has(name)) {
        r.fail(item, `"${name}" is listed twice in depends_on`);
        continue;
      }
      seen.add(name);
      out.push({ name, condition: 'healthy', optional: false, pos: item.pos, path: item.path });
    }
    return out;
  }
  if (r.isMissing(slot)) return out;
  for (const e of r.entries(slot, { known: null, what: 'depends_on' }) ?? []) {
    let condition: DependencyCondition = 'healthy';
    let optional = false;
    if (r.isMap(e)) {
      const t = r.table(e, { known: DEPENDENCY_KEYS, what: `dependency "${e.key}"` });
      const c = t?.get('condition');
      const o = t?.get('optional');
      if (c !== undefined) condition = r.oneOf(c, CONDITIONS) ?? 'healthy';
      if (o !== undefined) optional = r.bool(o) ?? false;
    } else if (!r.isMissing(e)) {
      condition = r.oneOf(e, CONDITIONS) ?? 'healthy';
    }
    out.push({ name: e.key, condition, optional, pos: e.keyPos, path: e.path });
  }
  return out;
}

interface HealthContext {
  readonly name: string;
  readonly port: number | undefined;
  readonly settings: StackSettings;
  readonly keyPos: Position;
  readonly path: string;
}

function readHealth(
  r: Reader,
  slot: Slot | undefined,
  hc: HealthContext,
  what = 'health',
): HealthSpec {
  const fallbackProbe: ProbeSpec =
    hc.port !== undefined
      ? { type: 'default', host: DEFAULT_PROBE_HOST, port: hc.port }
      : { type: 'process' };
  const base: HealthSpec = {
    probe: fallbackProbe,
    intervalMs: hc.settings.healthCheckIntervalMs,
    timeoutMs: hc.settings.healthCheckTimeoutMs,
    failureThreshold: DEFAULT_HEALTH.failureThreshold,
    recoveryThreshold: DEFAULT_HEALTH.recoveryThreshold,
    startPeriodMs: DEFAULT_HEALTH.startPeriodMs,
    startIntervalMs: DEFAULT_HEALTH.startIntervalMs,
  };
  if (slot === undefined || r.isMissing(slot)) return base;
  const t = r.table(slot, { known: HEALTH_KEYS, what });
  if (t === null) return base;
  const probes = PROBE_TYPES.filter((p) => t.has(p));
  let probe: ProbeSpec = fallbackProbe;
  if (probes.length > 1) {
    const second = t.get(probes[1]!)!;
    r.issues.error(
      'STACK_INVALID',
      `${what} takes exactly one probe, found ${probes.join(' and ')}`,
      second.keyPos,
      second.path,
      'keep one of http, tcp, exec, log or process',
    );
  } else if (probes.length === 1) {
    const kind = probes[0]!;
    probe = readProbe(r, kind, t.get(kind)!, hc) ?? fallbackProbe;
  }
  const get = <T>(key: string, fn: (s: Slot) => T | undefined, dflt: T): T => {
    const e = t.get(key);
    return e === undefined ? dflt : (fn(e) ?? dflt);
  };
  return {
    probe,
    intervalMs: get('interval', (s) => r.duration(s, { positive: true }), base.intervalMs),
    timeoutMs: get('timeout', (s) => r.duration(s, { positive: true }), base.timeoutMs),
    failureThreshold: get('failure_threshold', (s) => r.int(s, 1), base.failureThreshold),
    recoveryThreshold: get('recovery_threshold', (s) => r.int(s, 1), base.recoveryThreshold),
    startPeriodMs: get('start_period', (s) => r.duration(s), base.startPeriodMs),
    startIntervalMs: get(
      'start_interval',
      (s) => r.duration(s, { positive: true }),
      base.startIntervalMs,
    ),
  };
}

/** `liveness:`: the shape of `health`, with its one probe required. */
function readLiveness(r: Reader, slot: Entry, hc: HealthContext): HealthSpec | undefined {
  const t = r.isMap(slot) ? r.table(slot, { known: HEALTH_KEYS, what: 'liveness' }) : null;
  if (t === null) {
    if (!r.isMap(slot)) r.expected(slot, 'a map with one probe (http, tcp, exec, log or process)');
    return undefined;
  }
  if (!PROBE_TYPES.some((p) => t.has(p))) {
    r.fail(
      slot,
      `"liveness" of service "${hc.name}" names no probe`,
      'add one of http, tcp, exec, log or process, e.g. `liveness: { http: { path: /live } }`',
    );
    return undefined;
  }
  return readHealth(r, slot, hc, 'liveness');
}

function readProbe(
  r: Reader,
  kind: (typeof PROBE_TYPES)[number],
  e: Entry,
  hc: HealthContext,
): ProbeSpec | undefined {
  const portOf = (t: Map<string, Entry> | null): number | undefined => {
    const p = t?.get('port');
    if (p !== undefined) return r.int(p, 1, 65535);
    if (hc.port !== undefined) return hc.port;
    r.fail(
      e,
      `the ${kind} probe of service "${hc.name}" needs a port`,
      `add \`port:\` to the probe or to the service`,
    );
    return undefined;
  };
  const hostOf = (t: Map<string, Entry> | null): string | undefined => {
    const h = t?.get('host');
    return h === undefined ? DEFAULT_PROBE_HOST : r.string(h, { nonEmpty: true });
  };
  switch (kind) {
    case 'http': {
      if (!r.isMap(e)) {
        const p = r.value(e);
        if (typeof p === 'string' && p.startsWith('/')) {
          const port = portOf(null);
          return port === undefined
            ? undefined
            : {
                type: 'http',
                host: DEFAULT_PROBE_HOST,
                port,
                path: p,
                expectStatus: DEFAULT_EXPECT_STATUS,
                headers: {},
              };
        }
        if (!r.isMissing(e))
          return r.expected(
            e,
            'a map {path, port, host, expect_status, headers} or a path like /health',
          );
      }
      const t = r.isMissing(e)
        ? new Map<string, Entry>()
        : r.table(e, { known: HTTP_KEYS, what: 'http probe' });
      if (t === null) return undefined;
      const pathEntry = t.get('path');
      let urlPath = DEFAULT_HTTP_PATH;
      if (pathEntry !== undefined) {
        const v = r.string(pathEntry, { nonEmpty: true });
        if (v !== undefined && !v.startsWith('/'))
          r.fail(pathEntry, `the http probe path must start with "/", not ${JSON.stringify(v)}`);
        else if (v !== undefined) urlPath = v;
      }
      const es = t.get('expect_status');
      const headers: Record<string, string> = Object.create(null) as Record<string, string>;
      const he = t.get('headers');
      if (he !== undefined) {
        for (const h of r.entries(he, { known: null, what: 'headers' }) ?? []) {
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.key) || FORBIDDEN_KEYS.has(h.key)) {
            r.issues.error('STACK_INVALID', `invalid header name "${h.key}"`, h.keyPos, h.path);
            continue;
          }
          const v = r.text(h);
          if (v !== undefined) headers[h.key] = v;
        }
      }
      const port = portOf(t);
      const host = hostOf(t);
      const expectStatus = es === undefined ? DEFAULT_EXPECT_STATUS : r.int(es, 100, 599);
      if (port === undefined || host === undefined || expectStatus === undefined) return undefined;
      return { type: 'http', host, port, path: urlPath, expectStatus, headers };
    }
    case 'tcp': {
      if (!r.isMap(e)) {
        if (r.isMissing(e)) {
          const port = portOf(null);
          return port === undefined ? undefined : { type: 'tcp', host: DEFAULT_PROBE_HOST, port };
        }
        const port = r.int(e, 1, 65535);
        return port === undefined ? undefined : { type: 'tcp', host: DEFAULT_PROBE_HOST, port };
      }
      const t = r.table(e, { known: TCP_KEYS, what: 'tcp probe' });
      const port = portOf(t);
      const host = hostOf(t);
      return port === undefined || host === undefined ? undefined : { type: 'tcp', host, port };
    }
    case 'exec': {
      if (r.isMap(e)) {
        const t = r.table(e, { known: EXEC_KEYS, what: 'exec probe' });
        const c = t?.get('command');
        if (t !== null && c === undefined) return r.fail(e, 'the exec probe needs a "command"');
        const command = c === undefined ? undefined : readCommand(r, c);
        return command === undefined ? undefined : { type: 'exec', command };
      }
      const command = readCommand(r, e);
      return command === undefined ? undefined : { type: 'exec', command };
    }
    case 'log': {
      let slot: Slot = e;
      if (r.isMap(e)) {
        const t = r.table(e, { known: LOG_KEYS, what: 'log probe' });
        const p = t?.get('pattern');
        if (t !== null && p === undefined) return r.fail(e, 'the log probe needs a "pattern"');
        if (p === undefined) return undefined;
        slot = p;
      }
      const pattern = r.string(slot, { nonEmpty: true });
      if (pattern === undefined) return undefined;
      try {
        new RegExp(pattern);
      } catch (err) {
        return r.fail(
          slot,
          `the log pattern is not a valid regular expression: ${(err as Error).message}`,
        );
      }
      return { type: 'log', pattern };
    }
    case 'process': {
      if (r.isMap(e)) {
        r.table(e, { known: [], what: 'process probe' });
        return { type: 'process' };
      }
      const v = r.value(e);
      if (v === true || v === null) return { type: 'process' };
      return r.expected(e, 'true or {}', 'remove `process:` to use the default probe');
    }
  }
}

function readRestart(
  r: Reader,
  slot: Slot | undefined,
  oneshot: boolean,
  settings: StackSettings,
): { spec: RestartSpec; maxAttempts: number | undefined } {
  const spec: RestartSpec = {
    policy: oneshot ? 'on-failure' : 'always',
    backoffMs: DEFAULT_BACKOFF_MS,
    jitter: 0,
  };
  if (slot === undefined || r.isMissing(slot)) return { spec, maxAttempts: undefined };
  const t = r.table(slot, { known: RESTART_KEYS, what: 'restart' });
  if (t === null) return { spec, maxAttempts: undefined };
  const p = t.get('policy');
  const b = t.get('backoff');
  const j = t.get('jitter');
  const m = t.get('max_attempts');
  const cb = t.get('circuit_breaker');
  let backoffMs = spec.backoffMs;
  if (b !== undefined) {
    const items = r.isList(b) ? (r.items(b) ?? []) : [b];
    const out: number[] = [];
    let ok = true;
    for (const item of items) {
      const ms = r.duration(item);
      if (ms === undefined) ok = false;
      else out.push(ms);
    }
    if (ok && out.length === 0) r.fail(b, '"backoff" must list at least one delay');
    else if (ok) backoffMs = out;
  }
  return {
    spec: {
      policy: (p && r.oneOf(p, RESTART_POLICIES)) ?? spec.policy,
      backoffMs,
      jitter: (j && r.number(j, 0, 1)) ?? 0,
      ...(cb !== undefined
        ? { circuitBreaker: readCircuitBreaker(r, cb, settings.circuitBreaker) }
        : {}),
    },
    maxAttempts: m === undefined ? undefined : r.int(m, 0),
  };
}

function readStop(r: Reader, slot: Slot | undefined, settings: StackSettings): StopSpec {
  const spec: StopSpec = { signal: DEFAULT_STOP_SIGNAL, timeoutMs: settings.shutdownTimeoutMs };
  if (slot === undefined || r.isMissing(slot)) return spec;
  const t = r.table(slot, { known: STOP_KEYS, what: 'stop' });
  if (t === null) return spec;
  const s = t.get('signal');
  const to = t.get('timeout');
  let signal = spec.signal;
  if (s !== undefined) {
    const v = r.string(s, { nonEmpty: true });
    if (v !== undefined) {
      const upper = v.trim().toUpperCase();
      const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
      if (SIGNALS.includes(name)) signal = name;
      else {
        const near = closest(name, SIGNALS);
        r.fail(
          s,
          `"${v}" is not a signal name`,
          near !== undefined
            ? `did you mean "${near}"?`
            : 'use a name like SIGTERM, SIGINT, SIGQUIT or SIGKILL',
        );
      }
    }
  }
  return { signal, timeoutMs: (to && r.duration(to)) ?? spec.timeoutMs };
}

function readLimits(r: Reader, slot: Slot | undefined, cores: number): LimitsSpec {
  if (slot === undefined || r.isMissing(slot)) return {};
  const t = r.table(slot, { known: LIMITS_KEYS, what: 'limits' });
  if (t === null) return {};
  const m = t.get('memory');
  const c = t.get('cpu');
  const p = t.get('processes');
  const memoryBytes = m && r.size(m);
  const cpuPercent = c && readCpu(r, c, cores);
  const processes = p && r.int(p, 1, 1_000_000);
  return {
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    ...(cpuPercent !== undefined ? { cpuPercent } : {}),
    ...(processes !== undefined ? { processes } : {}),
  };
}

/** `90%` or a number of percent of one core, at most 100 × cores. */
function readCpu(r: Reader, slot: Slot, cores: number): number | undefined {
  const v = r.value(slot);
  const max = 100 * cores;
  let pct: number | undefined;
  if (typeof v === 'number') pct = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
    if (m) pct = Number(m[1]);
  }
  const hint = `write a percentage of one core like 90% or 150 (this machine has ${cores} core${cores === 1 ? '' : 's'}: at most ${max})`;
  if (pct === undefined)
    return r.fail(slot, `"cpu" must be a percentage, not ${r.describe(slot.node)}`, hint);
  if (!(pct > 0) || pct > max)
    return r.fail(slot, `"cpu" must be more than 0 and at most ${max}%, not ${pct}`, hint);
  return pct;
}

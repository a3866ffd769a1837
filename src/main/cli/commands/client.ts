/**
 * Over 500 lines: the small commands that talk to a running Vigil (replica ones included) share
 * one lookup of the running instance and one error printer; each is a few dozen lines.
 *
 * The commands that talk to a running Vigil over its REST API: `ps`, `restart`, `start`, `stop`,
 * `quarantine`, `release`, `deregister`, `watch`, `scale`, `failover`, `logs`, `report`, `down`.
 * The instance is found through the data directory's lock file (its API address) and `api-token`
 * (unless `--token` / VIGIL_TOKEN).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createColors } from 'picocolors';
import type { VigilClient } from '../../../shared/contract.js';
import { formatDuration } from '../../../shared/duration.js';
import { notReadyText, startedWithoutText } from '../../../shared/notes.js';
import { VigilError } from '../../../shared/errors.js';
import { MAX_INSTANCES, type DisplayStatus } from '../../../shared/model.js';
import type {
  ActionResponse,
  LogLine,
  ReplicaActionResponse,
  ReplicasView,
  ServiceView,
} from '../../../shared/views.js';
import { createHttpClient, type FetchLike } from '../../../shared/client/http.js';
import { defaultDataDir, readToken } from '../../host/data-dir.js';
import { readInstance } from '../../host/lock.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIO, type CommandFn } from '../io.js';
import { findChromium, htmlToPdf } from '../pdf.js';
import {
  instCell,
  instanceNote,
  instanceProblem,
  parseInstance,
  replicaNote,
  replicasArg,
} from './replicas.js';

export interface ClientCommandDeps {
  readInstance(
    dataDir: string,
  ): { readonly pid: number; readonly api?: { readonly url: string } } | null;
  defaultDataDir(env: Readonly<Record<string, string | undefined>>): string;
  readonly fetch?: FetchLike;
  /** Ends `logs -f` (tests); by default Ctrl-C does. */
  readonly signal?: AbortSignal;
  /** Poll interval of `logs -f` (ms); default 500. */
  readonly pollMs?: number;
  /** How long `down` waits for the instance to exit (ms); default 60 s. */
  readonly downTimeoutMs?: number;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  'data-dir': { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const COMMON_HELP = `  --data-dir DIR   the data directory of the running Vigil (default: VIGIL_DATA_DIR or the per-user one)
  --token T        the API token (default: VIGIL_TOKEN, or <data-dir>/api-token)
  --json           machine-readable output
  -h, --help       show this help`;

interface Spec {
  readonly usage: string;
  readonly about: string;
  readonly options?: Options;
  readonly extraHelp?: string;
  /** Number of positional arguments (a service name, then a value) the command takes. */
  readonly positionals: 0 | 1 | 2;
  /**
   * Checks the arguments before the running instance is looked up: a message makes it a usage
   * error (exit 2) whether or not a Vigil runs.
   */
  readonly check?: (values: Values, positionals: readonly string[]) => string | null;
}

type Values = Record<string, string | boolean | undefined>;

/** `--instance N` once checked: the 0-based index, or undefined when not given. */
function instanceOf(ctx: Ctx): number | undefined {
  const raw = ctx.values['instance'];
  return typeof raw === 'string' ? (parseInstance(ctx.name, raw) ?? undefined) : undefined;
}

interface Ctx {
  readonly io: CliIO;
  readonly client: VigilClient;
  readonly values: Values;
  readonly name: string;
  /** Every positional argument (the name is the first). */
  readonly args: readonly string[];
  readonly json: boolean;
  /** Colours when stdout is a TTY (and not --json); plain strings otherwise. */
  readonly c: Colors;
  readonly dataDir: string;
  readonly pid: number;
}

function usageText(spec: Spec): string {
  return `Usage: vigil ${spec.usage}\n\n${spec.about}\n\nOptions:\n${spec.extraHelp ? spec.extraHelp + '\n' : ''}${COMMON_HELP}\n`;
}

function noInstance(dataDir: string): string {
  return `vigil: no running Vigil found for data dir ${dataDir} (start one with \`vigil up\`)\n`;
}

function writeError(io: CliIO, err: VigilError): void {
  io.stderr.write(`vigil: ${err.message}\n`);
  if (err.hint) io.stderr.write(`  hint: ${err.hint}\n`);
}

type Colors = ReturnType<typeof createColors>;

function paintStatus(c: Colors, s: DisplayStatus): string {
  switch (s) {
    case 'healthy':
      return c.green(s);
    case 'degraded':
      return c.yellow(s);
    case 'unhealthy':
    case 'timeout':
      return c.red(s);
    case 'quarantined':
      return c.magenta(s);
    case 'stopped':
      return c.dim(s);
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (s: string): number => s.replace(ANSI, '').length;

/** Columns padded to their widest cell (colour codes do not count). */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function note(s: ServiceView, now: number): string {
  if (s.lifecycle === 'quarantined') return `quarantined: ${s.quarantine_reason ?? 'manual'}`;
  if (s.lifecycle === 'waiting' && s.blocked_by.length > 0)
    return `blocked by ${s.blocked_by.join(', ')}`;
  if (s.lifecycle === 'backoff' && s.next_attempt_at) {
    const inMs = Math.max(0, Date.parse(s.next_attempt_at) - now);
    const next = `next attempt in ${formatDuration(inMs)}`;
    // Say why the wait is longer than the backoff list: the breaker holds restarts until its trial.
    return s.breaker.state === 'open'
      ? `breaker open after ${s.breaker.failures} failures, ${next}`
      : next;
  }
  if (s.breaker.state !== 'closed') return `breaker ${s.breaker.state}`;
  if (s.lifecycle === 'starting' && s.not_ready) {
    const without = startedWithoutText(s.started_without);
    return notReadyText(s.not_ready, now) + (without ? `; ${without}` : '');
  }
  if (s.watch?.state === 'paused') return s.watch.paused_reason ?? 'file watch paused';
  return startedWithoutText(s.started_without) ?? s.last_error ?? s.watch?.last_error ?? '';
}

/** The WATCH column: `on`, `off`, `paused`, `-` (no watch: in the stack file). */
function watchCell(s: ServiceView): string {
  if (!s.watch) return '-';
  switch (s.watch.state) {
    case 'off':
      return 'off';
    case 'paused':
      return 'paused';
    case 'running_command':
      return 'on (running)';
    case 'restarting':
    case 'watching':
      return 'on';
  }
}

function uptime(s: Pick<ServiceView, 'started_at' | 'lifecycle'>, now: number): string {
  if (!s.started_at || s.lifecycle !== 'running') return '-';
  return formatDuration(Math.max(0, now - Date.parse(s.started_at)));
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** `report --format pdf -o FILE`: the HTML report printed by Chromium. */
async function writePdfReport(
  ctx: Ctx,
  range: { readonly since?: string; readonly until?: string },
  output: string | boolean | undefined,
): Promise<number> {
  if (typeof output !== 'string') {
    ctx.io.stderr.write('vigil: --format pdf writes a file: add -o FILE\n');
    return EXIT_USAGE;
  }
  const chromium = findChromium(ctx.io.env);
  if (!chromium.ok) {
    ctx.io.stderr.write(`vigil: ${chromium.message}\n`);
    return EXIT_FAILURE;
  }
  const report = await ctx.client.getReport({ format: 'html', ...range });
  let pdf: Uint8Array;
  try {
    pdf = await htmlToPdf(report.body, chromium.path);
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split('\n')[0];
    ctx.io.stderr.write(`vigil: printing the report with ${chromium.path} failed: ${first}\n`);
    return EXIT_FAILURE;
  }
  const file = path.resolve(ctx.io.cwd, output);
  try {
    fs.writeFileSync(file, pdf);
  } catch (err) {
    ctx.io.stderr.write(`vigil: cannot write ${file}: ${(err as Error).message}\n`);
    return EXIT_FAILURE;
  }
  if (ctx.json)
    ctx.io.stdout.write(JSON.stringify({ file, format: 'pdf', bytes: pdf.byteLength }) + '\n');
  else ctx.io.stdout.write(`wrote pdf report to ${file} (${pdf.byteLength} bytes)\n`);
  return EXIT_OK;
}

export function createClientCommands(deps: ClientCommandDeps): {
  psCommand: CommandFn;
  restartCommand: CommandFn;
  startCommand: CommandFn;
  stopCommand: CommandFn;
  quarantineCommand: CommandFn;
  releaseCommand: CommandFn;
  deregisterCommand: CommandFn;
  watchCommand: CommandFn;
  scaleCommand: CommandFn;
  failoverCommand: CommandFn;
  logsCommand: CommandFn;
  reportCommand: CommandFn;
  downCommand: CommandFn;
} {
  /** Parses, finds the instance, runs `body`, and maps failures to exit codes. */
  const command =
    (spec: Spec, body: (ctx: Ctx) => Promise<number>): CommandFn =>
    async (argv, io) => {
      let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
      try {
        parsed = parseArgs({
          args: [...argv],
          options: { ...COMMON, ...spec.options },
          allowPositionals: true,
          strict: true,
        }) as typeof parsed;
      } catch (err) {
        io.stderr.write(`vigil: ${(err as Error).message}\n\n${usageText(spec)}`);
        return EXIT_USAGE;
      }
      const { values, positionals } = parsed;
      if (values['help']) {
        io.stdout.write(usageText(spec));
        return EXIT_OK;
      }
      if (positionals.length !== spec.positionals) {
        const what =
          spec.positionals === 2
            ? 'a service name and a value'
            : spec.positionals === 1
              ? 'one service name'
              : 'no arguments';
        io.stderr.write(`vigil: expected ${what}\n\n${usageText(spec)}`);
        return EXIT_USAGE;
      }
      const problem = spec.check?.(values, positionals) ?? null;
      if (problem !== null) {
        io.stderr.write(`vigil: ${problem}\n`);
        return EXIT_USAGE;
      }
      const dataDirArg = values['data-dir'];
      const dataDir =
        typeof dataDirArg === 'string'
          ? path.resolve(io.cwd, dataDirArg)
          : deps.defaultDataDir(io.env);
      const instance = deps.readInstance(dataDir);
      if (!instance) {
        io.stderr.write(noInstance(dataDir));
        return EXIT_FAILURE;
      }
      if (!instance.api) {
        io.stderr.write(
          `vigil: the Vigil running for data dir ${dataDir} (pid ${instance.pid}) serves no API\n`,
        );
        return EXIT_FAILURE;
      }
      const tokenArg = values['token'];
      const token =
        (typeof tokenArg === 'string' ? tokenArg : undefined) ??
        io.env['VIGIL_TOKEN'] ??
        readToken(dataDir);
      if (!token) {
        io.stderr.write(
          `vigil: no API token: none in ${path.join(dataDir, 'api-token')}; pass --token or set VIGIL_TOKEN\n`,
        );
        return EXIT_FAILURE;
      }
      const client = createHttpClient({
        baseUrl: instance.api.url,
        token,
        client: 'cli',
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      const json = values['json'] === true;
      try {
        return await body({
          io,
          client,
          values,
          name: positionals[0] ?? '',
          args: positionals,
          json,
          c: createColors(Boolean(io.stdout.isTTY) && !json),
          dataDir,
          pid: instance.pid,
        });
      } catch (err) {
        if (err instanceof VigilError) {
          if (err.code === 'NOT_RUNNING') io.stderr.write(noInstance(dataDir));
          else writeError(io, err);
          return EXIT_FAILURE;
        }
        throw err;
      }
    };

  const printAction = (ctx: Ctx, res: ActionResponse): number => {
    if (ctx.json) ctx.io.stdout.write(JSON.stringify(res) + '\n');
    else {
      ctx.io.stdout.write(`${res.message} (${paintStatus(ctx.c, res.status)}, ${res.lifecycle})\n`);
    }
    return EXIT_OK;
  };

  /** The instances of a replicated service, one indented line each. */
  const printInstances = (ctx: Ctx, r: ReplicasView): void => {
    const rows = r.instances.map((i) => [
      i.id,
      paintStatus(ctx.c, i.status),
      i.lifecycle,
      i.port === null ? '-' : `port ${i.port}`,
      i.draining ? 'draining' : '',
    ]);
    if (rows.length === 0) return;
    const table = formatTable(['', '', '', '', ''], rows).split('\n').slice(1, -1);
    ctx.io.stdout.write(table.map((l) => `  ${l}\n`).join(''));
  };

  const psCommand = command(
    {
      usage: 'ps [--json] [-i|--instances]',
      about:
        'Lists the services of the running stack. INST is ready/desired instances of a replicated service.',
      options: { instances: { type: 'boolean', short: 'i' } },
      extraHelp: '  -i, --instances  one more row per instance of a replicated service',
      positionals: 0,
    },
    async (ctx) => {
      const status = await ctx.client.getStatus({});
      if (ctx.json) {
        ctx.io.stdout.write(JSON.stringify(status) + '\n');
        return EXIT_OK;
      }
      const now = Date.now();
      const sys = status.system;
      const c = ctx.c;
      const sysState = (
        sys.status === 'healthy' ? c.green : sys.status === 'critical' ? c.red : c.yellow
      )(sys.status);
      ctx.io.stdout.write(
        `${sys.name}: ${sysState}, ${status.services.length} services, up ${formatDuration(sys.uptime_ms)}\n\n`,
      );
      const withInstances = ctx.values['instances'] === true;
      const rows: string[][] = [];
      for (const s of status.services) {
        const notes = [note(s, now), replicaNote(s.replicas)].filter((n) => n !== '');
        rows.push([
          c.bold(s.name),
          paintStatus(c, s.status),
          s.lifecycle,
          s.health,
          s.pid === null ? '-' : String(s.pid),
          String(s.restart_count),
          uptime(s, now),
          s.port === null ? '-' : String(s.port),
          watchCell(s),
          instCell(s),
          notes.join('; '),
        ]);
        if (!withInstances || !s.replicas) continue;
        for (const i of s.replicas.instances) {
          rows.push([
            `  ${i.id}`,
            paintStatus(c, i.status),
            i.lifecycle,
            i.health,
            i.pid === null ? '-' : String(i.pid),
            String(i.restart_count),
            uptime(i, now),
            i.port === null ? '-' : String(i.port),
            '',
            '',
            instanceNote(i),
          ]);
        }
      }
      ctx.io.stdout.write(
        formatTable(
          [
            'NAME',
            'STATUS',
            'LIFECYCLE',
            'HEALTH',
            'PID',
            'RESTARTS',
            'UPTIME',
            'PORT',
            'WATCH',
            'INST',
            'NOTE',
          ],
          rows,
        ),
      );
      return EXIT_OK;
    },
  );

  const restartCommand = command(
    {
      usage: 'restart NAME [--force] [--all-at-once] [--instance N]',
      about:
        'Restarts a service. --force also restarts a quarantined one (and releases it). A replicated service is replaced one instance at a time, each new one ready before an old one stops.',
      options: {
        force: { type: 'boolean' },
        'all-at-once': { type: 'boolean' },
        instance: { type: 'string' },
      },
      extraHelp:
        '  --force          override quarantine\n  --all-at-once    stop every instance of a replicated service first, then start them\n  --instance N     restart only instance N (0-based index, or its id: NAME#N)',
      positionals: 1,
      check: (values, positionals) =>
        instanceProblem(values, positionals) ??
        (values['all-at-once'] === true && values['instance'] !== undefined
          ? '--all-at-once and --instance do not go together'
          : null),
    },
    async (ctx) => {
      const instance = instanceOf(ctx);
      const allAtOnce = ctx.values['all-at-once'] === true;
      return printAction(
        ctx,
        await ctx.client.restartService({
          name: ctx.name,
          ...(ctx.values['force'] ? { force: true } : {}),
          ...(allAtOnce ? { all_at_once: true } : {}),
          ...(instance !== undefined ? { instance } : {}),
        }),
      );
    },
  );

  const startCommand = command(
    { usage: 'start NAME', about: 'Starts a stopped service.', positionals: 1 },
    async (ctx) => printAction(ctx, await ctx.client.startService({ name: ctx.name })),
  );

  const stopCommand = command(
    {
      usage: 'stop NAME',
      about: 'Stops a service; it stays stopped until started again.',
      positionals: 1,
    },
    async (ctx) => printAction(ctx, await ctx.client.stopService({ name: ctx.name })),
  );

  const quarantineCommand = command(
    {
      usage: 'quarantine NAME [--reason R]',
      about: 'Stops a service and holds it in quarantine (no automatic restarts).',
      options: { reason: { type: 'string' } },
      extraHelp: '  --reason R       why (shown in the UI and reports)',
      positionals: 1,
    },
    async (ctx) => {
      const reason = ctx.values['reason'];
      return printAction(
        ctx,
        await ctx.client.quarantineService({
          name: ctx.name,
          ...(typeof reason === 'string' ? { reason } : {}),
        }),
      );
    },
  );

  const watchCommand = command(
    {
      usage: 'watch NAME on|off',
      about:
        "Turns a service's file watch on or off without editing the stack file (on also resumes a watch paused by a restart loop).",
      positionals: 2,
    },
    async (ctx) => {
      const value = ctx.args[1];
      if (value !== 'on' && value !== 'off') {
        ctx.io.stderr.write(
          `vigil: expected "on" or "off" after the service name, not ${JSON.stringify(value)}\n`,
        );
        return EXIT_USAGE;
      }
      const res = await ctx.client.setWatch({ name: ctx.name, enabled: value === 'on' });
      if (ctx.json) ctx.io.stdout.write(JSON.stringify(res) + '\n');
      else {
        const w = res.watch;
        const where = w.paths.join(', ');
        ctx.io.stdout.write(
          `${res.message}: ${w.enabled ? `watching ${where} (${w.action === 'run' ? `run ${w.run ?? ''}, then restart` : 'restart'})` : 'changes restart nothing'}\n`,
        );
      }
      return EXIT_OK;
    },
  );

  const printReplicaAction = (
    ctx: Ctx,
    res: ReplicaActionResponse,
    more?: (r: ReplicasView) => string,
  ): number => {
    if (ctx.json) {
      ctx.io.stdout.write(JSON.stringify(res) + '\n');
      return EXIT_OK;
    }
    ctx.io.stdout.write(`${res.message} (${paintStatus(ctx.c, res.status)}, ${res.lifecycle})\n`);
    if (more) ctx.io.stdout.write(more(res.replicas));
    printInstances(ctx, res.replicas);
    return EXIT_OK;
  };

  const scaleCommand = command(
    {
      usage: 'scale NAME N',
      about:
        'Sets how many instances of a replicated service run: new ones are started, surplus ones drained and stopped.',
      positionals: 2,
      check: (_values, positionals) =>
        replicasArg(positionals[1]) === null
          ? `the number of instances must be a whole number from 1 to ${MAX_INSTANCES}, not ${JSON.stringify(positionals[1])}`
          : null,
    },
    async (ctx) => {
      const n = replicasArg(ctx.args[1])!;
      return printReplicaAction(
        ctx,
        await ctx.client.scaleService({ name: ctx.name, replicas: n }),
        (r) => `${r.ready}/${r.desired} instances ready\n`,
      );
    },
  );

  const failoverCommand = command(
    {
      usage: 'failover NAME [--back]',
      about:
        "Sends a replicated service's traffic to its failover backup and holds it there; --back returns it to the service's own instances.",
      options: { back: { type: 'boolean' } },
      extraHelp: "  --back           fail back: traffic goes to the service's own instances again",
      positionals: 1,
    },
    async (ctx) => {
      const back = ctx.values['back'] === true;
      return printReplicaAction(
        ctx,
        await ctx.client.failoverService({ name: ctx.name, ...(back ? { back: true } : {}) }),
      );
    },
  );

  const releaseCommand = command(
    {
      usage: 'release NAME',
      about: 'Releases a quarantined service: resets its counters and starts it again.',
      positionals: 1,
    },
    async (ctx) => printAction(ctx, await ctx.client.releaseService({ name: ctx.name })),
  );

  const deregisterCommand = command(
    {
      usage: 'deregister NAME',
      about:
        'Removes a service that registered itself over the API (POST /orchestrator/register): it leaves the graph at once and its dependents see it as gone.',
      positionals: 1,
    },
    async (ctx) => {
      const res = await ctx.client.deregister({ name: ctx.name });
      ctx.io.stdout.write(ctx.json ? JSON.stringify(res) + '\n' : `${res.message}\n`);
      return EXIT_OK;
    },
  );

  const logsCommand = command(
    {
      usage: 'logs NAME [-f] [--tail N] [--instance N]',
      about:
        "Prints the recent log lines of a service; -f keeps printing new ones. A replicated service's lines start with the instance that wrote them ([api#1]).",
      options: {
        follow: { type: 'boolean', short: 'f' },
        tail: { type: 'string', short: 'n' },
        instance: { type: 'string' },
      },
      extraHelp:
        '  -f, --follow     keep printing new lines until Ctrl-C\n  -n, --tail N     how many recent lines (default 200)\n  --instance N     only the lines of instance N (0-based index, or its id: NAME#N)',
      positionals: 1,
      check: instanceProblem,
    },
    async (ctx) => {
      const instance = instanceOf(ctx);
      const only = instance !== undefined ? { instance } : {};
      const tailArg = ctx.values['tail'];
      let tail: number | undefined;
      if (typeof tailArg === 'string') {
        tail = Number(tailArg);
        if (!Number.isInteger(tail) || tail < 1) {
          ctx.io.stderr.write(`vigil: --tail must be a positive whole number, not "${tailArg}"\n`);
          return EXIT_USAGE;
        }
      }
      const print = (lines: readonly LogLine[]): void => {
        for (const l of lines) {
          if (ctx.json) ctx.io.stdout.write(JSON.stringify(l) + '\n');
          else {
            const text = l.stream === 'stderr' ? ctx.c.red(l.line) : l.line;
            const who = l.instance !== undefined ? ctx.c.dim(`[${l.instance}]`) + ' ' : '';
            ctx.io.stdout.write(who + text + '\n');
          }
        }
      };
      const first = await ctx.client.getLogs({
        name: ctx.name,
        ...(tail !== undefined ? { tail } : {}),
        ...only,
      });
      print(first.lines);
      if (!ctx.values['follow']) return EXIT_OK;

      const ac = new AbortController();
      const signal = deps.signal ?? ac.signal;
      const onSigint = (): void => ac.abort();
      if (!deps.signal) process.once('SIGINT', onSigint);
      try {
        let since = first.last_seq;
        while (!signal.aborted) {
          await sleep(deps.pollMs ?? 500, signal);
          if (signal.aborted) break;
          let next;
          try {
            next = await ctx.client.getLogs({ name: ctx.name, since, ...only });
          } catch (err) {
            if (err instanceof VigilError && err.code === 'NOT_RUNNING') {
              ctx.io.stderr.write('vigil: lost the connection to Vigil (it stopped?)\n');
              return EXIT_FAILURE;
            }
            throw err;
          }
          print(next.lines);
          since = Math.max(since, next.last_seq);
        }
        return EXIT_OK;
      } finally {
        if (!deps.signal) process.off('SIGINT', onSigint);
      }
    },
  );

  const reportCommand = command(
    {
      usage: 'report [--format md|html|json|csv|pdf] [--since 1h] [--until T] [-o FILE]',
      about: 'Writes a healing report of a time range (default: since the stack started).',
      options: {
        format: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        output: { type: 'string', short: 'o' },
      },
      extraHelp:
        '  --format F       md (default), html, json, csv, or pdf (needs -o and Chromium; VIGIL_CHROMIUM names it)\n  --since T        start: a duration back from now (1h, 30m, 7d), an ISO date or epoch ms\n  --until T        end (default: now)\n  -o, --output F   write to a file instead of stdout',
      positionals: 0,
    },
    async (ctx) => {
      const format = ctx.values['format'];
      if (format !== undefined && !['md', 'html', 'json', 'csv', 'pdf'].includes(String(format))) {
        ctx.io.stderr.write(
          `vigil: --format must be md, html, json, csv or pdf, not "${String(format)}"\n`,
        );
        return EXIT_USAGE;
      }
      const since = ctx.values['since'];
      const until = ctx.values['until'];
      const output = ctx.values['output'];
      const range = {
        ...(typeof since === 'string' ? { since } : {}),
        ...(typeof until === 'string' ? { until } : {}),
      };
      if (format === 'pdf') return writePdfReport(ctx, range, output);
      const report = await ctx.client.getReport({
        ...(typeof format === 'string' ? { format: format as 'md' | 'html' | 'json' | 'csv' } : {}),
        ...range,
      });
      if (typeof output !== 'string') {
        ctx.io.stdout.write(report.body);
        if (!report.body.endsWith('\n') && ctx.io.stdout.isTTY) ctx.io.stdout.write('\n');
        return EXIT_OK;
      }
      const file = path.resolve(ctx.io.cwd, output);
      try {
        fs.writeFileSync(file, report.body);
      } catch (err) {
        ctx.io.stderr.write(`vigil: cannot write ${file}: ${(err as Error).message}\n`);
        return EXIT_FAILURE;
      }
      const bytes = Buffer.byteLength(report.body);
      if (ctx.json)
        ctx.io.stdout.write(JSON.stringify({ file, format: report.format, bytes }) + '\n');
      else ctx.io.stdout.write(`wrote ${report.format} report to ${file} (${bytes} bytes)\n`);
      return EXIT_OK;
    },
  );

  const downCommand = command(
    {
      usage: 'down [--no-wait]',
      about: 'Stops every service in reverse dependency order and exits the running Vigil.',
      options: { 'no-wait': { type: 'boolean' } },
      extraHelp: '  --no-wait        return once the shutdown has begun',
      positionals: 0,
    },
    async (ctx) => {
      const res = await ctx.client.shutdown({});
      if (!ctx.json) ctx.io.stdout.write(`${res.message} (pid ${ctx.pid})\n`);
      let stopped: boolean | null = null;
      if (!ctx.values['no-wait']) {
        const deadline = Date.now() + (deps.downTimeoutMs ?? 60_000);
        stopped = false;
        while (Date.now() < deadline) {
          if (deps.readInstance(ctx.dataDir)?.pid !== ctx.pid) {
            stopped = true;
            break;
          }
          await sleep(100);
        }
      }
      if (ctx.json) ctx.io.stdout.write(JSON.stringify({ ...res, pid: ctx.pid, stopped }) + '\n');
      else if (stopped === true) ctx.io.stdout.write('stopped\n');
      if (stopped === false) {
        ctx.io.stderr.write(`vigil: pid ${ctx.pid} is still stopping its services\n`);
        return EXIT_FAILURE;
      }
      return EXIT_OK;
    },
  );

  return {
    psCommand,
    restartCommand,
    startCommand,
    stopCommand,
    quarantineCommand,
    releaseCommand,
    deregisterCommand,
    watchCommand,
    scaleCommand,
    failoverCommand,
    logsCommand,
    reportCommand,
    downCommand,
  };
}

export const {
  psCommand,
  restartCommand,
  startCommand,
  stopCommand,
  quarantineCommand,
  releaseCommand,
  deregisterCommand,
  watchCommand,
  scaleCommand,
  failoverCommand,
  logsCommand,
  reportCommand,
  downCommand,
} = createClientCommands({ readInstance, defaultDataDir: (env) => defaultDataDir(env) });

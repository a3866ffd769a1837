/**
 * `vigil up`: runs a stack in the foreground. Loads and validates the stack file, takes the data
 * directory's lock, opens the history, serves the API (and the browser UI with `--ui`), launches
 * the services, and on Ctrl-C or SIGTERM stops them in reverse dependency order. A second Ctrl-C
 * kills whatever is left at once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import pc from 'picocolors';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../../../shared/contract.js';
import { VigilError } from '../../../shared/errors.js';
import {
  type CliIO,
  type CommandFn,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  findStackFile,
} from '../io.js';
import { formatIssue, loadStack } from '../../core/config/index.js';
import type { Supervisor } from '../../core/supervisor.js';
import { defaultDataDir } from '../../host/data-dir.js';
import { openStack, type HostedStack, type StopHow } from '../../host/stack.js';
import { createPrinter } from '../output.js';
import { packageRoot } from '../paths.js';

export const UP_USAGE = `usage: vigil up [-f FILE] [--ui] [--port 9000] [--host 127.0.0.1] [--data-dir DIR] [--token T] [--json] [--logs] [--no-api] [--open]`;

interface UpOptions {
  file?: string;
  ui: boolean;
  port: number;
  host: string;
  dataDir: string;
  token?: string;
  json: boolean;
  logs: boolean;
  api: boolean;
  open: boolean;
}

function parse(argv: readonly string[], io: CliIO): UpOptions | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        file: { type: 'string', short: 'f' },
        ui: { type: 'boolean', default: false },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        logs: { type: 'boolean', default: false },
        'no-api': { type: 'boolean', default: false },
        open: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    return (err as Error).message;
  }
  if (values.help) return 'help';
  const port = values.port === undefined ? DEFAULT_API_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return `--port must be a number from 0 to 65535, got "${values.port}"`;
  const dataDir = values['data-dir']
    ? path.resolve(io.cwd, values['data-dir'])
    : defaultDataDir(io.env);
  const token = values.token ?? io.env.VIGIL_TOKEN;
  return {
    ...(values.file !== undefined ? { file: values.file } : {}),
    ui: values.ui ?? false,
    port,
    host: values.host ?? DEFAULT_API_HOST,
    dataDir,
    ...(token ? { token } : {}),
    json: values.json ?? false,
    logs: values.logs ?? false,
    api: !(values['no-api'] ?? false),
    open: values.open ?? false,
  };
}

/** Which stack file to run: -f, ./vigil.yaml, or the bundled demo stack. */
function stackFile(opts: UpOptions, io: CliIO): string {
  const found = findStackFile(opts.file, io.cwd);
  if (found) return found;
  return path.join(packageRoot(), 'examples', 'demo', 'vigil.yaml');
}

export interface UpHandle {
  readonly supervisor: Supervisor;
  readonly url: string | null;
  /** Resolves with the exit code once Vigil has stopped. */
  readonly done: Promise<number>;
  stop(): Promise<void>;
}

export const upCommand: CommandFn = async (argv, io) => {
  // A supervisor allocates in bursts (a launch, a reload) and little in between. V8 grows its young
  // generation to 16 MB during a burst and keeps it until its memory reducer runs, about half a
  // minute later: 100 services held 86-89 MB instead of 71 MB for that time. Kept at its initial
  // size it costs a few more (small, fast) scavenges during a launch. (The other memory flag,
  // --no-concurrent-recompilation, only works from the start: it is on bin/vigil.js's first line.)
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  const handle = await runUp(argv, io, { signals: true });
  if (typeof handle === 'number') return handle;
  return handle.done;
};

/** Starts Vigil; returns an exit code when it could not start, else a handle (tests use it in-process). */
export async function runUp(
  argv: readonly string[],
  io: CliIO,
  opts: { signals: boolean },
): Promise<UpHandle | number> {
  const parsed = parse(argv, io);
  if (parsed === 'help') {
    io.stdout.write(UP_USAGE + '\n');
    return EXIT_OK;
  }
  if (typeof parsed === 'string') {
    io.stderr.write(`vigil up: ${parsed}\n${UP_USAGE}\n`);
    return EXIT_USAGE;
  }
  const o = parsed;
  const file = stackFile(o, io);
  const color = Boolean(io.stderr.isTTY);
  const loaded = loadStack(file, { env: io.env });
  for (const w of loaded.warnings) io.stderr.write(formatIssue(w, { color }) + '\n');
  if (!loaded.ok) {
    let source: string | undefined;
    try {
      source = fs.readFileSync(file, 'utf8');
    } catch {
      source = undefined;
    }
    for (const e of loaded.errors)
      io.stderr.write(
        formatIssue(e, { color, ...(source !== undefined ? { source } : {}) }) + '\n',
      );
    io.stderr.write(
      `vigil up: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'} in ${file}; nothing was started\n`,
    );
    return EXIT_USAGE;
  }
  const config = loaded.config;

  try {
    fs.mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    io.stderr.write(
      `vigil up: cannot create the data directory ${o.dataDir}: ${(err as Error).message}\n`,
    );
    return EXIT_FAILURE;
  }
  let supervisor: Supervisor | null = null;
  const printer = createPrinter(io.stdout, {
    json: o.json,
    logs: o.logs,
    live: () => (supervisor ? liveLine(supervisor) : ''),
  });
  // Vigil's own log goes to stderr; on a TTY it must not garble the live status line.
  const consoleOut = {
    write: (text: string) => {
      printer.passthrough(io.stderr, text);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const say = (text: string): void => printer.passthrough(io.stderr, text);

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let finishing = false;
  let stack: HostedStack | null = null;
  let requested: StopHow | null = null;

  const finish = async (how: StopHow = 'stopped'): Promise<void> => {
    if (finishing) return;
    if (!stack) {
      // Asked to stop while still opening: stop as soon as it is open.
      requested ??= how;
      return;
    }
    finishing = true;
    await stack.close(how, () => printer.close());
    offSignals();
    resolveDone(EXIT_OK);
  };

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      printer.clearLive();
      say(
        `\nvigil: ${sig} received, stopping ${supervisor?.runners.size ?? 0} services (again to kill at once)\n`,
      );
      void finish();
    } else {
      say('vigil: stopping now (SIGKILL)\n');
      void stack?.forceKill();
    }
  };

  const offSignals = (): void => {
    if (!opts.signals) return;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  };
  if (opts.signals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  }

  try {
    stack = await openStack({
      config,
      dataDir: o.dataDir,
      env: io.env,
      logConsole: consoleOut,
      color,
      http: o.api
        ? {
            host: o.host,
            port: o.port,
            ...(o.token ? { token: o.token } : {}),
            ...(o.ui ? { staticDir: path.join(packageRoot(), 'out', 'renderer') } : {}),
            required: true,
          }
        : null,
      onEvent: (ev) => printer.print(ev),
      onStopRequested: (how) => void finish(how),
    });
  } catch (err) {
    offSignals();
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof VigilError) {
      say(`vigil up: ${err.message}\n`);
    } else {
      const msg =
        code === 'EADDRINUSE'
          ? `port ${o.port} on ${o.host} is already in use; pick another with --port (or --no-api)`
          : (err as Error).message;
      say(`vigil up: cannot serve the API: ${msg}\n`);
    }
    printer.close();
    return EXIT_FAILURE;
  }
  supervisor = stack.supervisor;
  const server = stack.server;
  const token = stack.token;
  if (server && token) {
    if (!o.json) {
      say(`vigil: API ${server.url} (token in ${path.join(o.dataDir, 'api-token')})\n`);
      if (o.ui) {
        const uiDir = path.join(packageRoot(), 'out', 'renderer', 'index.html');
        if (!fs.existsSync(uiDir)) say('vigil: the browser UI is not built; run `npm run build`\n');
        say(`vigil: open ${server.url}/?token=${token}\n`);
        if (o.open && !openInBrowser(`${server.url}/?token=${token}`, io.env)) {
          say('vigil: no display to open a browser on; open the address above yourself\n');
        }
      }
    } else if (o.ui) {
      say(`vigil: open ${server.url}/?token=${token}\n`);
    }
  }
  if (!o.json) {
    say(
      `vigil: ${config.name}: ${config.services.length} services from ${path.relative(io.cwd, config.file) || config.file}, data in ${o.dataDir}\n`,
    );
  }
  stack.start();
  if (requested) void finish(requested);

  return {
    supervisor: stack.supervisor,
    url: server?.url ?? null,
    done,
    stop: () => finish(),
  };
}

/** Opens a URL in the system browser when there is a display; false when there is none. */
function openInBrowser(url: string, env: Readonly<Record<string, string | undefined>>): boolean {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

function liveLine(sup: Supervisor): string {
  const counts = new Map<string, number>();
  for (const r of sup.runners.values()) counts.set(r.lifecycle, (counts.get(r.lifecycle) ?? 0) + 1);
  const parts = [...counts.entries()].map(([k, v]) => `${v} ${k}`);
  const state = sup.systemState();
  const paint = state === 'healthy' ? pc.green : state === 'critical' ? pc.red : pc.yellow;
  return `${paint(`● ${state}`)}  ${parts.join(' · ')}`;
}

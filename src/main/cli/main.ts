/**
 * The `vigil` command line. Each command is a `CommandFn` in ./commands; this file only dispatches.
 * Exit codes: 0 ok, 1 failure, 2 usage or invalid stack.
 */
import { type CliIO, type CommandFn, EXIT_OK, EXIT_USAGE } from './io.js';
import { upCommand } from './commands/up.js';
import { validateCommand } from './commands/validate.js';
import { graphCommand } from './commands/graph.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { exportCommand } from './commands/export.js';
import {
  deregisterCommand,
  downCommand,
  logsCommand,
  psCommand,
  quarantineCommand,
  releaseCommand,
  reportCommand,
  restartCommand,
  scaleCommand,
  failoverCommand,
  startCommand,
  stopCommand,
  watchCommand,
} from './commands/client.js';

interface Entry {
  readonly run: CommandFn;
  readonly usage: string;
}

const COMMANDS: Readonly<Record<string, Entry>> = {
  up: {
    run: upCommand,
    usage:
      'up [-f FILE] [--ui] [--port 9000] [--host 127.0.0.1] [--data-dir DIR] [--token T] [--json]   run a stack in the foreground',
  },
  validate: {
    run: validateCommand,
    usage: 'validate [-f FILE] [--json]                     check a stack file',
  },
  ps: {
    run: psCommand,
    usage:
      'ps [--json] [-i|--instances]                     list the services of the running stack (-i: and their instances)',
  },
  restart: {
    run: restartCommand,
    usage:
      'restart NAME [--force] [--all-at-once] [--instance N]   restart a service (--force overrides quarantine)',
  },
  start: {
    run: startCommand,
    usage: 'start NAME                                       start a stopped service',
  },
  stop: {
    run: stopCommand,
    usage: 'stop NAME                                        stop a service',
  },
  quarantine: {
    run: quarantineCommand,
    usage: 'quarantine NAME [--reason R]                     hold a service down',
  },
  release: {
    run: releaseCommand,
    usage: 'release NAME                                     release a quarantined service',
  },
  deregister: {
    run: deregisterCommand,
    usage:
      'deregister NAME                                  remove a service that registered itself',
  },
  watch: {
    run: watchCommand,
    usage: "watch NAME on|off                                turn a service's file watch on or off",
  },
  scale: {
    run: scaleCommand,
    usage:
      'scale NAME N                                     run N instances of a replicated service',
  },
  failover: {
    run: failoverCommand,
    usage:
      "failover NAME [--back]                           send a service's traffic to its backup (--back: return it)",
  },
  logs: {
    run: logsCommand,
    usage:
      'logs NAME [-f] [--tail N] [--instance N]         recent output of a service (or of one instance)',
  },
  report: {
    run: reportCommand,
    usage: 'report [--format md|html|json|csv|pdf] [--since 1h] [-o FILE]   healing report',
  },
  down: {
    run: downCommand,
    usage: 'down                                             stop the running stack',
  },
  graph: {
    run: graphCommand,
    usage: 'graph [-f FILE] [--format text|mermaid|json|dot]   print the dependency graph',
  },
  init: {
    run: initCommand,
    usage:
      'init [DIR] [-o FILE] [--force] [--dry-run]      write a vigil.yaml from a project folder',
  },
  import: {
    run: importCommand,
    usage:
      'import FILE [-o OUT] [--force] [--env NAME]     convert a process-compose, Procfile or PM2 file',
  },
  export: {
    run: exportCommand,
    usage:
      'export kubernetes|compose [-f FILE] [-o OUT] [--namespace NS] [--image NAME=IMAGE]   write manifests or a Compose file',
  },
};

export const VERSION = '0.1.0';

function help(): string {
  const lines = Object.values(COMMANDS).map((c) => `  vigil ${c.usage}`);
  return [
    'vigil: launches a local stack in dependency order, watches its health and heals it.',
    '',
    'usage:',
    ...lines,
    '',
    'With no stack file, `vigil up` runs the bundled demo stack.',
    'Exit codes: 0 ok, 1 failure, 2 usage error or invalid stack file.',
  ].join('\n');
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(help() + '\n');
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`vigil ${VERSION}\n`);
    return EXIT_OK;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr.write(`vigil: unknown command "${name}"\n\n${help()}\n`);
    return EXIT_USAGE;
  }
  return cmd.run(rest, io);
}

/** Entry point of the bundled CLI (bin/vigil.js). */
export async function main(argv: readonly string[]): Promise<number> {
  // A supervisor must outlive its own bugs: report them loudly instead of dying with the stack.
  process.on('unhandledRejection', (err) => {
    process.stderr.write(
      `vigil: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  });
  return run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
}

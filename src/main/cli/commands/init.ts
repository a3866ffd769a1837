/**
 * `vigil init [DIR] [-o FILE] [--force] [--dry-run] [--json]`: scans a project folder and writes a
 * vigil.yaml to review, printing what it found, guessed and skipped. Never replaces an existing
 * file without --force. Exit 0 when written, 1 when nothing was found or the file was not written,
 * 2 for usage errors.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { VigilError } from '../../../shared/errors.js';
import { displayPath } from '../../core/config/index.js';
import { discoverStack, type Note } from '../../stackfile/discover/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandFn } from '../io.js';
import { printProblems, printWarnings, writeStackFile } from './import.js';
import { useColor } from './validate.js';

const USAGE = `Usage: vigil init [DIR] [-o FILE] [--force] [--dry-run] [--json]

Scans a project folder (default: the current directory) and writes a vigil.yaml to review:
a service for each package.json with a "dev" or "start" script under services/, apps/ or
packages/ (or the root package.json when there are none), ports guessed from those scripts and
from .env files, and the processes of a Procfile, process-compose.yaml or PM2 ecosystem file.

Options:
  -o, --output FILE  where to write (default: DIR/vigil.yaml)
      --force        overwrite an existing file
      --dry-run      print the stack file instead of writing it
      --json         print {file, written, services, notes, warnings, problems} as JSON
  -h, --help         show this help
`;

const LABELS: Readonly<Record<Note['kind'], string>> = {
  found: 'found  ',
  guessed: 'guessed',
  skipped: 'skipped',
  note: 'note   ',
};

export const initCommand: CommandFn = async (argv, io) => {
  let values: {
    output?: string | undefined;
    force?: boolean | undefined;
    'dry-run'?: boolean | undefined;
    json?: boolean | undefined;
    help?: boolean | undefined;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        output: { type: 'string', short: 'o' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    io.stderr.write(`vigil init: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (positionals.length > 1) {
    io.stderr.write(`vigil init: give at most one folder\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const dir = path.resolve(io.cwd, positionals[0] ?? '.');
  const outFile = path.resolve(io.cwd, values.output ?? path.join(dir, 'vigil.yaml'));
  const dryRun = values['dry-run'] === true;
  const color = useColor(io.stdout, io.env);
  const c = pc.createColors(color);

  let result;
  try {
    result = discoverStack(dir, { outFile, env: io.env });
  } catch (err) {
    if (!(err instanceof VigilError)) throw err;
    io.stderr.write(`vigil init: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const invalid = result.problems.some((p) => p.severity === 'error');
  let written = false;
  let failure: string | undefined;
  if (result.yaml === null) failure = 'found nothing to run';
  else if (!dryRun) {
    const w = writeStackFile(outFile, result.yaml, values.force === true);
    if (w.ok) written = true;
    else failure = w.reason;
  }

  if (values.json) {
    io.stdout.write(
      JSON.stringify(
        {
          dir,
          file: outFile,
          written,
          ...(failure !== undefined ? { error: failure } : {}),
          services: result.services,
          notes: result.notes,
          warnings: result.warnings,
          problems: result.problems,
          ...(dryRun && result.yaml !== null ? { yaml: result.yaml } : {}),
        },
        null,
        2,
      ) + '\n',
    );
    return failure !== undefined || invalid ? EXIT_FAILURE : EXIT_OK;
  }

  // In a dry run stdout carries the stack file; the report goes to stderr.
  const report = dryRun ? { ...io, stdout: io.stderr } : io;
  const out = (s: string): void => void report.stdout.write(s);
  out(`Scanning ${displayPath(dir, io.cwd) || '.'}\n`);
  const paint: Record<Note['kind'], (s: string) => string> = {
    found: c.green,
    guessed: c.cyan,
    skipped: c.dim,
    note: c.yellow,
  };
  for (const n of result.notes) out(`  ${paint[n.kind](LABELS[n.kind])}  ${n.text}\n`);
  printWarnings(report, result.warnings, color, 'not mapped from the imported file');
  if (result.yaml === null) {
    out(
      `Nothing to run found in ${displayPath(dir, io.cwd) || '.'}: no package.json with a "dev" or "start" script (in services/, apps/, packages/ or the folder itself), and no Procfile, process-compose.yaml or PM2 ecosystem file.\n` +
        'Write a vigil.yaml by hand; a service needs only a name and a command:\n\n' +
        'version: 1\nservices:\n  api:\n    command: npm run dev\n    port: 3000\n',
    );
    return EXIT_FAILURE;
  }
  printProblems(report, result.problems, color);
  if (dryRun) {
    io.stdout.write(result.yaml);
    return invalid ? EXIT_FAILURE : EXIT_OK;
  }
  if (failure !== undefined) {
    io.stderr.write(`vigil init: ${failure}\n`);
    return EXIT_FAILURE;
  }
  const shown = displayPath(outFile, io.cwd);
  const n = result.services.length;
  out(
    `Wrote ${shown}: ${n} service${n === 1 ? '' : 's'} (${result.services.join(', ')}). Review it, then \`vigil validate -f ${shown}\` and \`vigil up -f ${shown}\`.\n`,
  );
  return invalid ? EXIT_FAILURE : EXIT_OK;
};

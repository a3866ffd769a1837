/**
 * `vigil import FILE [-o OUT] [--force] [--env NAME] [--json]`: converts a process-compose file,
 * a Procfile or a PM2 ecosystem file into a Vigil stack file (vigil.yaml beside FILE by default),
 * listing whatever could not be mapped with its file:line:col. Exit 0 when written, 1 when it was
 * not (the output exists, cannot be written, or does not load), 2 for usage errors and files that
 * cannot be imported (a Docker Compose file, an unrecognised or broken file).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { VigilError } from '../../../shared/errors.js';
import { displayPath, type ConfigIssue } from '../../core/config/index.js';
import {
  defaultOutFile,
  formatWarning,
  importStackAsync,
  type ImportWarning,
} from '../../stackfile/import/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIO, type CommandFn } from '../io.js';
import { formatIssues, useColor } from './validate.js';

const USAGE = `Usage: vigil import FILE [-o OUT] [--force] [--env NAME] [--json]

Converts a process-compose.yaml, a Procfile or a PM2 ecosystem file (.js, .cjs, .mjs, .json,
.yaml) into a Vigil stack file. Whatever cannot be mapped is listed with its file:line:col.
A docker-compose.yml is not imported: its services are containers, which Vigil does not run.

Options:
  -o, --output OUT   where to write the stack file (default: vigil.yaml beside FILE; "-" prints it)
      --force        overwrite OUT if it exists
      --env NAME     PM2: apply env_NAME over env, like \`pm2 start --env NAME\`
      --json         print {format, file, written, services, warnings, problems} as JSON
  -h, --help         show this help
`;

/** Writes a stack file through a temporary file; refuses to replace one unless `force`. */
export function writeStackFile(
  file: string,
  text: string,
  force: boolean,
): { ok: true } | { ok: false; reason: string } {
  if (!force && fs.existsSync(file))
    return { ok: false, reason: `${file} already exists; pass --force to overwrite it` };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, text, { flag: 'w' });
    fs.renameSync(tmp, file);
    return { ok: true };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    return { ok: false, reason: `cannot write ${file}: ${(err as Error).message}` };
  }
}

/** Import warnings, one per line, with paths shown relative to cwd. */
export function printWarnings(
  io: CliIO,
  warnings: readonly ImportWarning[],
  color: boolean,
  title = 'not mapped',
): void {
  if (warnings.length === 0) return;
  const head = `${warnings.length} ${warnings.length === 1 ? 'thing' : 'things'} ${title}:`;
  io.stdout.write(`${pc.createColors(color).yellow(head)}\n`);
  for (const w of warnings) io.stdout.write(`  ${formatWarning(w, displayPath(w.file, io.cwd))}\n`);
}

/** Loader problems of a generated file (normally none), with their excerpts. */
export function printProblems(io: CliIO, problems: readonly ConfigIssue[], color: boolean): void {
  if (problems.length === 0) return;
  io.stdout.write(formatIssues(problems, { color, cwd: io.cwd }) + '\n');
}

export const importCommand: CommandFn = async (argv, io) => {
  let values: {
    output?: string | undefined;
    force?: boolean | undefined;
    env?: string | undefined;
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
        env: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    io.stderr.write(`vigil import: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    io.stderr.write(
      `vigil import: ${positionals.length === 0 ? 'give the file to import' : 'give one file'}\n\n${USAGE}`,
    );
    return EXIT_USAGE;
  }
  if (values.env !== undefined && !/^[\w.-]+$/.test(values.env)) {
    io.stderr.write(`vigil import: --env takes a name like production\n`);
    return EXIT_USAGE;
  }
  const input = path.resolve(io.cwd, positionals[0]!);
  const toStdout = values.output === '-';
  const outFile =
    values.output !== undefined && !toStdout
      ? path.resolve(io.cwd, values.output)
      : defaultOutFile(input);
  const color = useColor(io.stdout, io.env);

  let result;
  try {
    result = await importStackAsync(input, {
      outFile,
      env: io.env,
      ...(values.env !== undefined ? { envName: values.env } : {}),
    });
  } catch (err) {
    if (!(err instanceof VigilError)) throw err;
    const msg = err.message + (err.hint ? `\n  hint: ${err.hint}` : '');
    if (values.json) io.stdout.write(JSON.stringify(err.toEnvelope(), null, 2) + '\n');
    else io.stderr.write(`vigil import: ${msg}\n`);
    return err.code === 'SPAWN_FAILED' ? EXIT_FAILURE : EXIT_USAGE;
  }
  const invalid = result.problems.some((p) => p.severity === 'error');

  let written = false;
  let failure: string | undefined;
  if (!toStdout) {
    const w = writeStackFile(outFile, result.yaml, values.force === true);
    if (w.ok) written = true;
    else failure = w.reason;
  }
  if (values.json) {
    io.stdout.write(
      JSON.stringify(
        {
          format: result.format,
          input,
          file: result.outFile,
          written,
          ...(failure !== undefined ? { error: failure } : {}),
          services: result.services,
          warnings: result.warnings,
          problems: result.problems,
          ...(toStdout ? { yaml: result.yaml } : {}),
        },
        null,
        2,
      ) + '\n',
    );
    return failure !== undefined || invalid ? EXIT_FAILURE : EXIT_OK;
  }
  if (toStdout) {
    io.stdout.write(result.yaml);
    // Keep stdout a clean stack file: the report goes to stderr.
    const report = { ...io, stdout: io.stderr };
    printWarnings(report, result.warnings, false);
    printProblems(report, result.problems, false);
    return invalid ? EXIT_FAILURE : EXIT_OK;
  }
  if (failure !== undefined) {
    io.stderr.write(`vigil import: ${failure}\n`);
    return EXIT_FAILURE;
  }
  const shownOut = displayPath(outFile, io.cwd);
  const n = result.services.length;
  io.stdout.write(
    `Imported ${n} service${n === 1 ? '' : 's'} from ${displayPath(input, io.cwd)} (${result.format}) into ${shownOut}: ${result.services.join(', ')}\n`,
  );
  printWarnings(io, result.warnings, color);
  printProblems(io, result.problems, color);
  if (invalid) {
    io.stdout.write(
      `${shownOut} does not load yet: fix the errors above, then \`vigil validate\`.\n`,
    );
    return EXIT_FAILURE;
  }
  io.stdout.write(
    `Review ${shownOut}, then run \`vigil up${shownOut === 'vigil.yaml' ? '' : ` -f ${shownOut}`}\`.\n`,
  );
  return EXIT_OK;
};

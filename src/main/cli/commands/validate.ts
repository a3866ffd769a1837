/**
 * `vigil validate [-f FILE] [--json]`: checks a stack file without starting anything and prints
 * every problem with its file:line:col, an excerpt and a hint. Exit 0 when valid, 2 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  displayPath,
  formatIssue,
  loadStack,
  MAX_STACK_BYTES,
  STACK_FILE_NAMES,
  type ConfigIssue,
  type StackLoadResult,
} from '../../core/config/index.js';
import { buildGraph } from '../../core/graph/index.js';
import type { ServiceSpec } from '../../../shared/model.js';
import { EXIT_OK, EXIT_USAGE, findStackFile, type CliIO, type CommandFn } from '../io.js';

const USAGE = `Usage: vigil validate [-f FILE] [--json]

Checks a stack file without starting anything: YAML syntax, keys, values, paths and dependencies.

Options:
  -f, --file FILE   the stack file (default: ${STACK_FILE_NAMES.join(' or ')} in the current directory)
      --json        print {ok, errors, warnings, services} as JSON
  -h, --help        show this help
`;

export interface StackForCli {
  readonly file: string | null;
  readonly result: StackLoadResult;
}

/** Finds and loads the stack a command works on (`-f FILE` or the default names in cwd). */
export function loadStackForCli(fileArg: string | undefined, io: CliIO): StackForCli {
  const file = findStackFile(fileArg, io.cwd);
  if (file === null) {
    const issue: ConfigIssue = {
      code: 'STACK_NOT_FOUND',
      severity: 'error',
      message: `no stack file found: looked for ${STACK_FILE_NAMES.join(' and ')} in ${io.cwd}`,
      file: path.join(io.cwd, STACK_FILE_NAMES[0]),
      line: 1,
      col: 1,
      path: '',
      hint: 'create a vigil.yaml there or pass -f FILE',
    };
    return { file: null, result: { ok: false, errors: [issue], warnings: [] } };
  }
  return { file, result: loadStack(file, { env: io.env }) };
}

/** Every issue formatted with its source excerpt, separated by blank lines. */
export function formatIssues(
  issues: readonly ConfigIssue[],
  opts: { color: boolean; cwd: string },
): string {
  const sources = new Map<string, string | undefined>();
  const sourceOf = (file: string): string | undefined => {
    if (!sources.has(file)) sources.set(file, readSource(file));
    return sources.get(file);
  };
  return issues
    .map((i) => {
      const source =
        i.code === 'STACK_NOT_FOUND' || i.code === 'STACK_TOO_LARGE' ? undefined : sourceOf(i.file);
      return formatIssue(i, {
        color: opts.color,
        cwd: opts.cwd,
        ...(source !== undefined ? { source } : {}),
      });
    })
    .join('\n\n');
}

function readSource(file: string): string | undefined {
  try {
    if (fs.statSync(file).size > MAX_STACK_BYTES) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function useColor(stream: CliIO['stdout'], env: CliIO['env']): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A service as `--json` shows it: secret env values masked, effective phase added. */
function publicService(s: ServiceSpec, effectivePhase: number): Record<string, unknown> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.env)) env[k] = s.secretEnv.includes(k) ? '***' : v;
  return { ...s, env, effectivePhase };
}

export const validateCommand: CommandFn = async (argv, io) => {
  let values: { file?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        file: { type: 'string', short: 'f' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(`vigil validate: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const { file, result } = loadStackForCli(values.file, io);
  const shown = file === null ? 'vigil' : displayPath(file, io.cwd);
  if (values.json) {
    const services: Record<string, unknown>[] = [];
    if (result.ok) {
      const g = buildGraph(result.config.services);
      for (const s of result.config.services)
        services.push(publicService(s, g.nodes.get(s.name)!.phase));
    }
    const out = {
      ok: result.ok,
      ...(file !== null ? { file } : {}),
      errors: result.ok ? [] : result.errors,
      warnings: result.warnings,
      services,
    };
    io.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return result.ok ? EXIT_OK : EXIT_USAGE;
  }
  const color = useColor(io.stdout, io.env);
  const issues = [...(result.ok ? [] : result.errors), ...result.warnings];
  if (issues.length > 0) io.stdout.write(formatIssues(issues, { color, cwd: io.cwd }) + '\n\n');
  const warnings = result.warnings.length > 0 ? plural(result.warnings.length, 'warning') : '';
  if (result.ok) {
    const g = buildGraph(result.config.services);
    const phases = g.phases.filter((p) => p.length > 0).length;
    io.stdout.write(
      `${shown}: ${plural(result.config.services.length, 'service')} in ${plural(phases, 'phase')}, OK${warnings ? ` (${warnings})` : ''}\n`,
    );
    return EXIT_OK;
  }
  io.stdout.write(
    `${shown}: ${plural(result.errors.length, 'error')}${warnings ? `, ${warnings}` : ''}\n`,
  );
  return EXIT_USAGE;
};

/**
 * `vigil graph [-f FILE] [--format text|mermaid|json|dot]`: the stack's dependency graph with its
 * launch phases, without starting anything. Exit 2 (with the errors) when the stack is invalid.
 */
import { parseArgs } from 'node:util';
import { STACK_FILE_NAMES } from '../../core/config/index.js';
import {
  buildGraph,
  GRAPH_FORMATS,
  renderGraph,
  type GraphFormat,
} from '../../core/graph/index.js';
import { EXIT_OK, EXIT_USAGE, type CommandFn } from '../io.js';
import { formatIssues, loadStackForCli, useColor } from './validate.js';

const USAGE = `Usage: vigil graph [-f FILE] [--format ${GRAPH_FORMATS.join('|')}]

Prints the stack's dependency graph and launch phases.

Options:
  -f, --file FILE       the stack file (default: ${STACK_FILE_NAMES.join(' or ')} in the current directory)
      --format FORMAT   text (default), mermaid, json or dot (Graphviz)
  -h, --help            show this help
`;

export const graphCommand: CommandFn = async (argv, io) => {
  let values: {
    file?: string | undefined;
    format?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        file: { type: 'string', short: 'f' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(`vigil graph: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const format = (values.format ?? 'text') as GraphFormat;
  if (!GRAPH_FORMATS.includes(format)) {
    io.stderr.write(
      `vigil graph: unknown format "${values.format}"; use one of ${GRAPH_FORMATS.join(', ')}\n`,
    );
    return EXIT_USAGE;
  }
  const { result } = loadStackForCli(values.file, io);
  if (!result.ok) {
    const issues = [...result.errors, ...result.warnings];
    io.stderr.write(
      formatIssues(issues, { color: useColor(io.stderr, io.env), cwd: io.cwd }) + '\n',
    );
    return EXIT_USAGE;
  }
  if (result.warnings.length > 0) {
    io.stderr.write(
      formatIssues(result.warnings, { color: useColor(io.stderr, io.env), cwd: io.cwd }) + '\n',
    );
  }
  const g = buildGraph(result.config.services);
  io.stdout.write(renderGraph(g, format, { stackName: result.config.name }));
  return EXIT_OK;
};

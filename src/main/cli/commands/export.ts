/**
 * `vigil export kubernetes|compose`: the stack as Kubernetes manifests (a folder with a
 * kustomization.yaml) or a Compose file, with every key or edge whose meaning changes listed.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { displayPath, STACK_FILE_NAMES } from '../../core/config/index.js';
import {
  EXPORT_TARGETS,
  writeExport,
  type ExportNote,
  type ExportTarget,
} from '../../export/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandFn } from '../io.js';
import { formatIssues, loadStackForCli, useColor } from './validate.js';

const USAGE = `Usage: vigil export kubernetes [-f FILE] [-o DIR] [--namespace NS] [--image NAME=IMAGE ...]
       vigil export compose [-f FILE] [-o FILE]

Writes the stack as Kubernetes manifests (a folder with a kustomization.yaml: kubectl apply -k DIR)
or as a Compose file. Everything whose meaning changes on the way is listed, here and in the files.

Options:
  -f, --file FILE          the stack file (default: ${STACK_FILE_NAMES.join(' or ')} in the current directory)
  -o, --out PATH           kubernetes: the folder (default: k8s); compose: the file (default: compose.yaml)
      --namespace NS       kubernetes: the namespace (default: the stack's name)
      --image NAME=IMAGE   the image of service NAME (repeatable); wins over its \`image:\`
      --force              overwrite files that vigil export did not write
      --json               print {ok, written, notes} as JSON
  -h, --help               show this help
`;

const TOPIC_TITLES: Readonly<Record<ExportNote['topic'], string>> = {
  image: 'needs an image',
  dependency: 'dependencies whose meaning changes',
  probe: 'probes',
  secret: 'secrets in plain text',
  replicas: 'replicas and balancing',
  network: 'addresses rewritten',
  key: 'keys not kept as they are',
};

export const exportCommand: CommandFn = async (argv, io) => {
  let values: {
    file?: string | undefined;
    out?: string | undefined;
    namespace?: string | undefined;
    image?: string[] | undefined;
    force?: boolean | undefined;
    json?: boolean | undefined;
    help?: boolean | undefined;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        file: { type: 'string', short: 'f' },
        out: { type: 'string', short: 'o' },
        namespace: { type: 'string' },
        image: { type: 'string', multiple: true },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    io.stderr.write(`vigil export: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const [target, ...extra] = positionals;
  if (
    target === undefined ||
    !(EXPORT_TARGETS as readonly string[]).includes(target) ||
    extra.length > 0
  ) {
    io.stderr.write(
      `vigil export: ${target === undefined ? 'say what to export to' : extra.length > 0 ? `unexpected argument "${extra[0]}"` : `unknown target "${target}"`}: kubernetes or compose\n\n${USAGE}`,
    );
    return EXIT_USAGE;
  }
  const kind = target as ExportTarget;
  if (kind === 'compose' && values.namespace !== undefined)
    return usage(io, '--namespace is for kubernetes only');
  const images: Record<string, string> = {};
  for (const spec of values.image ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1 || /\s/.test(spec))
      return usage(
        io,
        `--image ${JSON.stringify(spec)}: write NAME=IMAGE, e.g. --image api=ghcr.io/acme/api:1.4`,
      );
    images[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  if (
    values.namespace !== undefined &&
    !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(values.namespace)
  )
    return usage(
      io,
      `--namespace ${JSON.stringify(values.namespace)} is not a namespace name: lowercase letters, digits and "-", at most 63`,
    );

  const { file, result } = loadStackForCli(values.file, io);
  const color = useColor(io.stderr, io.env);
  if (!result.ok) {
    io.stderr.write(
      formatIssues([...result.errors, ...result.warnings], { color, cwd: io.cwd }) + '\n\n',
    );
    io.stderr.write(
      `vigil export: ${file === null ? 'no stack file' : displayPath(file, io.cwd)} is not valid; nothing written\n`,
    );
    return EXIT_USAGE;
  }
  const out = path.resolve(io.cwd, values.out ?? (kind === 'kubernetes' ? 'k8s' : 'compose.yaml'));
  const outcome = writeExport(result.config, {
    target: kind,
    out,
    images,
    ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
    ...(values.force ? { force: true } : {}),
  });
  if (values.json) {
    io.stdout.write(
      JSON.stringify(
        outcome.ok
          ? { ok: true, written: outcome.written, notes: outcome.notes }
          : {
              ok: false,
              message: outcome.message,
              ...(outcome.hint ? { hint: outcome.hint } : {}),
            },
        null,
        2,
      ) + '\n',
    );
    return outcome.ok ? EXIT_OK : EXIT_FAILURE;
  }
  if (!outcome.ok) {
    io.stderr.write(
      `vigil export: ${outcome.message}${outcome.hint ? `\n  ${outcome.hint}` : ''}\n`,
    );
    return EXIT_FAILURE;
  }
  const shownOut = displayPath(out, io.cwd);
  const lines: string[] = [
    kind === 'kubernetes'
      ? `wrote ${outcome.written.length} files to ${shownOut}/ (namespace ${values.namespace ?? (outcome.result.objects.find((o) => o.object.kind === 'Namespace')?.object as { metadata?: { name?: string } } | undefined)?.metadata?.name ?? ''})`
      : `wrote ${shownOut}`,
  ];
  for (const topic of Object.keys(TOPIC_TITLES) as ExportNote['topic'][]) {
    const group = outcome.notes.filter((n) => n.topic === topic);
    if (group.length === 0) continue;
    lines.push('', `${TOPIC_TITLES[topic]} (${group.length}):`);
    for (const n of group) lines.push(`  ${n.service ?? 'stack'}: ${n.message}`);
  }
  lines.push(
    '',
    kind === 'kubernetes'
      ? `next: kubectl apply -k ${shownOut}`
      : `next: docker compose -f ${shownOut} up`,
  );
  io.stdout.write(lines.join('\n') + '\n');
  return EXIT_OK;
};

function usage(io: Parameters<CommandFn>[1], message: string): number {
  io.stderr.write(`vigil export: ${message}\n\n${USAGE}`);
  return EXIT_USAGE;
}

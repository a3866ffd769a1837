/**
 * `vigil init`: a first stack file for a project folder, from what is there. Services come from the
 * package.json of each directory under services/, apps/ and packages/ (or the root package when
 * there are none), plus the processes of a Procfile, process-compose file or PM2 ecosystem file in
 * the folder. Everything found, guessed or skipped is reported so that the user can review it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VigilError } from '../../../shared/errors.js';
import { parseStack, type ConfigIssue } from '../../core/config/index.js';
import {
  convertFile,
  NameRegistry,
  renderStack,
  type DraftService,
  type DraftStack,
  type ImportWarning,
} from '../import/index.js';
import { guessServices, packageManagerOf, type Note } from './guess.js';
import { scanProject, type ProjectFacts } from './scan.js';

export type { Note } from './guess.js';
export { scanProject, type ProjectFacts, type PackageFacts } from './scan.js';
export { guessServices, portInScript, localPortsIn, runScript } from './guess.js';

export interface InitOptions {
  /** Where the stack file will be written; default `vigil.yaml` in the folder. */
  readonly outFile?: string;
  /** For `${VAR}` checks and evaluating JavaScript ecosystem files; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface InitResult {
  /** The stack file text, or null when nothing runnable was found. */
  readonly yaml: string | null;
  readonly outFile: string;
  readonly services: readonly string[];
  /** What was found, guessed and skipped, in order. */
  readonly notes: readonly Note[];
  /** What an imported file had that could not be mapped. */
  readonly warnings: readonly ImportWarning[];
  /** Problems the stack loader reports for the generated text (normally none). */
  readonly problems: readonly ConfigIssue[];
}

/** Which imported format describes the stack best when there are several. */
function rank(file: string): number {
  const base = path.basename(file).toLowerCase();
  if (base.includes('process-compose') || base.startsWith('compose')) return 0;
  if (base.startsWith('ecosystem') || base.startsWith('pm2')) return 1;
  if (base === 'procfile.dev') return 2;
  if (base === 'procfile') return 3;
  return 4;
}

/** A compose.yaml is a process-compose file when it has `processes:`. */
function isProcessCompose(file: string): boolean {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return /^processes\s*:/m.test(text);
  } catch {
    return false;
  }
}

export function discoverStack(dir: string, opts: InitOptions = {}): InitResult {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
    throw new VigilError('STACK_NOT_FOUND', `${root} is not a directory`);
  const outFile = path.resolve(opts.outFile ?? path.join(root, 'vigil.yaml'));
  const facts = scanProject(root);
  return buildFromFacts(facts, { ...opts, outFile });
}

function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/') || '.';
}

function buildFromFacts(facts: ProjectFacts, opts: InitOptions & { outFile: string }): InitResult {
  const notes: Note[] = [];
  const warnings: ImportWarning[] = [];
  const names = new NameRegistry();
  const services: DraftService[] = [];
  let stackEnvFile: readonly string[] | undefined;
  let settings: Readonly<Record<string, unknown>> | undefined;
  let commented: DraftStack['commented'];

  // Another tool's stack file: the best one is imported, the others are mentioned.
  const importable = [
    ...facts.importable,
    ...facts.dockerCompose.filter((f) => isProcessCompose(f)),
  ].sort((a, b) => rank(a) - rank(b));
  const docker = facts.dockerCompose.filter((f) => !importable.includes(f));
  for (const file of importable) {
    const shown = rel(facts.root, file);
    if (services.length > 0 || stackEnvFile !== undefined) {
      notes.push({
        kind: 'skipped',
        text: `${shown}: not imported, the stack already comes from another file (compare with \`vigil import ${shown} -o other.yaml\`)`,
      });
      continue;
    }
    try {
      const { format, conversion } = convertFile(file, {
        outFile: opts.outFile,
        env: opts.env ?? process.env,
      });
      for (const s of conversion.stack.services) {
        names.take(s.name);
        services.push(s);
      }
      stackEnvFile = conversion.stack.envFile ?? [];
      settings = conversion.stack.settings;
      commented = conversion.stack.commented;
      warnings.push(...conversion.warnings);
      notes.push({
        kind: 'found',
        text: `${shown} (${format}): ${conversion.stack.services.map((s) => s.name).join(', ')}${conversion.warnings.length > 0 ? ` (${conversion.warnings.length} not mapped, see the warnings)` : ''}`,
      });
    } catch (err) {
      notes.push({ kind: 'skipped', text: `${shown}: ${(err as Error).message}` });
    }
  }
  for (const file of docker) {
    notes.push({
      kind: 'note',
      text: `${rel(facts.root, file)}: its services are containers, which Vigil does not run; start them with \`docker compose up\`, or add a service whose command is that`,
    });
  }

  // Packages: those an imported process already runs (same directory) are left to it.
  const importedDirs = new Set(
    services.map((s) => s.cwd).filter((c): c is string => c !== undefined),
  );
  const packages = facts.packages.filter((p) => {
    if (!importedDirs.has(p.dir)) return true;
    notes.push({ kind: 'skipped', text: `${p.rel}: already run by the imported file` });
    return false;
  });
  const pm = packageManagerOf(facts.rootPackage, facts.lockfile);
  const fromPackages = guessServices(packages, { pm, names });
  notes.push(...fromPackages.notes);
  for (const d of facts.withoutPackage)
    notes.push({ kind: 'skipped', text: `${d}: no package.json` });
  services.push(...fromPackages.services);

  if (services.length === 0 && facts.rootPackage) {
    const rootGuess = guessServices([facts.rootPackage], { pm, names });
    notes.push(...rootGuess.notes);
    services.push(...rootGuess.services);
  }

  if (services.length === 0) {
    return { yaml: null, outFile: opts.outFile, services: [], notes, warnings, problems: [] };
  }
  const stack: DraftStack = {
    name: path.basename(facts.root),
    header: [
      `Written by \`vigil init\` from what it found in this folder. Review it: comments say where`,
      'each service comes from, and what was guessed. Then `vigil validate` and `vigil up`.',
    ],
    ...(stackEnvFile && stackEnvFile.length > 0 ? { envFile: stackEnvFile } : {}),
    ...(settings ? { settings } : {}),
    services,
    ...(commented ? { commented } : {}),
  };
  const yaml = renderStack(stack, opts.outFile);
  const checked = parseStack(yaml, opts.outFile, { env: opts.env ?? process.env });
  return {
    yaml,
    outFile: opts.outFile,
    services: services.map((s) => s.name),
    notes,
    warnings,
    problems: [...(checked.ok ? [] : checked.errors), ...checked.warnings],
  };
}

/**
 * What `vigil init` guesses from a project's packages, as pure functions of what was read: the
 * command (the `dev` script, else `start`, run with the project's package manager), the port (from
 * the script's flags or a PORT in its .env files) and dependencies (a service whose .env or script
 * points at another service's localhost port waits for it).
 */
import type { DraftDependency, DraftService } from '../import/index.js';
import { NameRegistry } from '../import/index.js';
import type { PackageFacts, PackageManager } from './scan.js';

export interface Note {
  readonly kind: 'found' | 'guessed' | 'skipped' | 'note';
  readonly text: string;
}

/** Scripts that start a service, in order of preference for a local stack. */
export const START_SCRIPTS = ['dev', 'start'] as const;

/** The package manager from `packageManager: "pnpm@9"`, else the lockfile, else npm. */
export function packageManagerOf(
  pkg: PackageFacts | undefined,
  lockfile: PackageManager | undefined,
): PackageManager {
  const field = pkg?.packageManager?.split('@')[0];
  if (field === 'npm' || field === 'pnpm' || field === 'yarn' || field === 'bun') return field;
  return lockfile ?? 'npm';
}

export function runScript(pm: PackageManager, script: string): string {
  if (script === 'start' && pm !== 'bun') return `${pm} start`;
  return pm === 'yarn' ? `yarn ${script}` : `${pm} run ${script}`;
}

/** A port a script sets: `--port 3000`, `--port=3000`, `-p 3000`, `PORT=3000 node ...`. */
export function portInScript(script: string): number | undefined {
  const m =
    /(?:^|\s)(?:--port|-p)(?:=|\s+)(\d{2,5})(?=\s|$|&|;)/.exec(script) ??
    /(?:^|\s)PORT=(\d{2,5})(?=\s)/.exec(script);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** Ports on this machine a text points at: `http://localhost:4000/api`, `127.0.0.1:5432`. */
export function localPortsIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):(\d{2,5})\b/g)) {
    const n = Number(m[1]);
    if (n >= 1 && n <= 65535 && !out.includes(n)) out.push(n);
  }
  return out;
}

export interface PackageGuess {
  readonly services: DraftService[];
  readonly notes: Note[];
}

interface Candidate {
  readonly pkg: PackageFacts;
  readonly svc: DraftService;
  /** Text that may point at other services (env values and the script). */
  readonly refs: string;
}

/**
 * Services for the packages that have a start or dev script. `taken` holds names already used by
 * imported services; `pm` is the project's package manager (packages may override it).
 */
export function guessServices(
  packages: readonly PackageFacts[],
  opts: { pm: PackageManager; names: NameRegistry },
): PackageGuess {
  const notes: Note[] = [];
  const candidates: Candidate[] = [];
  for (const pkg of packages) {
    if (pkg.unreadable !== undefined) {
      notes.push({
        kind: 'skipped',
        text: `${pkg.rel}/package.json: not valid JSON (${pkg.unreadable})`,
      });
      continue;
    }
    const script = START_SCRIPTS.find((s) => pkg.scripts[s] !== undefined);
    if (script === undefined) {
      notes.push({ kind: 'skipped', text: `${pkg.rel}: no dev or start script` });
      continue;
    }
    const body = pkg.scripts[script]!;
    const pm = pkg.packageManager ? packageManagerOf(pkg, undefined) : opts.pm;
    const base = pkg.rel === '.' ? (pkg.name ?? 'app') : pkg.rel.split('/').pop()!;
    const { name } = opts.names.take(base);
    const command = runScript(pm, script);
    const other = START_SCRIPTS.find((s) => s !== script && pkg.scripts[s] !== undefined);
    const svc: DraftService = {
      name,
      command,
      cwd: pkg.dir,
      comment: [
        `${pkg.rel === '.' ? '' : `${pkg.rel}/`}package.json, script "${script}": ${body}`,
        ...(other ? [`(also has "${other}": ${runScript(pm, other)})`] : []),
      ],
    };
    notes.push({
      kind: 'found',
      text: `${pkg.rel === '.' ? '' : `${pkg.rel}/`}package.json: script "${script}" -> service "${name}" (${command})`,
    });
    const env: Record<string, string> = {};
    for (const f of pkg.envFiles) Object.assign(env, f.vars);
    const refs = [body, ...Object.values(env)].join('\n');
    candidates.push({ pkg, svc, refs });

    const fromScript = portInScript(body);
    const envPort = Number(env.PORT);
    const envFile = [...pkg.envFiles].reverse().find((f) => f.vars.PORT !== undefined);
    if (fromScript !== undefined) {
      svc.port = fromScript;
      svc.keyComments = { port: `guessed from the "${script}" script` };
    } else if (Number.isInteger(envPort) && envPort >= 1 && envPort <= 65535 && envFile) {
      svc.port = envPort;
      const rel = `${pkg.rel === '.' ? '' : `${pkg.rel}/`}${envFile.file.split(/[\\/]/).pop()}`;
      svc.keyComments = { port: `guessed from ${rel} (PORT=${envPort})` };
    }
  }

  // Two services cannot declare one port: the first keeps it.
  const owner = new Map<number, string>();
  for (const c of candidates) {
    const port = c.svc.port;
    if (port === undefined) continue;
    const first = owner.get(port);
    if (first !== undefined) {
      notes.push({
        kind: 'note',
        text: `${c.svc.name}: port ${port} is also guessed for "${first}"; left out, check which one really uses it`,
      });
      delete c.svc.port;
      delete c.svc.keyComments;
      continue;
    }
    owner.set(port, c.svc.name);
    notes.push({
      kind: 'guessed',
      text: `${c.svc.name}: port ${port}, ${c.svc.keyComments?.port?.replace(/^guessed /, '') ?? ''}`,
    });
  }

  // Dependencies: a service that points at another one's port waits for it to be healthy.
  const edges = new Map<string, DraftDependency[]>();
  for (const c of candidates) {
    const deps: DraftDependency[] = [];
    for (const port of localPortsIn(c.refs)) {
      const target = owner.get(port);
      if (target === undefined || target === c.svc.name) continue;
      if (deps.some((d) => d.name === target)) continue;
      if (reaches(edges, target, c.svc.name)) continue; // would close a cycle
      deps.push({
        name: target,
        condition: 'healthy',
        comment: `guessed: it points at localhost:${port}`,
      });
      notes.push({
        kind: 'guessed',
        text: `${c.svc.name} depends on ${target} (it points at localhost:${port})`,
      });
    }
    if (deps.length > 0) {
      edges.set(c.svc.name, deps);
      c.svc.dependsOn = deps;
    }
  }
  return { services: candidates.map((c) => c.svc), notes };
}

/** Is `to` reachable from `from` along the dependency edges so far? */
function reaches(
  edges: ReadonlyMap<string, readonly DraftDependency[]>,
  from: string,
  to: string,
): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const d of edges.get(n) ?? []) stack.push(d.name);
  }
  return false;
}

/**
 * The stack's dependency graph, as pure functions: cycles, launch phases, startup and shutdown
 * order, transitive dependencies. Everything is O(services + dependencies); ties always follow the
 * order of the stack file, so the same file always gives the same answer.
 */
import { VigilError } from '../../../shared/errors.js';
import type {
  DependencyCondition,
  DependencySpec,
  LaunchMode,
  ServiceSpec,
} from '../../../shared/model.js';

export interface GraphNode {
  readonly name: string;
  /** Effective launch phase: the explicit one, else 1 + the highest phase of its dependencies. */
  readonly phase: number;
  readonly explicitPhase: boolean;
  readonly launch: LaunchMode;
  /** Every dependency, optional ones included. */
  readonly deps: readonly DependencySpec[];
  /** Services that depend on this one, in file order. */
  readonly dependents: readonly string[];
  readonly required: boolean;
}

/** An edge goes from the dependent to its dependency. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly condition: DependencyCondition;
  readonly optional: boolean;
}

export interface StackGraph {
  /** In file order. */
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** `phases[i]`: the services of phase i, in file order (empty when no service has that phase). */
  readonly phases: readonly (readonly string[])[];
  readonly startupOrder: readonly string[];
  readonly shutdownOrder: readonly string[];
  readonly edges: readonly GraphEdge[];
}

/** The minimum a cycle search needs from a service. */
export interface GraphInput {
  readonly name: string;
  readonly dependsOn: readonly { readonly name: string }[];
}

interface Indexed {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Dependencies by index; names not in the input are left out, duplicates removed. */
  readonly deps: readonly (readonly number[])[];
}

function indexed(services: readonly GraphInput[]): Indexed {
  const names = services.map((s) => s.name);
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (!index.has(n)) index.set(n, i);
  });
  const deps = services.map((s) => {
    const out: number[] = [];
    const seen = new Set<number>();
    for (const d of s.dependsOn) {
      const j = index.get(d.name);
      if (j !== undefined && !seen.has(j)) {
        seen.add(j);
        out.push(j);
      }
    }
    return out;
  });
  return { names, index, deps };
}

/**
 * Every dependency cycle, one per strongly connected component, each as a closed path that starts
 * and ends at the component's first service in file order: `['a', 'b', 'c', 'a']`; a service that
 * depends on itself gives `['a', 'a']`. Components are listed in file order of their first service.
 * Dependencies on names that are not in `services` are ignored.
 */
export function findCycles(services: readonly GraphInput[]): string[][] {
  const g = indexed(services);
  const n = g.names.length;
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const work: { v: number; i: number }[] = [{ v: root, i: 0 }];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = g.deps[top.v]!;
      if (top.i < succ.length) {
        const w = succ[top.i++]!;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ v: w, i: 0 });
        } else if (onStack[w]) low[top.v] = Math.min(low[top.v]!, order[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent.v] = Math.min(low[parent.v]!, low[top.v]!);
      if (low[top.v] === order[top.v]) {
        const comp: number[] = [];
        for (;;) {
          const w = stack.pop()!;
          onStack[w] = false;
          comp.push(w);
          if (w === top.v) break;
        }
        if (comp.length > 1 || g.deps[top.v]!.includes(top.v)) components.push(comp);
      }
    }
  }
  return components
    .map((comp) => Math.min(...comp))
    .map((start, k) => ({ start, members: new Set(components[k]) }))
    .sort((a, b) => a.start - b.start)
    .map(({ start, members }) => shortestCycle(g, start, members).map((i) => g.names[i]!));
}

/** The first dependency cycle (see findCycles), or null when the graph is acyclic. */
export function findCycle(services: readonly GraphInput[]): string[] | null {
  return findCycles(services)[0] ?? null;
}

/** Breadth-first search for the shortest way from `start` back to itself inside its component. */
function shortestCycle(g: Indexed, start: number, members: ReadonlySet<number>): number[] {
  if (g.deps[start]!.includes(start)) return [start, start];
  const prev = new Map<number, number>();
  const queue = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const v = queue[qi]!;
    for (const w of g.deps[v]!) {
      if (!members.has(w)) continue;
      if (w === start) {
        // Walk back from the last hop to the first one, then turn it around.
        const back: number[] = [];
        for (let x = v; x !== start; x = prev.get(x)!) back.push(x);
        return [start, ...back.reverse(), start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/**
 * Effective phase of every service (see GraphNode.phase), or null for a graph with a cycle.
 * Unknown dependency names are ignored.
 */
export function computePhases(
  services: readonly (GraphInput & { readonly phase?: number | undefined })[],
): Map<string, number> | null {
  const g = indexed(services);
  const n = g.names.length;
  const pending = g.deps.map((d) => d.length);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  g.deps.forEach((ds, i) => {
    for (const d of ds) dependents[d]!.push(i);
  });
  const phase = new Array<number>(n).fill(0);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (pending[i] === 0) queue.push(i);
  for (let qi = 0; qi < queue.length; qi++) {
    const v = queue[qi]!;
    const explicit = services[v]!.phase;
    let p = 0;
    if (explicit !== undefined) p = explicit;
    else for (const d of g.deps[v]!) p = Math.max(p, phase[d]! + 1);
    phase[v] = p;
    for (const w of dependents[v]!) if (--pending[w]! === 0) queue.push(w);
  }
  if (queue.length < n) return null;
  const out = new Map<string, number>();
  g.names.forEach((name, i) => out.set(name, phase[i]!));
  return out;
}

/** Builds the graph of a validated stack; throws STACK_CYCLE if the stack has a cycle anyway. */
export function buildGraph(services: readonly ServiceSpec[]): StackGraph {
  const phases = computePhases(services);
  if (phases === null) {
    const cycle = findCycle(services) ?? [];
    throw new VigilError('STACK_CYCLE', `dependency cycle: ${cycle.join(' -> ')}`);
  }
  const known = new Set(services.map((s) => s.name));
  const dependents = new Map<string, string[]>(services.map((s) => [s.name, []]));
  const edges: GraphEdge[] = [];
  for (const s of services) {
    for (const d of s.dependsOn) {
      if (!known.has(d.name)) continue;
      const list = dependents.get(d.name)!;
      if (!list.includes(s.name)) list.push(s.name);
      edges.push({ from: s.name, to: d.name, condition: d.condition, optional: d.optional });
    }
  }
  const nodes = new Map<string, GraphNode>();
  let maxPhase = -1;
  for (const s of services) {
    const phase = phases.get(s.name)!;
    maxPhase = Math.max(maxPhase, phase);
    nodes.set(s.name, {
      name: s.name,
      phase,
      explicitPhase: s.phase !== undefined,
      launch: s.launch,
      deps: s.dependsOn.filter((d) => known.has(d.name)),
      dependents: dependents.get(s.name)!,
      required: s.required,
    });
  }
  const byPhase: string[][] = Array.from({ length: maxPhase + 1 }, () => []);
  for (const node of nodes.values()) byPhase[node.phase]!.push(node.name);
  const startupOrder = byPhase.flat();
  return {
    nodes,
    phases: byPhase,
    startupOrder,
    shutdownOrder: [...startupOrder].reverse(),
    edges,
  };
}

function closure(g: StackGraph, name: string, next: (n: GraphNode) => Iterable<string>): string[] {
  const start = g.nodes.get(name);
  if (start === undefined) throw new VigilError('UNKNOWN_SERVICE', `no service named "${name}"`);
  const seen = new Set<string>();
  const queue = [...next(start)];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i]!;
    if (seen.has(n) || n === name) continue;
    seen.add(n);
    const node = g.nodes.get(n);
    if (node) queue.push(...next(node));
  }
  return g.startupOrder.filter((n) => seen.has(n));
}

/** Everything `name` needs, directly or not (optional dependencies included), in startup order. */
export function transitiveDependencies(g: StackGraph, name: string): string[] {
  return closure(g, name, (n) => n.deps.map((d) => d.name));
}

/** Everything that needs `name`, directly or not, in startup order. */
export function transitiveDependents(g: StackGraph, name: string): string[] {
  return closure(g, name, (n) => n.dependents);
}

/**
 * Where each service sits on the canvas: columns by launch phase (dependencies on the left), the
 * order inside a phase from dagre (fewer crossings), and tall phases wrapped into several columns.
 * A pure function of the graph's structure: it is recomputed when services or edges change, never
 * when only a status does.
 */
import dagre from '@dagrejs/dagre';
import type { DependencyCondition } from '../../../shared/model.js';
import type { ServiceView } from '../../../shared/views.js';

export const NODE_WIDTH = 212;
export const NODE_HEIGHT = 84;
const GAP_X = 96;
const GAP_Y = 28;

export type Direction = 'LR' | 'TB';

export interface GraphNode {
  readonly name: string;
  readonly phase: number;
}

export interface GraphEdge {
  /** The dependency. */
  readonly from: string;
  /** The service that depends on it. */
  readonly to: string;
  readonly condition: DependencyCondition;
  readonly optional: boolean;
}

export interface GraphStructure {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Nodes and dependency edges from the service views (edges to unknown services are left out). */
export function structureOf(
  services: Readonly<Record<string, ServiceView>>,
  order: readonly string[],
): GraphStructure {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const name of order) {
    const s = services[name];
    if (!s) continue;
    nodes.push({ name, phase: s.phase });
    const deps = s.dependencies;
    const all = [...deps.required, ...deps.optional.filter((d) => !deps.required.includes(d))];
    for (const dep of all) {
      if (!services[dep]) continue;
      edges.push({
        from: dep,
        to: name,
        condition: deps.conditions[dep] ?? 'healthy',
        optional: deps.optional.includes(dep) && !deps.required.includes(dep),
      });
    }
  }
  return { nodes, edges };
}

/** A string that changes exactly when the structure does (memo key for the layout). */
export function structureKey(g: GraphStructure): string {
  const n = g.nodes.map((x) => `${x.name}@${x.phase}`).join(',');
  const e = g.edges
    .map((x) => `${x.from}>${x.to}:${x.condition}${x.optional ? '?' : ''}`)
    .join(',');
  return `${n}|${e}`;
}

/** Rows per column before a phase wraps into another column. */
export function maxRowsFor(total: number): number {
  return Math.max(8, Math.ceil(Math.sqrt(total) * 1.4));
}

export function layoutGraph(g: GraphStructure, direction: Direction = 'LR'): Map<string, Point> {
  const out = new Map<string, Point>();
  if (g.nodes.length === 0) return out;

  // dagre's order of nodes inside a rank keeps edges from crossing more than they must.
  const rank = new Map<string, number>();
  const dg = new dagre.graphlib.Graph();
  dg.setGraph({ rankdir: direction, nodesep: GAP_Y, ranksep: GAP_X, ranker: 'longest-path' });
  dg.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) dg.setNode(n.name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of g.edges) if (e.from !== e.to) dg.setEdge(e.from, e.to);
  try {
    dagre.layout(dg);
    const size = dg.graph() as { width?: number; height?: number };
    const mid = ((direction === 'LR' ? size.height : size.width) ?? 0) / 2;
    for (const n of g.nodes) {
      const p = dg.node(n.name) as { x?: number; y?: number } | undefined;
      const cross = direction === 'LR' ? p?.y : p?.x;
      if (cross !== undefined) rank.set(n.name, cross - mid);
    }
  } catch {
    // a layout failure only costs the nicer order: fall back to names
  }

  const phases = new Map<number, string[]>();
  for (const n of g.nodes) {
    const list = phases.get(n.phase) ?? [];
    list.push(n.name);
    phases.set(n.phase, list);
  }
  const maxRows = maxRowsFor(g.nodes.length);
  // Along the flow (phase to phase) and across it (services of one phase).
  const stepMain = direction === 'LR' ? NODE_WIDTH + GAP_X : NODE_HEIGHT + GAP_X;
  const stepCross = direction === 'LR' ? NODE_HEIGHT + GAP_Y : NODE_WIDTH + GAP_Y;
  let column = 0;
  for (const phase of [...phases.keys()].sort((a, b) => a - b)) {
    const names = phases
      .get(phase)!
      .sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0) || a.localeCompare(b));
    const columns = Math.ceil(names.length / maxRows);
    if (columns === 1 && rank.size > 0) {
      // One column: keep dagre's vertical lanes (room left for edges that skip this phase),
      // pushed apart where two nodes would overlap.
      let previous = Number.NEGATIVE_INFINITY;
      for (const name of names) {
        const cross = Math.max(rank.get(name) ?? 0, previous + stepCross);
        previous = cross;
        const main = column * stepMain;
        out.set(name, direction === 'LR' ? { x: main, y: cross } : { x: cross, y: main });
      }
      column += 1;
      continue;
    }
    const perColumn = Math.ceil(names.length / columns);
    for (let c = 0; c < columns; c++) {
      const slice = names.slice(c * perColumn, (c + 1) * perColumn);
      const offset = ((slice.length - 1) * stepCross) / 2;
      slice.forEach((name, row) => {
        const main = column * stepMain;
        const cross = row * stepCross - offset;
        out.set(name, direction === 'LR' ? { x: main, y: cross } : { x: cross, y: main });
      });
      column += 1;
    }
  }
  return out;
}

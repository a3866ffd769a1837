/**
 * From service views and a layout to React Flow nodes and edges. Pure: the canvas calls it on
 * every status change, but positions come from the memoised layout, and node objects whose data
 * did not change are reused (React Flow then skips them).
 */
import type { Edge, Node } from '@xyflow/react';
import type { DisplayStatus, Health, Lifecycle } from '../../../shared/model.js';
import type { ServiceView } from '../../../shared/views.js';
import { notReadyText, startedWithoutText } from '../../../shared/notes.js';
import { encodeStrip, instanceStrip } from '../services/replicas.js';
import { healthTone, statusTone, type Tone } from './colors.js';
import {
  NODE_HEIGHT,
  NODE_WIDTH,
  type Direction,
  type GraphEdge,
  type GraphStructure,
  type Point,
} from './layout.js';

export const SERVICE_NODE_TYPE = 'service';

export interface ServiceNodeData extends Record<string, unknown> {
  readonly name: string;
  readonly status: DisplayStatus;
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly tone: Tone;
  readonly healthTone: Tone;
  readonly port: number | null;
  /** Latency of the last probe, or null. */
  readonly latencyMs: number | null;
  /** False when the service is not up (health would be stale). */
  readonly showHealth: boolean;
  readonly restarts: number;
  readonly phase: number;
  readonly critical: boolean;
  readonly required: boolean;
  /** It registered itself over the API (Vigil does not run its process). */
  readonly registered: boolean;
  /** "db, cache" when waiting on dependencies; empty otherwise. */
  readonly blockedBy: string;
  /** Why it is not ready yet, or what it started without; empty otherwise. */
  readonly note: string;
  readonly selected: boolean;
  /** Not on the highlighted path while one is shown. */
  readonly dimmed: boolean;
  /** Where edges enter and leave: sides for left-to-right, top and bottom otherwise. */
  readonly direction: Direction;
  /** A replicated service: "ready/desired" ("2/3"); empty otherwise. */
  readonly instances: string;
  /** How the count reads: all ready, some not, fewer than `min_ready`. */
  readonly instancesTone: Tone;
  /** Its instances' statuses as one string (see `encodeStrip`); empty when not replicated. */
  readonly strip: string;
}

export type ServiceFlowNode = Node<ServiceNodeData, typeof SERVICE_NODE_TYPE>;

export type EdgeHighlight = 'none' | 'blocked' | 'failing';

/** Probes whose latency means something (a process or log check takes no time). */
const TIMED_PROBES: ReadonlySet<string> = new Set(['http', 'tcp', 'exec', 'default']);
/** Lifecycles in which a health value describes the service as it is now. */
const LIVE: ReadonlySet<Lifecycle> = new Set(['starting', 'running', 'backoff', 'stopping']);

/** A service counts as down for its dependents. */
export function isDown(s: ServiceView): boolean {
  if (s.lifecycle === 'completed') return false;
  if (s.lifecycle === 'failed' || s.lifecycle === 'backoff' || s.lifecycle === 'stopped')
    return true;
  return s.status === 'unhealthy' || s.status === 'timeout' || s.status === 'quarantined';
}

export const edgeId = (e: Pick<GraphEdge, 'from' | 'to'>): string => `${e.from}->${e.to}`;

/**
 * Edges on a path from `from` down its dependencies to a dependency that is down, and the
 * services on those paths (the failing ones included).
 */
export function failurePath(
  structure: GraphStructure,
  services: Readonly<Record<string, ServiceView>>,
  from: string,
): { edges: Set<string>; nodes: Set<string> } {
  const depsOf = new Map<string, GraphEdge[]>();
  for (const e of structure.edges) {
    const list = depsOf.get(e.to) ?? [];
    list.push(e);
    depsOf.set(e.to, list);
  }
  const memo = new Map<string, boolean>();
  const edges = new Set<string>();
  const nodes = new Set<string>();
  const visit = (name: string, depth: number): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, false); // cycles (should not exist) end here
    let reaches = false;
    if (depth > 0 && services[name] && isDown(services[name]!)) reaches = true;
    for (const e of depsOf.get(name) ?? []) {
      if (visit(e.from, depth + 1)) {
        edges.add(edgeId(e));
        reaches = true;
      }
    }
    if (reaches) nodes.add(name);
    memo.set(name, reaches);
    return reaches;
  };
  if (services[from] !== undefined) visit(from, 0);
  return { edges, nodes };
}

/** How every edge is highlighted: waiting services' blocking edges, and the selected one's failure path. */
export function edgeHighlights(
  structure: GraphStructure,
  services: Readonly<Record<string, ServiceView>>,
  selected: string | null,
): Map<string, EdgeHighlight> {
  const out = new Map<string, EdgeHighlight>();
  for (const e of structure.edges) {
    const target = services[e.to];
    if (target?.lifecycle === 'waiting' && target.blocked_by.includes(e.from)) {
      out.set(edgeId(e), 'blocked');
    }
  }
  if (selected !== null) {
    for (const id of failurePath(structure, services, selected).edges) out.set(id, 'failing');
  }
  return out;
}

/** The node's short note: why a starting service is not ready, or what it started without. */
export function nodeNote(s: ServiceView): string {
  if (s.lifecycle === 'starting' && s.not_ready) {
    return notReadyText(s.not_ready, 0, { deadline: false });
  }
  return startedWithoutText(s.started_without) ?? '';
}

export function nodeData(
  s: ServiceView,
  selected: boolean,
  dimmed: boolean,
  direction: Direction = 'LR',
): ServiceNodeData {
  return {
    name: s.name,
    status: s.status,
    lifecycle: s.lifecycle,
    health: s.health,
    tone: statusTone(s.status),
    healthTone: healthTone(s.health),
    port: s.port,
    latencyMs:
      s.last_check && TIMED_PROBES.has(s.last_check.probe) && LIVE.has(s.lifecycle)
        ? Math.round(s.last_check.latencyMs)
        : null,
    showHealth: LIVE.has(s.lifecycle),
    restarts: s.restart_count,
    phase: s.phase,
    critical: s.is_critical,
    required: s.required,
    registered: s.registered,
    blockedBy: s.lifecycle === 'waiting' ? s.blocked_by.join(', ') : '',
    note: nodeNote(s),
    selected,
    dimmed,
    direction,
    instances: s.replicas ? `${s.replicas.ready}/${s.replicas.desired}` : '',
    instancesTone: !s.replicas
      ? 'off'
      : s.replicas.ready < Math.max(1, s.replicas.min_ready)
        ? 'bad'
        : s.replicas.ready < s.replicas.desired
          ? 'warn'
          : 'ok',
    strip: s.replicas ? encodeStrip(instanceStrip(s.replicas)) : '',
  };
}

function sameData(a: ServiceNodeData, b: ServiceNodeData): boolean {
  for (const k of Object.keys(a) as (keyof ServiceNodeData)[]) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * One node per service at its laid-out position. `previous` (last call's result, by id) lets
 * unchanged nodes keep their identity.
 */
export function toFlowNodes(
  structure: GraphStructure,
  positions: ReadonlyMap<string, Point>,
  services: Readonly<Record<string, ServiceView>>,
  selected: string | null,
  previous?: ReadonlyMap<string, ServiceFlowNode>,
  direction: Direction = 'LR',
): ServiceFlowNode[] {
  const path = selected !== null ? failurePath(structure, services, selected).nodes : null;
  const showPath = path !== null && path.size > 0;
  const out: ServiceFlowNode[] = [];
  for (const n of structure.nodes) {
    const s = services[n.name];
    if (!s) continue;
    const position = positions.get(n.name) ?? { x: 0, y: 0 };
    const data = nodeData(s, n.name === selected, showPath && !path.has(n.name), direction);
    const old = previous?.get(n.name);
    if (
      old &&
      old.position.x === position.x &&
      old.position.y === position.y &&
      sameData(old.data, data)
    ) {
      out.push(old);
      continue;
    }
    out.push({
      id: n.name,
      type: SERVICE_NODE_TYPE,
      position,
      data,
      selected: n.name === selected,
      // Fixed size: the minimap, fitView and visibility culling need it before measuring.
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      draggable: false,
      connectable: false,
      ariaLabel: `${n.name}: ${data.status}`,
    });
  }
  return out;
}

export interface EdgeData extends Record<string, unknown> {
  readonly highlight: EdgeHighlight;
  readonly optional: boolean;
}

export function toFlowEdges(
  structure: GraphStructure,
  highlights: ReadonlyMap<string, EdgeHighlight>,
): Edge<EdgeData>[] {
  return structure.edges.map((e) => {
    const highlight = highlights.get(edgeId(e)) ?? 'none';
    const classes = ['vg-edge', `vg-edge-${highlight}`];
    if (e.optional) classes.push('vg-edge-optional');
    return {
      id: edgeId(e),
      source: e.from,
      target: e.to,
      label: e.optional ? `${e.condition} (optional)` : e.condition,
      className: classes.join(' '),
      animated: highlight !== 'none',
      focusable: false,
      selectable: false,
      style: e.optional ? { strokeDasharray: '6 4' } : undefined,
      data: { highlight, optional: e.optional },
      zIndex: highlight === 'none' ? 0 : 1,
    };
  });
}

/** The dependency graph as text for people, Mermaid, Graphviz DOT, or JSON for scripts. */
import type { GraphNode, StackGraph } from './graph.js';

export type GraphFormat = 'text' | 'mermaid' | 'json' | 'dot';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['text', 'mermaid', 'json', 'dot'];

export function renderGraph(
  g: StackGraph,
  format: GraphFormat,
  opts: { stackName?: string } = {},
): string {
  switch (format) {
    case 'text':
      return renderText(g, opts.stackName);
    case 'mermaid':
      return renderMermaid(g, opts.stackName);
    case 'dot':
      return renderDot(g, opts.stackName);
    case 'json':
      return renderJson(g, opts.stackName);
  }
}

/** `serial` / `parallel` when every service of the phase launches that way, else `mixed`. */
function phaseMode(g: StackGraph, names: readonly string[]): string {
  const modes = new Set(names.map((n) => g.nodes.get(n)!.launch));
  return modes.size === 1 ? [...modes][0]! : 'mixed';
}

function renderText(g: StackGraph, stackName: string | undefined): string {
  const title = `Service Dependency Graph${stackName ? ` (${oneLine(stackName)})` : ''}:`;
  const lines = [title, '='.repeat(title.length), ''];
  if (g.nodes.size === 0) lines.push('(no services)');
  g.phases.forEach((names, phase) => {
    if (names.length === 0) return;
    lines.push(`Phase ${phase} (${phaseMode(g, names)}):`);
    for (const name of names) lines.push(`  • ${describeNode(g.nodes.get(name)!)}`);
  });
  return lines.join('\n') + '\n';
}

function describeNode(n: GraphNode): string {
  const required = n.deps.filter((d) => !d.optional);
  const optional = n.deps.filter((d) => d.optional);
  let s = n.name;
  if (required.length > 0)
    s += ` <- ${required.map((d) => `${d.name} (${d.condition})`).join(', ')}`;
  if (optional.length > 0) s += ` [optional: ${optional.map((d) => d.name).join(', ')}]`;
  return s;
}

const MERMAID_RESERVED = new Set([
  'end',
  'graph',
  'subgraph',
  'style',
  'class',
  'classdef',
  'click',
  'linkstyle',
  'flowchart',
  'direction',
]);

/** Mermaid node ids: the name with `-` as `_`, made unique and kept off keywords. */
function mermaidIds(g: StackGraph): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  let i = 0;
  for (const name of g.nodes.keys()) {
    let id = name.replace(/[^A-Za-z0-9_]/g, '_');
    if (/^\d/.test(id) || MERMAID_RESERVED.has(id.toLowerCase())) id = `s_${id}`;
    while (used.has(id)) id = `${id}_${i++}`;
    used.add(id);
    ids.set(name, id);
  }
  return ids;
}

function renderMermaid(g: StackGraph, stackName: string | undefined): string {
  const ids = mermaidIds(g);
  const lines: string[] = [];
  if (stackName) lines.push('---', `title: ${JSON.stringify(oneLine(stackName))}`, '---');
  lines.push('graph TD');
  g.phases.forEach((names, phase) => {
    if (names.length === 0) return;
    lines.push(`  subgraph phase${phase}["Phase ${phase}"]`);
    for (const name of names) lines.push(`    ${ids.get(name)}["${name}"]`);
    lines.push('  end');
  });
  for (const e of g.edges) {
    const arrow = e.optional ? '-.->' : '-->';
    lines.push(`  ${ids.get(e.from)} ${arrow}|${e.condition}| ${ids.get(e.to)}`);
  }
  return lines.join('\n') + '\n';
}

function dotEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, ' ');
}

function dotString(s: string): string {
  return `"${dotEscape(s)}"`;
}

function renderDot(g: StackGraph, stackName: string | undefined): string {
  const lines = [
    `digraph ${dotString(stackName ?? 'stack')} {`,
    '  node [shape=box, style=rounded];',
  ];
  g.phases.forEach((names, phase) => {
    if (names.length === 0) return;
    lines.push(`  subgraph phase${phase} {`, '    rank=same;');
    for (const name of names) {
      const n = g.nodes.get(name)!;
      const attrs = [`label="${dotEscape(name)}\\nphase ${phase}"`];
      if (!n.required) attrs.push('style="rounded,dashed"');
      lines.push(`    ${dotString(name)} [${attrs.join(', ')}];`);
    }
    lines.push('  }');
  });
  for (const e of g.edges) {
    const attrs = [`label=${dotString(e.condition)}`];
    if (e.optional) attrs.push('style=dashed');
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

function renderJson(g: StackGraph, stackName: string | undefined): string {
  const doc = {
    ...(stackName !== undefined ? { stack: stackName } : {}),
    nodes: [...g.nodes.values()].map((n) => ({
      name: n.name,
      phase: n.phase,
      explicit_phase: n.explicitPhase,
      launch: n.launch,
      required: n.required,
      depends_on: n.deps.map((d) => ({
        name: d.name,
        condition: d.condition,
        optional: d.optional,
      })),
      dependents: n.dependents,
    })),
    edges: g.edges.map((e) => ({
      from: e.from,
      to: e.to,
      condition: e.condition,
      optional: e.optional,
    })),
    phases: g.phases,
    startup_order: g.startupOrder,
    shutdown_order: g.shutdownOrder,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Checks across services, once each service has been read: declared ports, dependency names,
 * self-dependencies, cycles and explicit phases. Graph checks are skipped when references are
 * broken (an unknown name would make every cycle or phase message misleading).
 */
import path from 'node:path';
import { computePhases, findCycles } from '../graph/index.js';
import type { IssueList } from './issues.js';
import type { ServiceDraft } from './service.js';
import { suggestion } from './suggest.js';
import { checkReplicas } from './replicas.js';

export function checkServices(drafts: readonly ServiceDraft[], issues: IssueList): void {
  checkPorts(drafts, issues);
  checkReplicas(
    drafts.map((d) => ({
      name: d.spec.name,
      ...(d.spec.port !== undefined ? { port: d.spec.port } : {}),
      ...(d.spec.ports !== undefined ? { ports: d.spec.ports } : {}),
      ...(d.spec.failover !== undefined ? { failover: d.spec.failover } : {}),
      keyPos: d.keyPos,
      path: d.path,
      replica: d.replica,
    })),
    issues,
  );
  const byName = new Map(drafts.map((d) => [d.spec.name, d]));
  const names = [...byName.keys()];
  let broken = false;
  for (const d of drafts) {
    for (const dep of d.deps) {
      if (dep.name === d.spec.name) {
        issues.error(
          'STACK_CYCLE',
          `service "${d.spec.name}" depends on itself`,
          dep.pos,
          dep.path,
          `remove "${dep.name}" from its own depends_on`,
        );
        broken = true;
        continue;
      }
      const target = byName.get(dep.name);
      if (target === undefined) {
        issues.error(
          'STACK_UNKNOWN_DEPENDENCY',
          `service "${d.spec.name}" depends on "${dep.name}", which is not defined in this stack`,
          dep.pos,
          dep.path,
          suggestion(dep.name, names, 'defined services'),
        );
        broken = true;
        continue;
      }
      if (dep.condition === 'completed' && !target.spec.oneshot) {
        issues.error(
          'STACK_INVALID',
          `condition "completed" needs "${dep.name}" to be a oneshot service, but it keeps running`,
          dep.pos,
          dep.path,
          `use "healthy" or "started", or set \`oneshot: true\` on "${dep.name}"`,
        );
      }
    }
  }
  if (broken) return;
  const cycles = findCycles(drafts.map((d) => ({ name: d.spec.name, dependsOn: d.deps })));
  const file = path.basename(issues.file);
  for (const cycle of cycles) {
    const edges = cycle.slice(0, -1).map((from, i) => {
      const to = cycle[i + 1]!;
      const dep = byName.get(from)!.deps.find((x) => x.name === to)!;
      return { from, to, dep };
    });
    const first = edges[0]!;
    const where = edges
      .map((e) => `${e.from} -> ${e.to} at ${file}:${e.dep.pos.line}:${e.dep.pos.col}`)
      .join(', ');
    issues.error(
      'STACK_CYCLE',
      `dependency cycle ${cycle.join(' -> ')} (${where}); services in a cycle can never start`,
      first.dep.pos,
      first.dep.path,
      'remove one of these dependencies',
    );
  }
  if (cycles.length > 0) return;
  const phases = computePhases(
    drafts.map((d) => ({ name: d.spec.name, dependsOn: d.deps, phase: d.spec.phase })),
  );
  if (phases === null) return;
  for (const d of drafts) {
    const explicit = d.spec.phase;
    if (explicit === undefined || d.phase === undefined) continue;
    for (const dep of d.deps) {
      const depPhase = phases.get(dep.name);
      if (depPhase !== undefined && explicit < depPhase) {
        issues.error(
          'STACK_INVALID',
          `service "${d.spec.name}" has phase ${explicit}, earlier than phase ${depPhase} of its dependency "${dep.name}"`,
          d.phase.pos,
          d.phase.path,
          `use phase ${depPhase} or later, or remove "phase" to have it computed`,
        );
      }
    }
  }
}

function checkPorts(drafts: readonly ServiceDraft[], issues: IssueList): void {
  const owners = new Map<number, ServiceDraft>();
  for (const d of drafts) {
    const port = d.spec.port;
    if (port === undefined || d.port === undefined) continue;
    const first = owners.get(port);
    if (first === undefined) {
      owners.set(port, d);
      continue;
    }
    issues.error(
      'STACK_INVALID',
      `port ${port} is already declared by service "${first.spec.name}" (line ${first.port!.pos.line})`,
      d.port.pos,
      d.port.path,
      'give each service its own port',
    );
  }
}

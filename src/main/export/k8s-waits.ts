/**
 * Dependency order in Kubernetes: an init container per blocking dependency. `healthy` and
 * `started` wait until the dependency's Service answers (a Service only routes to ready pods, so
 * this is the dependency's readiness probe passing); `completed` waits for the Job with
 * `kubectl wait`; optional dependencies do not block. Each edge says how its meaning is kept.
 */
import type { DependencySpec, ServiceSpec } from '../../shared/model.js';

/** Images of the init containers; the only images the export chooses itself. */
export const WAIT_IMAGES = {
  net: 'busybox:1.37',
  kubectl: 'registry.k8s.io/kubectl:v1.32.4',
} as const;
/** The ServiceAccount allowed to read Jobs, for `kubectl wait`. */
export const WAITER_ACCOUNT = 'vigil-wait';

export interface Wait {
  readonly dependency: string;
  /** What the edge becomes. */
  readonly note: string;
  /** True when the edge means something else than in Vigil (listed in the command's output). */
  readonly changed: boolean;
  readonly container?: Record<string, unknown>;
  readonly needsAccount: boolean;
}

export function dependencyWaits(
  s: ServiceSpec,
  byName: ReadonlyMap<string, ServiceSpec>,
  nameOf: (s: ServiceSpec) => string,
): Wait[] {
  return s.dependsOn.map((d) => waitFor(s, d, byName.get(d.name)!, nameOf));
}

function edge(s: ServiceSpec, d: DependencySpec): string {
  return `depends_on ${d.name} (${d.condition}${d.optional ? ', optional' : ''})`;
}

function waitFor(
  s: ServiceSpec,
  d: DependencySpec,
  target: ServiceSpec,
  nameOf: (s: ServiceSpec) => string,
): Wait {
  const t = nameOf(target);
  const base = { dependency: d.name, needsAccount: false };
  if (d.optional)
    return {
      ...base,
      changed: true,
      note: `${edge(s, d)}: not waited for; the pod starts without it, and nothing waits for it later either`,
    };
  if (target.oneshot) {
    return {
      ...base,
      needsAccount: true,
      changed: d.condition !== 'completed',
      note:
        d.condition === 'completed'
          ? `${edge(s, d)}: init container wait-${t} waits for Job ${t} to complete`
          : `${edge(s, d)}: ${d.name} is a Job; init container wait-${t} waits for it to complete, more than "${d.condition}"`,
      container: {
        name: `wait-${t}`.slice(0, 63),
        image: WAIT_IMAGES.kubectl,
        command: ['kubectl', 'wait', '--for=condition=complete', `job/${t}`, '--timeout=-1s'],
      },
    };
  }
  if (target.port === undefined)
    return {
      ...base,
      changed: true,
      note: `${edge(s, d)}: not enforced: ${d.name} declares no port, so there is no Service to wait for; declare its port to get the order back`,
    };
  const probe = target.health.probe;
  const url =
    probe.type === 'http' && probe.port === target.port
      ? `http://${t}:${target.port}${probe.path}`
      : undefined;
  const check =
    url !== undefined ? `wget -q -T 2 -O /dev/null ${url}` : `nc -z -w 2 ${t} ${target.port}`;
  const weakProbe = probe.type === 'log' || probe.type === 'process';
  const changed = d.condition === 'started' || weakProbe;
  const how = url !== undefined ? `GET ${url} answers` : `${t}:${target.port} accepts connections`;
  return {
    ...base,
    changed,
    note:
      d.condition === 'started'
        ? `${edge(s, d)}: init container wait-${t} waits until ${how}, which needs a ready pod: more than "started"`
        : weakProbe
          ? `${edge(s, d)}: init container wait-${t} waits until ${how}; ${d.name}'s ${probe.type} probe has no readiness equivalent, so "healthy" is only "running and listening"`
          : `${edge(s, d)}: init container wait-${t} waits until ${how} (the Service routes only to ready pods)`,
    container: {
      name: `wait-${t}`.slice(0, 63),
      image: WAIT_IMAGES.net,
      command: ['sh', '-c', `until ${check}; do echo waiting for ${t}; sleep 2; done`],
    },
  };
}

/**
 * A replicated service's definition, per instance: which services are replicated, what each
 * instance runs with (its own port, probes aimed at it) and which ports instances get.
 */
import type { ProbeSpec, ServiceSpec } from '../../../shared/model.js';
import { VigilError } from '../../../shared/errors.js';
import { allocatePorts } from '../balancer/index.js';
import { isPortInUse } from '../process/index.js';

/**
 * Replicated: more than one instance, a scale range, a balancer or a failover backup. A service
 * with one instance and none of these runs as before, with no proxy in its path.
 */
export function isReplicated(spec: ServiceSpec): boolean {
  return (
    (spec.replicas ?? 1) > 1 ||
    spec.scale !== undefined ||
    spec.balance !== undefined ||
    spec.failover !== undefined
  );
}

/** The probe aimed at the instance's port where it was aimed at the service's front port. */
function probeFor(probe: ProbeSpec, front: number | undefined, port: number | null): ProbeSpec {
  if (port === null || front === undefined) return probe;
  if (probe.type === 'http' || probe.type === 'tcp' || probe.type === 'default') {
    return probe.port === front ? { ...probe, port } : probe;
  }
  return probe;
}

/** The definition one instance runs with: its own port (its `PORT`) and probes aimed at it. */
export function instanceSpec(spec: ServiceSpec, port: number | null): ServiceSpec {
  const { port: front, ...rest } = spec;
  const probe = probeFor(spec.health.probe, front, port);
  const liveness = spec.liveness;
  return {
    ...rest,
    ...(port !== null ? { port } : {}),
    health: { ...spec.health, probe },
    ...(liveness !== undefined ? { liveness } : {}),
  };
}

/**
 * Ports for `n` new instances: the lowest free ones of the service's `ports:` list that are not
 * reserved, else free ports chosen by the kernel on 127.0.0.1.
 */
export async function pickPorts(
  service: string,
  n: number,
  list: readonly number[] | undefined,
  reserved: ReadonlySet<number>,
): Promise<number[]> {
  if (!list) return allocatePorts({ service, count: n, reserved });
  const out: number[] = [];
  const busy: number[] = [];
  for (const p of list) {
    if (out.length >= n) break;
    if (reserved.has(p)) continue;
    if (await isPortInUse(p)) {
      busy.push(p);
      continue;
    }
    out.push(p);
  }
  if (out.length < n) {
    throw new VigilError(
      'PORT_IN_USE',
      `${service}: ${n} more instance port${n === 1 ? ' is' : 's are'} needed and "ports" has only ${out.length} free` +
        (busy.length > 0 ? ` (in use by other processes: ${busy.slice(0, 5).join(', ')})` : ''),
      {
        field: `services.${service}.ports`,
        hint: 'widen the range, stop what holds those ports, or lower the replica count',
      },
    );
  }
  return out;
}

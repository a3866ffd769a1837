/**
 * The keys of a service that a cluster (or Compose) does not do the way Vigil does, each with a
 * sentence. Shared by both exports; `target` words the few that differ.
 */
import path from 'node:path';
import { DEFAULT_BACKOFF_MS, type ServiceSpec, type StackConfig } from '../../shared/model.js';
import type { NoteTopic } from './types.js';

export interface KeyNote {
  readonly topic: NoteTopic;
  readonly message: string;
}

export function serviceNotes(
  s: ServiceSpec,
  config: StackConfig,
  target: 'kubernetes' | 'compose' = 'kubernetes',
): KeyNote[] {
  const out: KeyNote[] = [];
  const key = (message: string): void => {
    out.push({ topic: 'key', message });
  };
  const k8s = target === 'kubernetes';
  if (k8s && !s.oneshot && s.restart.policy !== 'always')
    key(`restart.policy ${s.restart.policy} is not kept: a Deployment always restarts its pods`);
  const backoffChanged =
    s.restart.backoffMs.length !== DEFAULT_BACKOFF_MS.length ||
    s.restart.backoffMs.some((ms, i) => ms !== DEFAULT_BACKOFF_MS[i]);
  if (backoffChanged || s.restart.jitter > 0 || s.restart.circuitBreaker !== undefined)
    key(
      `restart backoff, jitter and circuit breaker are not kept: ${k8s ? "the kubelet's crash-loop backoff" : "Docker's restart delay"} applies`,
    );
  if (!s.oneshot && s.maxRestartAttempts !== config.settings.maxRestartAttempts)
    key(`restart.max_attempts ${s.maxRestartAttempts} is not kept: there is no quarantine`);
  if (s.recovery !== 'restart')
    key(`recovery ${s.recovery} is not kept: a failing container is restarted`);
  if (s.reset !== undefined) key('the reset command is not run before restarts');
  if (s.stop.signal !== 'SIGTERM')
    key(
      k8s
        ? `stop.signal ${s.stop.signal} is not kept: Kubernetes sends SIGTERM (set STOPSIGNAL in the image)`
        : `stop.signal ${s.stop.signal} -> stop_signal`,
    );
  if (s.cwd !== config.dir)
    key(
      `cwd ${path.relative(config.dir, s.cwd) || '.'} is not kept: the image sets the working directory the command runs in`,
    );
  if (s.phase !== undefined) key(`phase ${s.phase} is not kept: order comes from depends_on`);
  if (s.launch === 'serial') key('launch serial is not kept: pods start in parallel');
  if (s.limits.processes !== undefined)
    key(`limits.processes ${s.limits.processes} is not kept: the process limit is set per node`);
  if (s.oneshot && s.port !== undefined)
    key(`port ${s.port} of a oneshot gets no ${k8s ? 'Service' : 'published port'}`);
  if (s.liveness !== undefined && !k8s)
    key('liveness is not kept: Compose has one healthcheck, from health');
  replicaNotes(s, k8s, out);
  return out;
}

function replicaNotes(s: ServiceSpec, k8s: boolean, out: KeyNote[]): void {
  const note = (message: string): void => {
    out.push({ topic: 'replicas', message });
  };
  if (s.ports !== undefined)
    note(
      `ports ${s.ports[0]}-${s.ports[s.ports.length - 1]} are not used: every ${k8s ? 'pod' : 'replica'} listens on port ${s.port ?? '(none)'}`,
    );
  if ((s.replicas ?? 1) > 1 || s.scale !== undefined)
    note('VIGIL_REPLICA and VIGIL_INSTANCE are not set in the instances');
  if (s.balance !== undefined) {
    const b = s.balance;
    if (k8s) {
      if (b.strategy === 'ip_hash') note('balance ip_hash -> sessionAffinity: ClientIP');
      else
        note(
          `balance ${b.strategy} is not kept: the Service spreads connections its own way (kube-proxy)`,
        );
      if (b.mode === 'http')
        note(
          'balance mode http is not kept: a Service balances connections, not requests, and does not retry',
        );
    } else
      note(
        `balance ${b.strategy} (${b.mode}) is not kept: Compose's DNS round robin spreads connections`,
      );
  }
  if (s.failover !== undefined)
    note(
      `failover to ${s.failover.backup} is not kept: nothing sends traffic to a backup when no instance is ready`,
    );
  if (s.scale !== undefined && !k8s)
    note(
      `scale ${s.scale.min}..${s.scale.max} is not kept: Compose runs scale.min = ${s.scale.min} replicas`,
    );
  if (s.scale !== undefined && k8s && s.scale.metric !== 'cpu')
    note(
      `scale on ${s.scale.metric} needs a metrics adapter that serves it to the HorizontalPodAutoscaler`,
    );
  if (s.minReady !== undefined && !k8s) note(`min_ready ${s.minReady} is not kept`);
}

/** Stack-wide settings that a cluster or Compose does not act on. */
export function stackNotes(config: StackConfig): KeyNote[] {
  return config.settings.onCritical === 'shutdown'
    ? [
        {
          topic: 'key',
          message:
            'settings.on_critical shutdown is not kept: a failing critical service does not stop the others',
        },
      ]
    : [];
}

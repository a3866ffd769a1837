/**
 * Resource limits (reference: a resource manager with per-module limits): a pure judgement of one
 * resource sample against a service's `limits`. Memory over the limit is a failure (the service is
 * restarted with reason `memory limit`); more processes than allowed kills the tree; CPU above the
 * limit for a sustained window is only a recommendation (Vigil never SIGSTOPs a service).
 */
import type { LimitsSpec } from '../../../shared/model.js';
import { formatDuration } from '../../../shared/duration.js';

/** How long CPU must stay above its limit before Vigil recommends throttling. */
export const CPU_SUSTAINED_MS = 30_000;

export interface ResourceSample {
  readonly cpuPercent: number | null;
  readonly rssBytes: number;
  readonly processes: number;
}

export type LimitVerdict =
  | { readonly kind: 'ok'; readonly cpuOverSince: number | null }
  | { readonly kind: 'memory'; readonly message: string; readonly cpuOverSince: number | null }
  | { readonly kind: 'processes'; readonly message: string; readonly cpuOverSince: number | null }
  | { readonly kind: 'cpu'; readonly message: string; readonly cpuOverSince: number };

const mb = (bytes: number): number => Math.round(bytes / 1048576);

/** `cpuOverSince` is the monotonic time CPU went above the limit (carried between samples). */
export function judgeSample(
  limits: LimitsSpec,
  sample: ResourceSample,
  cpuOverSince: number | null,
  now: number,
): LimitVerdict {
  if (limits.memoryBytes !== undefined && sample.rssBytes > limits.memoryBytes) {
    return {
      kind: 'memory',
      message: `memory ${mb(sample.rssBytes)} MB over the limit of ${mb(limits.memoryBytes)} MB`,
      cpuOverSince,
    };
  }
  if (limits.processes !== undefined && sample.processes > limits.processes) {
    return {
      kind: 'processes',
      message: `${sample.processes} processes over the limit of ${limits.processes}`,
      cpuOverSince,
    };
  }
  if (limits.cpuPercent === undefined || sample.cpuPercent === null)
    return { kind: 'ok', cpuOverSince };
  if (sample.cpuPercent <= limits.cpuPercent) return { kind: 'ok', cpuOverSince: null };
  if (cpuOverSince === null) return { kind: 'ok', cpuOverSince: now };
  if (now - cpuOverSince < CPU_SUSTAINED_MS) return { kind: 'ok', cpuOverSince };
  return {
    kind: 'cpu',
    message: `CPU ${sample.cpuPercent.toFixed(0)}% above the limit of ${limits.cpuPercent}% for ${formatDuration(now - cpuOverSince)}: consider throttling this service`,
    cpuOverSince: now,
  };
}

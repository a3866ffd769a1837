/**
 * Automatic scaling: how many instances a service should run, as a pure function of the samples of
 * the last window, the bounds, the cooldown, the current count and the time of the last change.
 *
 * - Bounds first: a count outside [min, max] is brought inside at once (no cooldown, no samples).
 * - An empty window, or one whose samples span less than half of it, changes nothing: one spike
 *   at start-up is not a trend.
 * - Cooldown: no change within `cooldownMs` of the last one.
 * - Hysteresis: scale up when the window's mean is above the target by more than the tolerance
 *   (10 %); scale down only when the mean is below the target by more than the tolerance and no
 *   sample of the window exceeded the target. Between the two, nothing changes.
 * - How far: `cpu` and `connections` are per-instance loads that spread over instances, so the
 *   desired count is ceil(current × mean / target) (the proportional rule); scaling down keeps
 *   the same load under the lower edge of the band on fewer instances, so that the next window
 *   does not scale up again. `latency_p95` does
 *   not scale in proportion to the count: it moves one instance at a time.
 */

export type ScaleMetric = 'cpu' | 'connections' | 'latency_p95';

export interface ScalePolicy {
  readonly min: number;
  readonly max: number;
  readonly metric: ScaleMetric;
  /** cpu: percent of one core per instance; connections: active per instance; latency_p95: ms. */
  readonly target: number;
  readonly cooldownMs: number;
  readonly windowMs: number;
}

export interface ScaleSample {
  /** Monotonic ms. */
  readonly at: number;
  /** The metric's value at that time (averaged over the instances for cpu and connections). */
  readonly value: number;
}

export interface ScaleDecision {
  readonly replicas: number;
  /** Why, for the `scaling_executed` event and the healing report. */
  readonly reason: string;
  /** The window's mean, or null when the window had no samples. */
  readonly observed: number | null;
}

export const SCALE_TOLERANCE = 0.1;

const UNITS: Record<ScaleMetric, string> = {
  cpu: '%',
  connections: ' connections',
  latency_p95: ' ms',
};

function fmt(metric: ScaleMetric, v: number): string {
  return `${Math.round(v * 10) / 10}${UNITS[metric]}`;
}

export function decideScale(
  samples: readonly ScaleSample[],
  policy: ScalePolicy,
  current: number,
  lastChangeAt: number | null,
  now: number,
): ScaleDecision {
  const { min, max, metric, target } = policy;
  if (current < min)
    return { replicas: min, reason: `below the minimum of ${min}`, observed: null };
  if (current > max)
    return { replicas: max, reason: `above the maximum of ${max}`, observed: null };

  const inWindow = samples.filter((s) => s.at <= now && s.at >= now - policy.windowMs);
  if (inWindow.length === 0)
    return { replicas: current, reason: 'no samples in the window', observed: null };
  const mean = inWindow.reduce((a, s) => a + s.value, 0) / inWindow.length;
  const oldest = Math.min(...inWindow.map((s) => s.at));
  if (now - oldest < policy.windowMs / 2)
    return { replicas: current, reason: 'the window is not filled yet', observed: mean };
  if (lastChangeAt !== null && now - lastChangeAt < policy.cooldownMs) {
    const left = Math.ceil((policy.cooldownMs - (now - lastChangeAt)) / 1000);
    return { replicas: current, reason: `cooling down (${left} s left)`, observed: mean };
  }

  const peak = Math.max(...inWindow.map((s) => s.value));
  const m = fmt(metric, mean);
  const t = fmt(metric, target);
  if (mean > target * (1 + SCALE_TOLERANCE)) {
    const wanted = metric === 'latency_p95' ? current + 1 : Math.ceil((current * mean) / target);
    const replicas = Math.min(max, Math.max(current + 1, wanted));
    if (replicas === current)
      return {
        replicas,
        reason: `${metric} ${m} above target ${t}, at the maximum`,
        observed: mean,
      };
    return { replicas, reason: `${metric} ${m} above target ${t}`, observed: mean };
  }
  if (mean < target * (1 - SCALE_TOLERANCE) && peak <= target) {
    if (current === min)
      return {
        replicas: current,
        reason: `${metric} ${m} below target ${t}, at the minimum`,
        observed: mean,
      };
    // Fewer instances only if the same load on them stays under the lower edge of the band:
    // otherwise the next window would scale up again (flapping).
    const wanted =
      metric === 'latency_p95'
        ? current - 1
        : Math.ceil((current * mean) / (target * (1 - SCALE_TOLERANCE)));
    const replicas = Math.max(min, Math.min(current, wanted));
    if (replicas === current)
      return {
        replicas,
        reason: `${metric} ${m} below target ${t}, but fewer instances would exceed it`,
        observed: mean,
      };
    return { replicas, reason: `${metric} ${m} below target ${t}`, observed: mean };
  }
  return { replicas: current, reason: `${metric} ${m} within the target ${t}`, observed: mean };
}

/** Health probes, the rules that turn probe results into a health state, and the monitor. */
export {
  createProbeRunner,
  runProbe,
  DEFAULT_HEALTH_PATHS,
  TCP_FALLBACK_DETAIL,
  type ProbeEnv,
  type ProbeRunner,
  type ProbeRunOptions,
} from './probes.js';
export { initialCounters, nextHealth, type HealthCounters } from './tracker.js';
export { HealthMonitor, type HealthMonitorOptions } from './monitor.js';
export { createLogMatcher, stripAnsi, type LogMatcher } from './log-matcher.js';

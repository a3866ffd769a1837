/** The healing engine's decisions: restart ladder, backoff, circuit breaker, quarantine. Pure. */
export { policyFor, type HealingPolicy } from './policy.js';
export {
  rungFor,
  modeFor,
  baseDelay,
  backoffDelay,
  type RestartRung,
  type RestartMode,
} from './ladder.js';
export { closedBreaker, type BreakerModel, type BreakerConfig } from './breaker.js';
export type { HealingNote } from './notes.js';
export {
  initialHealingState,
  onFailure,
  onHealthy,
  onNotHealthy,
  onTick,
  onTrialStarted,
  nextStableResetAt,
  manualRestart,
  release,
  quarantine,
  breakerView,
  type HealingState,
  type Failure,
  type Decision,
  type FailureOutcome,
  type HealingStep,
  type ManualRestartOutcome,
} from './engine.js';
export { describeDecision } from './describe.js';

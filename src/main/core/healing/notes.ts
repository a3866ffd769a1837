import type { HealingAction } from '../../../shared/events.js';

/** A side effect of a healing transition worth recording as a healing event. */
export interface HealingNote {
  readonly action: HealingAction;
  readonly message: string;
}

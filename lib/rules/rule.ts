import type { RuleName } from '../config.js';
import type { Deps } from '../deps.js';
import type { Change } from '../event.js';
import type { Plan, Resource } from '../plan.js';

/** What an event is about, read from it; or a conclusion the event alone settles (the root user's key). */
export type Targeted<T> =
  | { readonly resource: Resource; readonly target: T }
  | { readonly resource: Resource; readonly plan: Plan };

/**
 * One remediation. `target` reads the event (throwing `InvalidEventError` when it lacks what is needed);
 * `evaluate` re-reads the live IAM state and decides with a pure function from `lib/decisions`.
 */
export interface Rule<T> {
  readonly name: RuleName;
  /** CloudTrail `eventName`s this rule's EventBridge rules match; anything else is rejected. */
  readonly eventNames: readonly string[];
  target(change: Change): Targeted<T>;
  /** Returns `undefined` when the target is gone (still missing after the eventual-consistency window). */
  evaluate(deps: Deps, target: T, change: Change): Promise<Plan | undefined>;
}

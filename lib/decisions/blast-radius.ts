import type { RuleName } from '../config.js';

/**
 * The blast-radius cap of the sweep (`MaxActionsPerRun`): how many *standing* changes one run may make before
 * the rest wait for a person. Pure: which findings are standing and which undo a fresh grant, and, as a run
 * goes, whether the next standing change may be made.
 *
 * Why only standing changes: a first `enforce` sweep after months in notify, or a backlog after an outage, can
 * otherwise deactivate hundreds of keys at once, and what depends on them breaks with no one warned. Undoing a
 * *fresh* grant is never capped: a cap there would let an attacker flood first and grant after. The event
 * functions are never capped for the same reason; the sweep caps only what it finds standing.
 */

/** A grant made this recently is fresh: its undoing is never capped. */
export const FRESH_HOURS = 24;

/** `standing`: a key that aged, or a finding older than a day or that cannot be dated; `fresh`: a grant made in the last day. */
export type ChangeAge = 'standing' | 'fresh';

/** What the sweep knows of a finding's age: its rule, and when the entity it is on was created. */
export interface FindingFacts {
  readonly rule: RuleName;
  /** The creation time of the user (inline policy) or role (AdministratorAccess); undefined when not known. */
  readonly entityCreatedAt: Date | undefined;
}

/**
 * Whether undoing a sweep finding is a standing change or undoes a fresh grant, as of `now`.
 *
 * - An old access key is standing whatever its user: it aged into an offence, nobody granted it today.
 * - An inline policy or an attached AdministratorAccess carries no date in what the sweep reads (IAM records
 *   when an entity was created, not when a policy was put or attached). When the user or role itself was
 *   created less than `FRESH_HOURS` ago, the grant cannot be older: fresh. Otherwise the sweep cannot date it,
 *   and it is counted standing: the event functions, which are never capped, undo grants as they happen; the
 *   sweep is the safety net for what they missed.
 */
export function changeAge(finding: FindingFacts, now: Date): ChangeAge {
  if (finding.rule === 'access-keys') return 'standing';
  const created = finding.entityCreatedAt;
  if (created === undefined || Number.isNaN(created.getTime())) return 'standing';
  return now.getTime() - created.getTime() < FRESH_HOURS * 3_600_000 ? 'fresh' : 'standing';
}

/** Where a run's budget of standing changes stands. */
export interface CapState {
  /** `MaxActionsPerRun`; undefined when a person confirmed the run (`sweep --confirm`): no cap. */
  readonly limit: number | undefined;
  /** Standing changes made by the run so far (earlier attempts of the same run included). */
  readonly made: number;
  /** Standing changes started and not yet settled: each may or may not end up made. */
  readonly inFlight: number;
}

/**
 * `act`: make the next standing change (it takes a place in the budget); `wait`: the budget is full only if the
 * changes in flight are all made, so wait for them to settle and ask again (one that fails, or that a guard turns
 * into a skip, frees its place); `capped`: the run made `limit` standing changes, this one waits for a person.
 */
export type CapVerdict = 'act' | 'wait' | 'capped';

/** Whether the next standing change of a run may be made now, within `MaxActionsPerRun`. */
export function decideCap(state: CapState): CapVerdict {
  if (state.limit === undefined) return 'act';
  if (state.made + state.inFlight < state.limit) return 'act';
  return state.inFlight > 0 ? 'wait' : 'capped';
}

import type { RuleName } from '../config.js';
import type { Action } from '../plan.js';

/** A past audit entry about the resource, as far as the guards care. */
export type HistoryEntry =
  | {
      readonly kind: 'remediation';
      readonly id: string;
      readonly rule: RuleName;
      readonly status: string;
      readonly createdAt: string;
      /** What the remediation changed (see `actionTargets`). */
      readonly targets: readonly string[];
    }
  | {
      readonly kind: 'restore';
      readonly createdAt: string;
      readonly graceUntil: string;
      readonly restoredBy: string;
      /** The rule and targets whose remediation was undone; absent on restores recorded before they were kept. */
      readonly rule?: RuleName;
      readonly targets?: readonly string[];
    };

export interface GuardInput {
  readonly rule: RuleName;
  readonly now: Date;
  /** The resource's exemption tag, when exemptions are on and the resource carries the tag. */
  readonly exemptTag: { readonly key: string; readonly value: string } | undefined;
  /** Audit entries of the resource within the longest look-back window, any order. */
  readonly history: readonly HistoryEntry[];
  /** The remediation being decided: a redelivery must not count its own earlier record as a repeat. */
  readonly remediationId: string;
  /** What the action being decided would change (see `actionTargets`). */
  readonly targets: readonly string[];
  readonly repeatLimit: number;
  readonly repeatWindowHours: number;
}

/**
 * The last word before acting on a resource:
 * - `exempt`: it carries the opt-in exemption tag;
 * - `grace`: a person recently restored (`iam-warden restore`) what this action would change again: notify only,
 *   do not undo their restore. Scoped to the restored rule and targets: restoring a user's key does not open
 *   the user to new inline policies;
 * - `escalate`: this rule already remediated it `repeatLimit` times within the window: something keeps
 *   re-applying it, and fighting it forever helps nobody; escalate to people instead;
 * - `proceed`.
 */
export type Guard =
  | { readonly kind: 'proceed' }
  | { readonly kind: 'exempt'; readonly reason: string }
  | { readonly kind: 'grace'; readonly reason: string }
  | { readonly kind: 'escalate'; readonly reason: string };

/**
 * The things an action changes, named so that two remediations of the same thing compare equal: a repeat is the
 * same key deactivated again, the same policy detached or deleted again; a user's fourth distinct inline
 * policy is not a repeat of the first three.
 */
export function actionTargets(action: Action): string[] {
  switch (action.kind) {
    case 'deactivate-keys':
      return action.keys.map((key) => `access-key:${key.accessKeyId}`);
    case 'detach-policy':
      return [`attached-policy:${action.policyArn}`];
    case 'delete-inline-policy':
      return [`inline-policy:${action.policyName}`];
  }
}

export function guardAction(input: GuardInput): Guard {
  if (input.exemptTag !== undefined) {
    const { key, value } = input.exemptTag;
    return { kind: 'exempt', reason: `exempt by tag ${key}=${value}` };
  }
  const now = input.now.getTime();
  const grace = input.history
    .filter((entry) => entry.kind === 'restore')
    .filter((entry) => Date.parse(entry.graceUntil) > now)
    .filter(
      (entry) =>
        entry.rule === undefined ||
        entry.targets === undefined ||
        (entry.rule === input.rule && entry.targets.some((target) => input.targets.includes(target))),
    )
    .sort((a, b) => b.graceUntil.localeCompare(a.graceUntil))[0];
  if (grace !== undefined) {
    return {
      kind: 'grace',
      reason: `restored by ${grace.restoredBy} at ${grace.createdAt}; iam-warden only notifies about it until ${grace.graceUntil}`,
    };
  }
  const since = now - input.repeatWindowHours * 3_600_000;
  const repeats = input.history.filter(
    (entry) =>
      entry.kind === 'remediation' &&
      entry.id !== input.remediationId &&
      entry.rule === input.rule &&
      entry.targets.some((target) => input.targets.includes(target)) &&
      entry.status === 'applied' &&
      Date.parse(entry.createdAt) >= since,
  ).length;
  if (repeats >= input.repeatLimit) {
    return {
      kind: 'escalate',
      reason: `remediated ${repeats} times in the last ${input.repeatWindowHours} hours and changed back each time; iam-warden stops here: find what keeps re-applying it`,
    };
  }
  return { kind: 'proceed' };
}

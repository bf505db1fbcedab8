import { createHash } from 'node:crypto';
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
      /** Who made the change it remediated. */
      readonly principalArn?: string;
      /** Set on the remediation that sent its window's repeat-offender escalation. */
      readonly escalated?: boolean;
    }
  | {
      readonly kind: 'restore';
      readonly createdAt: string;
      readonly graceUntil: string;
      readonly restoredBy: string;
      /** The rule and targets whose remediation was undone; absent on restores recorded before they were kept. */
      readonly rule?: RuleName;
      readonly targets?: readonly string[];
      /** Exactly what was put back (see `actionStates`); absent on restores recorded before it was kept. */
      readonly states?: readonly string[];
    };

export interface GuardInput {
  readonly rule: RuleName;
  readonly now: Date;
  /** The resource's exemption tag, when exemptions are on and the resource carries the tag. */
  readonly exemptTag: { readonly key: string; readonly value: string } | undefined;
  /** The value that exempts; a tag with any other value does not. */
  readonly exemptTagValue: string;
  /** Audit entries of the resource within the longest look-back window, any order. */
  readonly history: readonly HistoryEntry[];
  /** The remediation being decided: a redelivery must not count its own earlier record as a repeat. */
  readonly remediationId: string;
  /** What the action being decided would change (see `actionTargets`). */
  readonly targets: readonly string[];
  /** Exactly what the action being decided would remove (see `actionStates`). */
  readonly states: readonly string[];
  /** Who made the change being decided. */
  readonly principalArn: string;
  readonly repeatLimit: number;
  readonly repeatWindowHours: number;
}

/** A resource changed back again and again: counted, so people hear of it once per window. */
export interface Repeat {
  /** Earlier applied remediations of the same thing by the same rule within the window. */
  readonly count: number;
  /** Who made the changes, this one included, most frequent first. */
  readonly principals: readonly string[];
  /** True for the first repeat past the limit in the window: it sends the window's one CRITICAL escalation. */
  readonly escalate: boolean;
  /** When this window's escalation was sent, if it was. */
  readonly escalatedAt?: string;
}

/**
 * The last word before acting on a resource:
 * - `exempt`: it carries the opt-in exemption tag with the exempting value;
 * - `grace`: a person recently restored (`iam-warden restore`) exactly what this action would remove again:
 *   notify only, do not undo their restore. Scoped to what was put back (keys, policy ARN, the inline policy's
 *   document): restoring a user's key does not open the user to new inline policies, and a restored inline
 *   policy's name does not cover another document put under it;
 * - `proceed`, with a `note` for people (a tag that does not exempt) and, past `repeatLimit` remediations of
 *   the same thing in the window, the `repeat` count. A repeat is remediated like any other change: a limit
 *   that stopped enforcement would hand an attacker who repeats a call what they want. Only the response
 *   changes: one CRITICAL escalation per window, then further repeats are counted, not re-notified.
 */
export type Guard =
  | { readonly kind: 'proceed'; readonly note?: string; readonly repeat?: Repeat }
  | { readonly kind: 'exempt'; readonly reason: string }
  | { readonly kind: 'grace'; readonly reason: string };

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
    case 'quarantine':
      return [`quarantine:${action.principalType}/${action.principalName}`];
  }
}

/**
 * Exactly what an action removes: its targets, and for an inline policy the document too (a SHA-256 digest),
 * so that a grace period covers what a person put back and nothing put under the same name since.
 */
export function actionStates(action: Action): string[] {
  if (action.kind !== 'delete-inline-policy') return actionTargets(action);
  const digest = createHash('sha256').update(action.policyDocument).digest('hex');
  return [`inline-policy:${action.policyName}:sha256:${digest}`];
}

function exemptOrNote(input: GuardInput): Guard | string | undefined {
  if (input.exemptTag === undefined) return undefined;
  const { key, value } = input.exemptTag;
  if (value === input.exemptTagValue) return { kind: 'exempt', reason: `exempt by tag ${key}=${value}` };
  return `tag ${key}=${value} does not exempt it: only the value "${input.exemptTagValue}" does`;
}

/** The restore whose grace period covers this action, if any: the latest to end. */
function graceOf(input: GuardInput, now: number): Extract<HistoryEntry, { kind: 'restore' }> | undefined {
  return input.history
    .filter((entry) => entry.kind === 'restore')
    .filter((entry) => Date.parse(entry.graceUntil) > now)
    .filter((entry) => {
      // Restores recorded before their rule and targets were kept cover the whole resource.
      if (entry.rule === undefined || entry.targets === undefined) return true;
      if (entry.rule !== input.rule) return false;
      const covered = entry.states ?? entry.targets;
      const wanted = entry.states === undefined ? input.targets : input.states;
      return wanted.some((item) => covered.includes(item));
    })
    .sort((a, b) => b.graceUntil.localeCompare(a.graceUntil))[0];
}

/** The repeat count, when this rule already remediated the same thing `repeatLimit` times in the window. */
function repeatOf(input: GuardInput, now: number): Repeat | undefined {
  const since = now - input.repeatWindowHours * 3_600_000;
  const earlier = input.history.filter(
    (entry): entry is Extract<HistoryEntry, { kind: 'remediation' }> =>
      entry.kind === 'remediation' &&
      entry.id !== input.remediationId &&
      entry.rule === input.rule &&
      entry.targets.some((target) => input.targets.includes(target)) &&
      Date.parse(entry.createdAt) >= since,
  );
  const applied = earlier.filter((entry) => entry.status === 'applied');
  if (applied.length < input.repeatLimit) return undefined;
  const tally = new Map<string, number>();
  for (const arn of [input.principalArn, ...applied.map((entry) => entry.principalArn ?? 'unknown')]) {
    tally.set(arn, (tally.get(arn) ?? 0) + 1);
  }
  const principals = [...tally].sort((a, b) => b[1] - a[1]).map(([arn]) => arn);
  const escalation = earlier
    .filter((entry) => entry.escalated === true)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  return {
    count: applied.length,
    principals,
    escalate: escalation === undefined,
    ...(escalation === undefined ? {} : { escalatedAt: escalation.createdAt }),
  };
}

export function guardAction(input: GuardInput): Guard {
  const exempt = exemptOrNote(input);
  if (typeof exempt === 'object') return exempt;
  const now = input.now.getTime();
  const grace = graceOf(input, now);
  if (grace !== undefined) {
    return {
      kind: 'grace',
      reason: `restored by ${grace.restoredBy} at ${grace.createdAt}; iam-warden only notifies about it until ${grace.graceUntil}`,
    };
  }
  const repeat = repeatOf(input, now);
  return {
    kind: 'proceed',
    ...(exempt === undefined ? {} : { note: exempt }),
    ...(repeat === undefined ? {} : { repeat }),
  };
}

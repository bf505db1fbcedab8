import type { Action } from '../plan.js';
import type { KeyFacts } from './access-keys.js';

/** What IAM holds now for the entity a remediation changed; `undefined` fields mean "does not exist". */
export type CurrentState =
  | { readonly kind: 'deactivate-keys'; readonly keys: readonly KeyFacts[] | undefined }
  | { readonly kind: 'detach-policy'; readonly attachedPolicyArns: readonly string[] | undefined }
  | { readonly kind: 'quarantine'; readonly attachedPolicyArns: readonly string[] | undefined }
  | {
      readonly kind: 'delete-inline-policy';
      readonly userExists: boolean;
      readonly document: string | undefined;
    };

export interface RestorableRecord {
  readonly id: string;
  readonly status: string;
  readonly restoredBy?: string | undefined;
  readonly action: Action;
}

export type RestorePlan =
  | { readonly kind: 'refuse'; readonly reason: string }
  /** `action` is what to put back (possibly less than the remediation removed); `already` what is back already. */
  | { readonly kind: 'restore'; readonly action: Action | undefined; readonly already: readonly string[] };

/** The account an ARN names (`arn:<partition>:<service>::<account>:...`), or undefined when it names none. */
export function accountOfArn(arn: string): string | undefined {
  return /^arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):/.exec(arn)?.[1];
}

/**
 * Why a remediation must not be restored with the caller's credentials, or undefined when it may: its record
 * is filed under another account than the caller's (a central audit table, or the wrong profile), so restoring
 * would read and write IAM of an account the remediation never touched. A record naming no account is refused
 * too: which account it belongs to cannot be shown.
 */
export function refuseOtherAccount(
  record: { readonly id: string; readonly resourceArn: string },
  callerAccount: string,
): string | undefined {
  const account = accountOfArn(record.resourceArn);
  if (account === callerAccount) return undefined;
  if (account === undefined) {
    return `${record.id} names no account (${record.resourceArn}); it cannot be shown to be account ${callerAccount}'s, where these credentials act`;
  }
  return `${record.id} is a remediation in account ${account}, and these credentials act in account ${callerAccount}: restoring would change the wrong account. Run the restore with credentials for account ${account}`;
}

/**
 * Decide how to put back what a remediation removed, or why not. Refuses when nothing was changed, when it
 * was restored already, when the entity is gone, and when putting it back would overwrite something newer
 * (an inline policy of the same name with another document). Parts already back are left alone.
 */
export function decideRestore(record: RestorableRecord, current: CurrentState): RestorePlan {
  if (record.restoredBy !== undefined) {
    return { kind: 'refuse', reason: `${record.id} was restored already (${record.restoredBy})` };
  }
  if (record.status === 'pending') {
    // Not "changed nothing": a pending record's IAM write may have happened and its status update not (a
    // timeout between the two); the pipeline's retries settle it.
    return {
      kind: 'refuse',
      reason: `${record.id} has not finished (status pending): iam-warden may still be applying or retrying it; restore it once it is applied`,
    };
  }
  if (record.status !== 'applied') {
    return {
      kind: 'refuse',
      reason: `${record.id} changed nothing (status ${record.status}); there is nothing to restore`,
    };
  }
  const { action } = record;
  if (action.kind === 'deactivate-keys' && current.kind === 'deactivate-keys') {
    if (current.keys === undefined)
      return { kind: 'refuse', reason: `user ${action.userName} no longer exists` };
    const byId = new Map(current.keys.map((key) => [key.accessKeyId, key]));
    const missing = action.keys.filter((key) => !byId.has(key.accessKeyId));
    if (missing.length > 0) {
      const ids = missing.map((key) => key.accessKeyId).join(', ');
      return {
        kind: 'refuse',
        reason: `access key ${ids} of user ${action.userName} was deleted; it cannot be reactivated`,
      };
    }
    // Stryker disable next-line OptionalChaining: every key is in byId here (missing keys were refused above); `?.` is for the type checker
    const toActivate = action.keys.filter((key) => byId.get(key.accessKeyId)?.status !== 'Active');
    const already = action.keys
      .filter((key) => !toActivate.includes(key))
      .map((key) => `${key.accessKeyId} is Active already`);
    return {
      kind: 'restore',
      action: toActivate.length > 0 ? { ...action, keys: toActivate } : undefined,
      already,
    };
  }
  if (action.kind === 'detach-policy' && current.kind === 'detach-policy') {
    if (current.attachedPolicyArns === undefined)
      return { kind: 'refuse', reason: `role ${action.roleName} no longer exists` };
    return current.attachedPolicyArns.includes(action.policyArn)
      ? { kind: 'restore', action: undefined, already: [`${action.policyArn} is attached already`] }
      : { kind: 'restore', action, already: [] };
  }
  if (action.kind === 'quarantine' && current.kind === 'quarantine') {
    const principal = `${action.principalType} ${action.principalName}`;
    if (current.attachedPolicyArns === undefined)
      return { kind: 'refuse', reason: `${principal} no longer exists` };
    return current.attachedPolicyArns.includes(action.policyArn)
      ? { kind: 'restore', action, already: [] }
      : { kind: 'restore', action: undefined, already: [`${principal} is no longer quarantined`] };
  }
  if (action.kind === 'delete-inline-policy' && current.kind === 'delete-inline-policy') {
    if (!current.userExists) return { kind: 'refuse', reason: `user ${action.userName} no longer exists` };
    if (current.document === undefined) return { kind: 'restore', action, already: [] };
    return current.document === action.policyDocument
      ? {
          kind: 'restore',
          action: undefined,
          already: [`inline policy ${action.policyName} is back already, identical`],
        }
      : {
          kind: 'refuse',
          reason: `user ${action.userName} has an inline policy ${action.policyName} again, with a different document; restoring would overwrite it`,
        };
  }
  return { kind: 'refuse', reason: `the current state read does not match a ${action.kind} remediation` };
}

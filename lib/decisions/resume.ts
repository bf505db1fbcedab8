import type { Action } from '../plan.js';

/**
 * What a retry may still do when an earlier attempt saved the before-state but did not finish: at most what
 * that record saved, since only that can be restored. Between the attempts IAM may have changed (a key
 * reactivated, the inline policy replaced by another document); such a change has its own CloudTrail event,
 * which saves and decides it. Returns the part of `planned` the record covers (the saved keys that are still
 * active, the same policy, the same document), or `undefined` when none of it is left.
 */
export function withinRecorded(recorded: Action, planned: Action): Action | undefined {
  switch (planned.kind) {
    case 'deactivate-keys': {
      if (recorded.kind !== planned.kind || recorded.userName !== planned.userName) return undefined;
      const saved = new Set(recorded.keys.map((key) => key.accessKeyId));
      const keys = planned.keys.filter((key) => saved.has(key.accessKeyId));
      return keys.length === 0 ? undefined : { ...planned, keys };
    }
    case 'detach-policy':
      return recorded.kind === planned.kind &&
        recorded.roleName === planned.roleName &&
        recorded.policyArn === planned.policyArn
        ? planned
        : undefined;
    case 'quarantine':
      return recorded.kind === planned.kind &&
        recorded.principalType === planned.principalType &&
        recorded.principalName === planned.principalName &&
        recorded.policyArn === planned.policyArn
        ? planned
        : undefined;
    case 'delete-inline-policy':
      return recorded.kind === planned.kind &&
        recorded.userName === planned.userName &&
        recorded.policyName === planned.policyName &&
        recorded.policyDocument === planned.policyDocument
        ? planned
        : undefined;
  }
}

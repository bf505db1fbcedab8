import { describe, expect, it } from 'vitest';
import { type CurrentState, decideRestore } from '../../../lib/decisions/restore.js';
import type { Action } from '../../../lib/plan.js';

// Edges of decideRestore that mutation testing (docs/mutation-testing.md) found untested: every pairing of a
// remediation with a state read of another kind.

const ACTIONS: Action[] = [
  {
    kind: 'deactivate-keys',
    userName: 'alice',
    keys: [{ accessKeyId: 'AKIA1', createDate: 'x', ageDays: 100 }],
  },
  { kind: 'detach-policy', roleName: 'deploy', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
  { kind: 'delete-inline-policy', userName: 'alice', policyName: 'S3All', policyDocument: '{}' },
];
const STATES: CurrentState[] = [
  { kind: 'deactivate-keys', keys: undefined },
  { kind: 'detach-policy', attachedPolicyArns: undefined },
  { kind: 'delete-inline-policy', userExists: false, document: undefined },
];

describe('decideRestore with a state read of another kind', () => {
  for (const action of ACTIONS) {
    for (const current of STATES.filter((state) => state.kind !== action.kind)) {
      it(`refuses a ${action.kind} remediation with a ${current.kind} state`, () => {
        const plan = decideRestore({ id: 'rem-1', status: 'applied', action }, current);

        expect(plan).toEqual({
          kind: 'refuse',
          reason: `the current state read does not match a ${action.kind} remediation`,
        });
      });
    }
  }
});

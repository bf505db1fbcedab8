import { describe, expect, it } from 'vitest';
import { withinRecorded } from '../../../lib/decisions/resume.js';
import type { Action } from '../../../lib/plan.js';

// Edges of withinRecorded that mutation testing (docs/mutation-testing.md) found untested: a record of another
// kind about the same user, and each field of an inline policy on its own.

const KEYS: Action = {
  kind: 'deactivate-keys',
  userName: 'alice',
  keys: [{ accessKeyId: 'AKIA1', createDate: '2025-01-01T00:00:00Z', ageDays: 151 }],
};
const INLINE: Action = {
  kind: 'delete-inline-policy',
  userName: 'alice',
  policyName: 'Reports',
  policyDocument: '{}',
};

describe('withinRecorded: more edges', () => {
  it("does not deactivate a user's keys on the strength of a record about one of their inline policies", () => {
    expect(withinRecorded(INLINE, KEYS)).toBeUndefined();
  });

  it('deletes an inline policy only of the same user and of the same name', () => {
    expect(withinRecorded(INLINE, { ...INLINE, userName: 'bob' })).toBeUndefined();
    expect(withinRecorded(INLINE, { ...INLINE, policyName: 'Other' })).toBeUndefined();
    expect(withinRecorded(INLINE, { ...INLINE })).toEqual(INLINE);
  });
});

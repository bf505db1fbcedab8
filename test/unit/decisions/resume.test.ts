import { describe, expect, it } from 'vitest';
import { withinRecorded } from '../../../lib/decisions/resume.js';
import type { Action, StaleKey } from '../../../lib/plan.js';

function key(accessKeyId: string): StaleKey {
  return { accessKeyId, createDate: '2025-01-01T00:00:00Z', ageDays: 151 };
}

const keys = (...ids: string[]): Action => ({
  kind: 'deactivate-keys',
  userName: 'alice',
  keys: ids.map(key),
});
const DETACH: Action = {
  kind: 'detach-policy',
  roleName: 'app',
  policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
};
const inline = (policyDocument: string): Action => ({
  kind: 'delete-inline-policy',
  userName: 'alice',
  policyName: 'Reports',
  policyDocument,
});

describe('withinRecorded', () => {
  it('keeps the keys the record saved that are still to deactivate', () => {
    expect(withinRecorded(keys('AKIA1', 'AKIA2'), keys('AKIA2'))).toEqual(keys('AKIA2'));
    expect(withinRecorded(keys('AKIA1', 'AKIA2'), keys('AKIA1', 'AKIA2'))).toEqual(keys('AKIA1', 'AKIA2'));
  });

  it('leaves out a key reactivated since the record was saved: the record could not restore it', () => {
    expect(withinRecorded(keys('AKIA1'), keys('AKIA1', 'AKIA3'))).toEqual(keys('AKIA1'));
    expect(withinRecorded(keys('AKIA1'), keys('AKIA3'))).toBeUndefined();
  });

  it("does not act on another user's keys", () => {
    const bob: Action = { kind: 'deactivate-keys', userName: 'bob', keys: [key('AKIA1')] };
    expect(withinRecorded(keys('AKIA1'), bob)).toBeUndefined();
  });

  it('detaches the policy the record saved, and only that', () => {
    expect(withinRecorded(DETACH, DETACH)).toEqual(DETACH);
    expect(withinRecorded(DETACH, { ...DETACH, roleName: 'other' })).toBeUndefined();
    expect(
      withinRecorded(DETACH, { ...DETACH, policyArn: 'arn:aws-us-gov:iam::aws:policy/AdministratorAccess' }),
    ).toBeUndefined();
  });

  it('deletes an inline policy only while it holds the document the record saved', () => {
    expect(withinRecorded(inline('{"v":1}'), inline('{"v":1}'))).toEqual(inline('{"v":1}'));
    expect(withinRecorded(inline('{"v":1}'), inline('{"v":2}'))).toBeUndefined();
  });

  it('does nothing when the record saved another kind of action', () => {
    expect(withinRecorded(DETACH, keys('AKIA1'))).toBeUndefined();
    expect(withinRecorded(keys('AKIA1'), inline('{}'))).toBeUndefined();
  });
});

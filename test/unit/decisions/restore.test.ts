import { describe, expect, it } from 'vitest';
import type { KeyFacts } from '../../../lib/decisions/access-keys.js';
import {
  accountOfArn,
  type CurrentState,
  decideRestore,
  type RestorableRecord,
  refuseOtherAccount,
} from '../../../lib/decisions/restore.js';
import type { Action, StaleKey } from '../../../lib/plan.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const DOCUMENT =
  '{\n\t"Version": "2012-10-17",\n\t"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]\n}';

const KEY_ONE: StaleKey = { accessKeyId: 'AKIAONE', createDate: '2024-01-01T00:00:00.000Z', ageDays: 517 };
const KEY_TWO: StaleKey = { accessKeyId: 'AKIATWO', createDate: '2024-02-01T00:00:00.000Z', ageDays: 486 };
const KEYS: Action = { kind: 'deactivate-keys', userName: 'alice', keys: [KEY_ONE, KEY_TWO] };
const DETACH: Action = { kind: 'detach-policy', roleName: 'deploy', policyArn: ADMIN };
const DELETE: Action = {
  kind: 'delete-inline-policy',
  userName: 'alice',
  policyName: 'S3All',
  policyDocument: DOCUMENT,
};

function record(action: Action, changes: Partial<RestorableRecord> = {}): RestorableRecord {
  return structuredClone({ id: 'rem-0123456789abcdef0123', status: 'applied', action, ...changes });
}

function key(accessKeyId: string, status: string): KeyFacts {
  return { accessKeyId, status, createDate: new Date('2024-01-01T00:00:00.000Z') };
}

describe('decideRestore, whatever the action', () => {
  it('refuses a remediation that was restored already, naming the restore', () => {
    const plan = decideRestore(record(DETACH, { restoredBy: 'rst-0123456789abcdef0123' }), {
      kind: 'detach-policy',
      attachedPolicyArns: [],
    });

    expect(plan).toEqual({
      kind: 'refuse',
      reason: 'rem-0123456789abcdef0123 was restored already (rst-0123456789abcdef0123)',
    });
  });

  it.each(['notified-only', 'failed'])(
    'refuses a remediation with status %s: it changed nothing',
    (status) => {
      const plan = decideRestore(record(DETACH, { status }), {
        kind: 'detach-policy',
        attachedPolicyArns: [],
      });

      expect(plan).toEqual({
        kind: 'refuse',
        reason: `rem-0123456789abcdef0123 changed nothing (status ${status}); there is nothing to restore`,
      });
    },
  );

  it('refuses a pending remediation without claiming it changed nothing', () => {
    const plan = decideRestore(record(DETACH, { status: 'pending' }), {
      kind: 'detach-policy',
      attachedPolicyArns: [],
    });

    expect(plan).toEqual({
      kind: 'refuse',
      reason:
        'rem-0123456789abcdef0123 has not finished (status pending): iam-warden may still be applying or retrying it; restore it once it is applied',
    });
  });

  it('refuses when the state read is of another kind than the action', () => {
    const plan = decideRestore(record(DETACH), { kind: 'deactivate-keys', keys: [] });

    expect(plan).toEqual({
      kind: 'refuse',
      reason: 'the current state read does not match a detach-policy remediation',
    });
  });
});

describe('decideRestore of deactivated access keys', () => {
  it('reactivates every key that is still inactive', () => {
    const plan = decideRestore(record(KEYS), {
      kind: 'deactivate-keys',
      keys: [key('AKIAONE', 'Inactive'), key('AKIATWO', 'Inactive'), key('AKIANEW', 'Active')],
    });

    expect(plan).toEqual({ kind: 'restore', action: KEYS, already: [] });
  });

  it('reactivates only the keys still inactive and reports those active already', () => {
    const plan = decideRestore(record(KEYS), {
      kind: 'deactivate-keys',
      keys: [key('AKIAONE', 'Active'), key('AKIATWO', 'Inactive')],
    });

    expect(plan).toEqual({
      kind: 'restore',
      action: { ...KEYS, keys: [KEY_TWO] },
      already: ['AKIAONE is Active already'],
    });
  });

  it('has nothing to put back when every key is active already', () => {
    const plan = decideRestore(record(KEYS), {
      kind: 'deactivate-keys',
      keys: [key('AKIATWO', 'Active'), key('AKIAONE', 'Active')],
    });

    expect(plan).toEqual({
      kind: 'restore',
      action: undefined,
      already: ['AKIAONE is Active already', 'AKIATWO is Active already'],
    });
  });

  it('refuses when the user no longer exists', () => {
    const plan = decideRestore(record(KEYS), { kind: 'deactivate-keys', keys: undefined });

    expect(plan).toEqual({ kind: 'refuse', reason: 'user alice no longer exists' });
  });

  it('refuses, reactivating nothing, when one of the keys was deleted', () => {
    const plan = decideRestore(record(KEYS), {
      kind: 'deactivate-keys',
      keys: [key('AKIATWO', 'Inactive')],
    });

    expect(plan).toEqual({
      kind: 'refuse',
      reason: 'access key AKIAONE of user alice was deleted; it cannot be reactivated',
    });
  });

  it('names every deleted key', () => {
    const plan = decideRestore(record(KEYS), { kind: 'deactivate-keys', keys: [] });

    expect(plan).toEqual({
      kind: 'refuse',
      reason: 'access key AKIAONE, AKIATWO of user alice was deleted; it cannot be reactivated',
    });
  });
});

describe('decideRestore of a detached policy', () => {
  it('re-attaches the policy when it is not attached', () => {
    const plan = decideRestore(record(DETACH), {
      kind: 'detach-policy',
      attachedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    });

    expect(plan).toEqual({ kind: 'restore', action: DETACH, already: [] });
  });

  it('has nothing to put back when the policy is attached again', () => {
    const plan = decideRestore(record(DETACH), { kind: 'detach-policy', attachedPolicyArns: [ADMIN] });

    expect(plan).toEqual({
      kind: 'restore',
      action: undefined,
      already: [`${ADMIN} is attached already`],
    });
  });

  it('refuses when the role no longer exists', () => {
    const plan = decideRestore(record(DETACH), { kind: 'detach-policy', attachedPolicyArns: undefined });

    expect(plan).toEqual({ kind: 'refuse', reason: 'role deploy no longer exists' });
  });
});

describe('decideRestore of a deleted inline policy', () => {
  it('re-puts the saved document when the user has no policy of that name', () => {
    const plan = decideRestore(record(DELETE), {
      kind: 'delete-inline-policy',
      userExists: true,
      document: undefined,
    });

    expect(plan).toEqual({ kind: 'restore', action: DELETE, already: [] });
  });

  it('has nothing to put back when the identical document is back', () => {
    const plan = decideRestore(record(DELETE), {
      kind: 'delete-inline-policy',
      userExists: true,
      document: DOCUMENT,
    });

    expect(plan).toEqual({
      kind: 'restore',
      action: undefined,
      already: ['inline policy S3All is back already, identical'],
    });
  });

  it('refuses to overwrite a policy of the same name with another document', () => {
    const plan = decideRestore(record(DELETE), {
      kind: 'delete-inline-policy',
      userExists: true,
      document: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}',
    });

    expect(plan).toEqual({
      kind: 'refuse',
      reason:
        'user alice has an inline policy S3All again, with a different document; restoring would overwrite it',
    });
  });

  it('takes a document that differs only in white space for a different document', () => {
    const current: CurrentState = {
      kind: 'delete-inline-policy',
      userExists: true,
      document: JSON.stringify(JSON.parse(DOCUMENT)),
    };

    expect(decideRestore(record(DELETE), current).kind).toBe('refuse');
  });

  it('refuses when the user no longer exists', () => {
    const plan = decideRestore(record(DELETE), {
      kind: 'delete-inline-policy',
      userExists: false,
      document: undefined,
    });

    expect(plan).toEqual({ kind: 'refuse', reason: 'user alice no longer exists' });
  });
});

describe('decideRestore of a quarantine', () => {
  const QUARANTINE: Action = {
    kind: 'quarantine',
    principalType: 'user',
    principalName: 'mallory',
    policyArn: 'arn:aws:iam::123456789012:policy/iam-warden-quarantine',
  };

  it('detaches the deny-all policy while it is attached', () => {
    const current: CurrentState = { kind: 'quarantine', attachedPolicyArns: [ADMIN, QUARANTINE.policyArn] };

    expect(decideRestore(record(QUARANTINE), current)).toEqual({
      kind: 'restore',
      action: QUARANTINE,
      already: [],
    });
  });

  it('has nothing to do when the policy was detached already', () => {
    expect(decideRestore(record(QUARANTINE), { kind: 'quarantine', attachedPolicyArns: [ADMIN] })).toEqual({
      kind: 'restore',
      action: undefined,
      already: ['user mallory is no longer quarantined'],
    });
  });

  it('refuses when the principal is gone', () => {
    expect(decideRestore(record(QUARANTINE), { kind: 'quarantine', attachedPolicyArns: undefined })).toEqual({
      kind: 'refuse',
      reason: 'user mallory no longer exists',
    });
  });
});

describe('accountOfArn', () => {
  it.each([
    ['arn:aws:iam::123456789012:user/alice', '123456789012'],
    ['arn:aws-cn:iam::123456789012:role/deploy', '123456789012'],
    ['arn:aws-us-gov:iam::123456789012:root', '123456789012'],
    ['arn:aws:sts::210987654321:assumed-role/SecurityEngineer/jane', '210987654321'],
    ['arn:aws:iam::aws:policy/AdministratorAccess', undefined],
    ['arn:aws:iam::12345678901:user/short', undefined],
    ['jane', undefined],
  ])('reads %s as account %s', (arn, account) => {
    expect(accountOfArn(arn)).toBe(account);
  });
});

describe('refuseOtherAccount', () => {
  const remediation = { id: 'rem-0123456789abcdef0123', resourceArn: 'arn:aws:iam::123456789012:user/alice' };

  it("lets the caller's own account's remediation through", () => {
    expect(refuseOtherAccount(remediation, '123456789012')).toBeUndefined();
  });

  it('refuses another account, naming both and whose credentials to use', () => {
    expect(refuseOtherAccount(remediation, '210987654321')).toBe(
      'rem-0123456789abcdef0123 is a remediation in account 123456789012, and these credentials act in account 210987654321: restoring would change the wrong account. Run the restore with credentials for account 123456789012',
    );
  });

  it('refuses a record that names no account', () => {
    expect(refuseOtherAccount({ ...remediation, resourceArn: 'user/alice' }, '123456789012')).toBe(
      "rem-0123456789abcdef0123 names no account (user/alice); it cannot be shown to be account 123456789012's, where these credentials act",
    );
  });
});

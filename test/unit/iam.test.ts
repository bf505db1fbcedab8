import {
  AttachRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  ServiceFailureException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsCallError } from '../../lib/errors.js';
import {
  applyAction,
  describeRole,
  GONE,
  getUserPolicyDocument,
  isNoSuchEntity,
  listAccessKeys,
  readLive,
  readTag,
  revertAction,
} from '../../lib/iam.js';
import type { Action } from '../../lib/plan.js';
import { testDeps } from '../support/deps.js';

const iam = mockClient(IAMClient);

beforeEach(() => {
  iam.reset();
});

function noSuchEntity(): NoSuchEntityException {
  return new NoSuchEntityException({ message: 'The user with name alice cannot be found.', $metadata: {} });
}

const KEYS: Action = {
  kind: 'deactivate-keys',
  userName: 'alice',
  keys: [
    { accessKeyId: 'AKIAONE', createDate: '2024-01-01T00:00:00.000Z', ageDays: 517 },
    { accessKeyId: 'AKIATWO', createDate: '2024-02-01T00:00:00.000Z', ageDays: 486 },
  ],
};
const DETACH: Action = {
  kind: 'detach-policy',
  roleName: 'new-role',
  policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
};
const DOCUMENT =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';
const DELETE: Action = {
  kind: 'delete-inline-policy',
  userName: 'alice',
  policyName: 'ReadReports',
  policyDocument: DOCUMENT,
};

describe('isNoSuchEntity', () => {
  it('recognises the SDK v3 exception and the bare IAM error name', () => {
    expect(isNoSuchEntity(noSuchEntity())).toBe(true);
    expect(isNoSuchEntity(Object.assign(new Error('gone'), { name: 'NoSuchEntity' }))).toBe(true);
  });

  it('does not take other errors or non-errors for NoSuchEntity', () => {
    expect(isNoSuchEntity(new Error('NoSuchEntity'))).toBe(false);
    expect(isNoSuchEntity({ name: 'NoSuchEntityException' })).toBe(false);
    expect(isNoSuchEntity(undefined)).toBe(false);
  });
});

describe('readLive', () => {
  it('returns what the read returns, without sleeping', async () => {
    const deps = testDeps();

    await expect(readLive(deps, async () => 'value')).resolves.toBe('value');
    expect(deps.sleep).not.toHaveBeenCalled();
  });

  it('retries NoSuchEntity with growing waits until the entity appears', async () => {
    const deps = testDeps();
    let attempts = 0;
    const read = async () => {
      attempts += 1;
      if (attempts < 4) throw noSuchEntity();
      return 'found';
    };

    await expect(readLive(deps, read)).resolves.toBe('found');
    expect(attempts).toBe(4);
    expect(deps.sleep.mock.calls.map(([ms]) => ms)).toEqual([500, 1000, 2000]);
  });

  it('gives up with GONE once it has waited the whole budget', async () => {
    const deps = testDeps();
    let attempts = 0;

    const result = await readLive(deps, async () => {
      attempts += 1;
      throw noSuchEntity();
    });

    expect(result).toBe(GONE);
    const waits = deps.sleep.mock.calls.map(([ms]) => ms);
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBe(60_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(8000);
    expect(attempts).toBe(waits.length + 1);
  });

  it('honours a smaller budget, cutting the last wait short', async () => {
    const deps = testDeps({ env: { NOT_FOUND_RETRY_SECONDS: '2' } });

    await expect(
      readLive(deps, async () => {
        throw noSuchEntity();
      }),
    ).resolves.toBe(GONE);
    expect(deps.sleep.mock.calls.map(([ms]) => ms)).toEqual([500, 1000, 500]);
  });

  it('gives up at once with a budget of zero', async () => {
    const deps = testDeps({ env: { NOT_FOUND_RETRY_SECONDS: '0' } });

    await expect(
      readLive(deps, async () => {
        throw noSuchEntity();
      }),
    ).resolves.toBe(GONE);
    expect(deps.sleep).not.toHaveBeenCalled();
  });

  it('rethrows any other error at once', async () => {
    const deps = testDeps();
    const failure = new ServiceFailureException({ message: 'boom', $metadata: {} });

    await expect(
      readLive(deps, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(deps.sleep).not.toHaveBeenCalled();
  });
});

describe('listAccessKeys', () => {
  it("reads every page of the user's keys", async () => {
    const created = new Date('2024-01-01T00:00:00Z');
    iam
      .on(ListAccessKeysCommand, { UserName: 'alice', Marker: undefined })
      .resolves({
        AccessKeyMetadata: [
          { AccessKeyId: 'AKIAONE', Status: 'Active', CreateDate: created, UserName: 'alice' },
        ],
        IsTruncated: true,
        Marker: 'page-2',
      })
      .on(ListAccessKeysCommand, { UserName: 'alice', Marker: 'page-2' })
      .resolves({
        AccessKeyMetadata: [
          { AccessKeyId: 'AKIATWO', Status: 'Inactive', CreateDate: created, UserName: 'alice' },
        ],
        IsTruncated: false,
      });
    const { iam: client } = testDeps();

    await expect(listAccessKeys(client, 'alice')).resolves.toEqual([
      { accessKeyId: 'AKIAONE', status: 'Active', createDate: created },
      { accessKeyId: 'AKIATWO', status: 'Inactive', createDate: created },
    ]);
    expect(iam).toHaveReceivedCommandTimes(ListAccessKeysCommand, 2);
    expect(iam).toHaveReceivedNthCommandWith(ListAccessKeysCommand, 2, {
      UserName: 'alice',
      Marker: 'page-2',
    });
  });

  it('stops when a page is not truncated even if it carries a marker', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [], IsTruncated: false, Marker: 'stale' });

    await expect(listAccessKeys(testDeps().iam, 'alice')).resolves.toEqual([]);
    expect(iam).toHaveReceivedCommandTimes(ListAccessKeysCommand, 1);
  });

  it('propagates NoSuchEntity for readLive to retry', async () => {
    iam.on(ListAccessKeysCommand).rejects(noSuchEntity());

    await expect(listAccessKeys(testDeps().iam, 'alice')).rejects.toBeInstanceOf(NoSuchEntityException);
  });
});

describe('describeRole', () => {
  it('returns the role with every page of its attached policies, and no trust policy when IAM gives none', async () => {
    iam
      .on(GetRoleCommand, { RoleName: 'new-role' })
      .resolves({
        Role: {
          RoleName: 'new-role',
          Arn: 'arn:aws:iam::123456789012:role/team/new-role',
          Path: '/team/',
          RoleId: 'AROAEXAMPLE',
          CreateDate: new Date('2024-01-01T00:00:00Z'),
        },
      })
      .on(ListAttachedRolePoliciesCommand, { RoleName: 'new-role', Marker: undefined })
      .resolves({
        AttachedPolicies: [
          { PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess', PolicyName: 'ReadOnlyAccess' },
        ],
        IsTruncated: true,
        Marker: 'next',
      })
      .on(ListAttachedRolePoliciesCommand, { RoleName: 'new-role', Marker: 'next' })
      .resolves({
        AttachedPolicies: [
          { PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess', PolicyName: 'AdministratorAccess' },
        ],
        IsTruncated: false,
      });

    await expect(describeRole(testDeps().iam, 'new-role')).resolves.toEqual({
      name: 'new-role',
      arn: 'arn:aws:iam::123456789012:role/team/new-role',
      path: '/team/',
      attachedPolicyArns: [
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'arn:aws:iam::aws:policy/AdministratorAccess',
      ],
      trustPolicy: undefined,
    });
    expect(iam).toHaveReceivedCommandTimes(ListAttachedRolePoliciesCommand, 2);
  });

  it('URL-decodes the trust policy GetRole returns, and keeps one that is not encoded as it is', async () => {
    const trust =
      '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Condition":{"StringEquals":{"sts:ExternalId":"a b%"}}}]}';
    const roleOutput = (document: string) => ({
      Role: {
        RoleName: 'r',
        Arn: 'arn:aws:iam::123456789012:role/r',
        Path: '/',
        RoleId: 'AROAEXAMPLE',
        CreateDate: new Date('2024-01-01T00:00:00Z'),
        AssumeRolePolicyDocument: document,
      },
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false });

    iam.on(GetRoleCommand).resolves(roleOutput(encodeURIComponent(trust)));
    expect((await describeRole(testDeps().iam, 'r')).trustPolicy).toBe(trust);

    iam.on(GetRoleCommand).resolves(roleOutput(trust));
    expect((await describeRole(testDeps().iam, 'r')).trustPolicy).toBe(trust);
  });

  it('propagates NoSuchEntity from GetRole', async () => {
    iam.on(GetRoleCommand).rejects(noSuchEntity());

    await expect(describeRole(testDeps().iam, 'gone')).rejects.toBeInstanceOf(NoSuchEntityException);
    expect(iam).not.toHaveReceivedCommand(ListAttachedRolePoliciesCommand);
  });
});

describe('getUserPolicyDocument', () => {
  it('URL-decodes the document IAM returns', async () => {
    const document =
      '{\n\t"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a b/%"}]}';
    iam.on(GetUserPolicyCommand, { UserName: 'alice', PolicyName: 'ReadReports' }).resolves({
      UserName: 'alice',
      PolicyName: 'ReadReports',
      PolicyDocument: encodeURIComponent(document),
    });

    await expect(getUserPolicyDocument(testDeps().iam, 'alice', 'ReadReports')).resolves.toBe(document);
  });

  it('throws AwsCallError naming the policy and user when IAM returns no document', async () => {
    iam.on(GetUserPolicyCommand).resolves({ UserName: 'alice', PolicyName: 'ReadReports' } as never);

    await expect(getUserPolicyDocument(testDeps().iam, 'alice', 'ReadReports')).rejects.toThrow(AwsCallError);
    await expect(getUserPolicyDocument(testDeps().iam, 'alice', 'ReadReports')).rejects.toThrow(
      /ReadReports of user alice/,
    );
  });

  it('propagates NoSuchEntity', async () => {
    iam.on(GetUserPolicyCommand).rejects(noSuchEntity());

    await expect(getUserPolicyDocument(testDeps().iam, 'alice', 'x')).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
  });
});

describe('applyAction', () => {
  it('deactivates each key, and only that', async () => {
    await applyAction(testDeps().iam, KEYS);

    expect(iam.calls()).toHaveLength(2);
    expect(iam).toHaveReceivedNthCommandWith(UpdateAccessKeyCommand, 1, {
      UserName: 'alice',
      AccessKeyId: 'AKIAONE',
      Status: 'Inactive',
    });
    expect(iam).toHaveReceivedNthCommandWith(UpdateAccessKeyCommand, 2, {
      UserName: 'alice',
      AccessKeyId: 'AKIATWO',
      Status: 'Inactive',
    });
  });

  it('detaches the policy from the role, and only that', async () => {
    await applyAction(testDeps().iam, DETACH);

    expect(iam.calls()).toHaveLength(1);
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: 'new-role',
      PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
  });

  it('deletes the inline policy, and only that', async () => {
    await applyAction(testDeps().iam, DELETE);

    expect(iam.calls()).toHaveLength(1);
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, {
      UserName: 'alice',
      PolicyName: 'ReadReports',
    });
  });

  it('stops at the first key IAM refuses and propagates the error', async () => {
    const failure = new ServiceFailureException({ message: 'boom', $metadata: {} });
    iam.on(UpdateAccessKeyCommand).rejects(failure);

    await expect(applyAction(testDeps().iam, KEYS)).rejects.toBe(failure);
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
  });
});

describe('revertAction', () => {
  it('reactivates each key', async () => {
    await revertAction(testDeps().iam, KEYS);

    expect(iam.calls()).toHaveLength(2);
    expect(iam).toHaveReceivedNthCommandWith(UpdateAccessKeyCommand, 1, {
      UserName: 'alice',
      AccessKeyId: 'AKIAONE',
      Status: 'Active',
    });
    expect(iam).toHaveReceivedNthCommandWith(UpdateAccessKeyCommand, 2, {
      UserName: 'alice',
      AccessKeyId: 'AKIATWO',
      Status: 'Active',
    });
  });

  it('attaches the policy again', async () => {
    await revertAction(testDeps().iam, DETACH);

    expect(iam.calls()).toHaveLength(1);
    expect(iam).toHaveReceivedCommandWith(AttachRolePolicyCommand, {
      RoleName: 'new-role',
      PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
  });

  it('puts the inline policy back with the exact document', async () => {
    await revertAction(testDeps().iam, DELETE);

    expect(iam.calls()).toHaveLength(1);
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, {
      UserName: 'alice',
      PolicyName: 'ReadReports',
      PolicyDocument: DOCUMENT,
    });
  });
});

describe('readTag', () => {
  it("reads a role's tags page by page until it finds the key", async () => {
    iam
      .on(ListRoleTagsCommand, { RoleName: 'new-role', Marker: undefined })
      .resolves({ Tags: [{ Key: 'team', Value: 'a' }], IsTruncated: true, Marker: 'm2' })
      .on(ListRoleTagsCommand, { RoleName: 'new-role', Marker: 'm2' })
      .resolves({ Tags: [{ Key: 'iam-warden:exempt', Value: 'ticket-42' }], IsTruncated: false });

    await expect(
      readTag(testDeps().iam, { type: 'role', name: 'new-role' }, 'iam-warden:exempt'),
    ).resolves.toBe('ticket-42');
    expect(iam).not.toHaveReceivedCommand(ListUserTagsCommand);
  });

  it("reads a user's tags and returns undefined without the key", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: [{ Key: 'team', Value: 'a' }], IsTruncated: false });

    await expect(readTag(testDeps().iam, { type: 'user', name: 'alice' }, 'iam-warden:exempt')).resolves.toBe(
      undefined,
    );
    expect(iam).toHaveReceivedCommandWith(ListUserTagsCommand, { UserName: 'alice' });
  });

  it('propagates a failed lookup, so callers fail closed', async () => {
    iam.on(ListUserTagsCommand).rejects(new ServiceFailureException({ message: 'boom', $metadata: {} }));

    await expect(readTag(testDeps().iam, { type: 'user', name: 'alice' }, 'k')).rejects.toThrow('boom');
  });
});

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import { accessKeysRule } from '../../lib/rules/access-keys.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';
import { wrap } from '../../scripts/make-events.js';
import { ADMINISTRATOR_ACCESS, MOTO_ACCOUNT } from '../support/events.js';
import {
  clockDaysAhead,
  drainTaps,
  freshAccount,
  invoker,
  motoClients,
  readAudit,
} from '../support/integration.js';

/**
 * Real CloudTrail records (test/fixtures/cloudtrail) given a null, or a number, in every field no decision rests
 * on, through the real handlers on moto: each is remediated, not rejected (which would leave the change standing
 * until the sweep). See lib/event.ts for which fields are read leniently and why.
 */

type Json = Record<string, unknown>;

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const clients = motoClients();
let resources: LocalResources;

beforeAll(async () => {
  resources = await freshAccount();
});
beforeEach(() => drainTaps(resources));
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

/** The fixture as EventBridge delivers it, in moto's account, with a new eventID and informational nulls. */
function fixtureWithNulls(file: string): Json & { detail: Json } {
  const record = JSON.parse(
    readFileSync(new URL(`../fixtures/cloudtrail/${file}`, import.meta.url), 'utf8'),
  ) as Json;
  Object.assign(record, {
    eventID: randomUUID(),
    recipientAccountId: MOTO_ACCOUNT,
    eventVersion: null,
    awsRegion: null,
    sourceIPAddress: null,
    userAgent: 1.08,
    errorMessage: null,
  });
  Object.assign(record.userIdentity as Json, {
    userName: null,
    invokedBy: null,
    principalId: null,
    accountId: 123456789012,
    sessionContext: null,
  });
  const event = wrap(record, file);
  // After wrapping, which takes the envelope's time from it.
  (event.detail as Json).eventTime = null;
  event.resources = null;
  return event as Json & { detail: Json };
}

describe('a real record with informational nulls', () => {
  it('PutUserPolicy: the inline policy is saved and deleted', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'test-user' }));
    await clients.iam.send(
      new PutUserPolicyCommand({
        UserName: 'test-user',
        PolicyName: 'TestUserDenyAll',
        // What IAM holds now is what the rule reads and judges (a deny-only document would be left alone).
        PolicyDocument:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      }),
    );
    const { invoke, iam } = invoker(inlinePolicyRule, resources, clients);

    const decision = await invoke(fixtureWithNulls('PutUserPolicy__panther__1.json'));

    expect(decision).toMatchObject({ outcome: 'remediated', resource: { type: 'user', name: 'test-user' } });
    expect(iam.writes()).toEqual(['DeleteUserPolicy']);
    const { PolicyNames } = await clients.iam.send(new ListUserPoliciesCommand({ UserName: 'test-user' }));
    expect(PolicyNames).toEqual([]);
    const record = await readAudit(clients, resources, decision.remediationId);
    expect(record?.trigger).toMatchObject({
      principalArn: 'arn:aws:sts::123456789012:assumed-role/a-role/user.name',
    });
    expect(record?.trigger.sourceIp).toBeUndefined();
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.attributes.outcome)).toEqual(['remediated']);
  });

  it('AttachRolePolicy: AdministratorAccess is detached', async () => {
    await clients.iam.send(new CreateRoleCommand({ RoleName: 'new-role', AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'new-role', PolicyArn: ADMINISTRATOR_ACCESS }),
    );
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(fixtureWithNulls('AttachRolePolicy__panther__3.json'));

    expect(decision.outcome).toBe('remediated');
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
    const { AttachedPolicies } = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: 'new-role' }),
    );
    expect(AttachedPolicies).toEqual([]);
  });

  it("CreateAccessKey by an IAM user whose userName is null: the owner is requestParameters' user", async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'user1' }));
    const old = await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'user1' }));
    const created = await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'user1' }));
    const event = fixtureWithNulls('CreateAccessKey__panther__1.json');
    const accessKey = (event.detail.responseElements as Json).accessKey as Json;
    accessKey.accessKeyId = created.AccessKey?.AccessKeyId;
    // moto cannot backdate keys: judge them 200 days on, when both are old; the one just created is never touched.
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, { clock: clockDaysAhead(200) });

    const decision = await invoke(event);

    expect(decision).toMatchObject({ outcome: 'remediated', resource: { type: 'user', name: 'user1' } });
    expect(iam.writes()).toEqual(['UpdateAccessKey']);
    const { AccessKeyMetadata = [] } = await clients.iam.send(
      new ListAccessKeysCommand({ UserName: 'user1' }),
    );
    expect(Object.fromEntries(AccessKeyMetadata.map((key) => [key.AccessKeyId, key.Status]))).toEqual({
      [old.AccessKey?.AccessKeyId ?? '']: 'Inactive',
      [created.AccessKey?.AccessKeyId ?? '']: 'Active',
    });
  });

  it('CreateAccessKey by an IAM user for itself whose userName is null: rejected, nothing written', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'self-key' }));
    await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'self-key' }));
    const event = fixtureWithNulls('CreateAccessKey__panther__1.json');
    // The owner would be the caller, whose name the record does not give: no user to act on.
    event.detail.requestParameters = null;
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, { clock: clockDaysAhead(200) });

    const decision = await invoke(event);

    expect(decision.outcome).toBe('rejected');
    expect(iam.sent).toEqual([]);
  });
});

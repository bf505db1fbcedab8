import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachUserPolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  NoSuchEntityException,
  ServiceFailureException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AuditRecord, remediationId } from '../../lib/audit.js';
import { AuditWriteError } from '../../lib/errors.js';
import { handleEvent } from '../../lib/pipeline.js';
import { accessKeysRule } from '../../lib/rules/access-keys.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';
import type { Rule } from '../../lib/rules/rule.js';
import { AUDIT_TABLE, DAY_MS, NOW, OWN_ROLE_ARN, requestOf, sampleEvent, testDeps } from '../support/deps.js';
import { attributes, itemOutput, itemsOutput, putItems } from '../support/dynamo.js';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const OLD = new Date(NOW.getTime() - 200 * DAY_MS);
const FRESH = new Date(NOW.getTime() - 60_000);

/** Every call, in order, across the four clients: `iam:UpdateAccessKey`, `dynamo:PutItem`... */
let calls: string[] = [];

/** The part of a client mock these helpers use; every `mockClient(...)` result has it. */
interface ClientMock {
  reset(): unknown;
  onAnyCommand(): { callsFake(fn: (input: unknown) => unknown): unknown };
  on(command: never): { callsFake(fn: () => unknown): unknown };
}

const MOCKS = new Map<ClientMock, string>([
  [iam, 'iam'],
  [sns, 'sns'],
  [events, 'events'],
  [dynamo, 'dynamo'],
]);

beforeEach(() => {
  calls = [];
  for (const [mock, prefix] of MOCKS) {
    mock.reset();
    mock.onAnyCommand().callsFake((input) => {
      throw new Error(`${prefix}: unexpected command ${JSON.stringify(input)}`);
    });
  }
  // IAM writes succeed unless a test says otherwise; reads must be set up by each test.
  record(iam, UpdateAccessKeyCommand, {});
  record(iam, DetachRolePolicyCommand, {});
  record(iam, DeleteUserPolicyCommand, {});
  record(dynamo, PutItemCommand, {});
  record(dynamo, UpdateItemCommand, {});
  record(dynamo, QueryCommand, { Items: [] });
  record(dynamo, GetItemCommand, {});
  record(sns, PublishCommand, { MessageId: 'message-1' });
  record(events, PutEventsCommand, { FailedEntryCount: 0, Entries: [{ EventId: 'result-1' }] });
});

/** Answer a command with `output` (or throw `output` when it is an Error), logging the call. */
function record(mock: ClientMock, command: { readonly name: string }, output: unknown): void {
  const name = `${MOCKS.get(mock)}:${command.name.replace(/Command$/, '')}`;
  mock.on(command as never).callsFake(() => {
    calls.push(name);
    if (output instanceof Error) throw output;
    return output;
  });
}

/** IAM calls that change something: anything but Get* and List*. */
function iamWrites(): string[] {
  return calls.filter((call) => call.startsWith('iam:') && !/^iam:(Get|List)/.test(call));
}

function published(): PublishCommandInput[] {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

function resultDetails(): Record<string, unknown>[] {
  return events
    .commandCalls(PutEventsCommand)
    .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? '{}') as Record<string, unknown>);
}

function auditPut(): AuditRecord {
  const item = putItems<AuditRecord>(dynamo)[0];
  if (item === undefined) throw new Error('no audit record was put');
  return item;
}

function keys(userName: string, list: [string, Date, ('Active' | 'Inactive')?][]): void {
  record(iam, ListAccessKeysCommand, {
    AccessKeyMetadata: list.map(([id, date, status]) => ({
      UserName: userName,
      AccessKeyId: id,
      CreateDate: date,
      Status: status ?? 'Active',
    })),
    IsTruncated: false,
  });
}

/** A trust policy admitting one principal, URL-encoded as GetRole returns it. */
function trustOf(principal: unknown): string {
  return encodeURIComponent(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
    }),
  );
}

function role(
  name: string,
  path = '/',
  attached = [ADMIN],
  trust = trustOf({ Service: 'lambda.amazonaws.com' }),
): void {
  record(iam, GetRoleCommand, {
    Role: {
      RoleName: name,
      Path: path,
      Arn: `arn:aws:iam::123456789012:role${path}${name}`,
      RoleId: 'AROAEXAMPLE',
      CreateDate: OLD,
      AssumeRolePolicyDocument: trust,
    },
  });
  record(iam, ListAttachedRolePoliciesCommand, {
    AttachedPolicies: attached.map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').at(-1) })),
    IsTruncated: false,
  });
}

const ALLOW_DOCUMENT = () => String(requestOf(sampleEvent('put-user-policy-allow')).policyDocument);

describe('handleEvent: access keys', () => {
  it('deactivates the old active keys of the user, recording before changing and notifying after', async () => {
    keys('user1', [
      ['ABCDEFG', FRESH],
      ['AKIAOLDKEY', OLD],
      ['AKIAOLDOFF', OLD, 'Inactive'],
    ]);
    const deps = testDeps();

    const decision = await handleEvent(accessKeysRule, deps, sampleEvent('create-access-key'));

    const id = remediationId('access-keys', '12345');
    expect(decision).toMatchObject({
      rule: 'access-keys',
      mode: 'enforce',
      outcome: 'remediated',
      eventId: '12345',
      eventName: 'CreateAccessKey',
      resource: { type: 'user', name: 'user1' },
      remediationId: id,
      action: {
        kind: 'deactivate-keys',
        userName: 'user1',
        keys: [{ accessKeyId: 'AKIAOLDKEY', ageDays: 200 }],
      },
    });
    expect(iam).toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'user1' });
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      UserName: 'user1',
      AccessKeyId: 'AKIAOLDKEY',
      Status: 'Inactive',
    });
    expect(calls.filter((call) => call !== 'dynamo:Query')).toEqual([
      'dynamo:GetItem',
      'iam:ListAccessKeys',
      'dynamo:PutItem',
      'iam:UpdateAccessKey',
      'dynamo:UpdateItem',
      'sns:Publish',
      'events:PutEvents',
      'dynamo:UpdateItem',
    ]);
    expect(auditPut()).toMatchObject({
      kind: 'remediation',
      id,
      createdAt: NOW.toISOString(),
      rule: 'access-keys',
      mode: 'enforce',
      status: 'pending',
      resourceArn: 'arn:aws:iam::123456789:user/user1',
      action: decision.action,
      trigger: {
        eventId: '12345',
        eventName: 'CreateAccessKey',
        principalArn: 'arn:aws:iam::123456789:user/user1',
        sourceIp: 'cloudformation.amazonaws.com',
      },
    });
    expect(dynamo).toHaveReceivedNthCommandWith(UpdateItemCommand, 1, {
      TableName: AUDIT_TABLE,
      Key: attributes({ id }),
      ExpressionAttributeValues: attributes({ ':status': 'applied' }),
    });
    expect(dynamo).toHaveReceivedNthCommandWith(UpdateItemCommand, 2, {
      Key: attributes({ id }),
      ExpressionAttributeValues: attributes({ ':notifiedAt': NOW.toISOString() }),
    });
    expect(published()).toHaveLength(1);
    expect(published()[0]).toMatchObject({
      Subject: 'iam-warden: deactivated 1 old access key of user user1',
      MessageAttributes: { outcome: { DataType: 'String', StringValue: 'remediated' } },
    });
    expect(published()[0]?.Message).toContain(
      'aws iam update-access-key --user-name user1 --access-key-id AKIAOLDKEY --status Active',
    );
    expect(resultDetails()).toEqual([expect.objectContaining({ outcome: 'remediated', remediationId: id })]);
  });

  it('only tells what it would do in notify mode, with no IAM write', async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    const deps = testDeps({ env: { MODE_ACCESS_KEYS: 'notify' } });

    const decision = await handleEvent(accessKeysRule, deps, sampleEvent('create-access-key'));

    expect(decision).toMatchObject({ outcome: 'would-remediate', mode: 'notify' });
    expect(iamWrites()).toEqual([]);
    expect(auditPut()).toMatchObject({ mode: 'notify', status: 'notified-only' });
    expect(published()[0]).toMatchObject({
      Subject: 'iam-warden: would deactivate 1 old access key of user user1',
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: attributes({ ':notifiedAt': NOW.toISOString() }),
    });
  });

  it('leaves a user whose keys are all young, telling no one', async () => {
    keys('user1', [
      ['ABCDEFG', FRESH],
      ['AKIAYOUNG', new Date(NOW.getTime() - 10 * DAY_MS)],
    ]);

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision.outcome).toBe('ignored');
    expect(iamWrites()).toEqual([]);
    expect(published()).toEqual([]);
    expect(dynamo).not.toHaveReceivedCommand(PutItemCommand);
    expect(resultDetails()).toEqual([expect.objectContaining({ outcome: 'ignored' })]);
  });

  it.each([
    ['create-access-key-root-for-user', 'example-user'],
    ['create-access-key-root-cli', 'tracy_stone'],
  ])('judges the keys of the user the root user created a key for (%s)', async (name, userName) => {
    keys(userName, [['AKIAOLDKEY', OLD]]);

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent(name));

    expect(decision.outcome).toBe('remediated');
    expect(iam).toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: userName });
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: userName, Status: 'Inactive' });
  });

  it('judges the key an UpdateAccessKey reactivated like any other', async () => {
    keys('example-user', [['AKIAIOSFODNN7EXAMPLE', OLD]]);

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('update-access-key-active'));

    expect(decision).toMatchObject({ outcome: 'remediated', eventName: 'UpdateAccessKey' });
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      UserName: 'example-user',
      AccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      Status: 'Inactive',
    });
  });

  it.each(['create-access-key-root-own-key', 'create-access-key-root-console'])(
    'raises a critical alert when the root user creates its own key (%s), calling no IAM API',
    async (name) => {
      const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent(name));

      expect(decision).toMatchObject({ outcome: 'alert', resource: { type: 'root', name: 'root' } });
      expect(iam.calls()).toHaveLength(0);
      expect(dynamo).not.toHaveReceivedCommand(PutItemCommand);
      expect(published()).toHaveLength(1);
      expect(published()[0]?.Subject).toMatch(
        /^iam-warden: CRITICAL CreateAccessKey by the root user in account \d+$/,
      );
      expect(published()[0]?.MessageAttributes?.outcome?.StringValue).toBe('alert');
    },
  );

  it('raises a critical alert when the root user reactivates its own key', async () => {
    const event = sampleEvent('update-access-key-active');
    delete requestOf(event).userName;

    const decision = await handleEvent(accessKeysRule, testDeps(), event);

    expect(decision).toMatchObject({ outcome: 'alert', resource: { type: 'root' } });
    expect(decision.reason).toContain('reactivated access key AKIAIOSFODNN7EXAMPLE');
    expect(iam.calls()).toHaveLength(0);
  });

  it('ignores a key being set Inactive, calling no IAM API', async () => {
    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('update-access-key-inactive'));

    expect(decision).toMatchObject({ outcome: 'ignored' });
    expect(decision.reason).toContain('Inactive, not Active');
    expect(iam.calls()).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  it('ignores a failed call (errorCode), calling no IAM API', async () => {
    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key-failed'));

    expect(decision).toMatchObject({ outcome: 'ignored' });
    expect(decision.reason).toContain('LimitExceededException');
    expect(iam.calls()).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  it("ignores iam-warden's own kind of write (a key set Inactive: the loop guard), calling no IAM API", async () => {
    const event = sampleEvent('iam-warden-own-update-access-key');
    requestOf(event).status = 'Inactive';

    const decision = await handleEvent(accessKeysRule, testDeps(), event);

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: `iam-warden's own UpdateAccessKey by its role ${OWN_ROLE_ARN}`,
    });
    expect(iam.calls()).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  it("remediates a key activated by iam-warden's own role, which never grants, as a CRITICAL hijack", async () => {
    keys('example-user', [['AKIAIOSFODNN7EXAMPLE', OLD]]);

    const decision = await handleEvent(
      accessKeysRule,
      testDeps(),
      sampleEvent('iam-warden-own-update-access-key'),
    );

    expect(decision).toMatchObject({
      outcome: 'remediated',
      critical: { title: "UpdateAccessKey by iam-warden's own role" },
    });
    expect(iamWrites()).toEqual(['iam:UpdateAccessKey']);
    const [message] = published();
    expect(message?.Subject).toMatch(
      /^iam-warden: CRITICAL UpdateAccessKey by iam-warden's own role: deactivated/,
    );
    expect(message?.Message).toContain(`made by iam-warden's own role ${OWN_ROLE_ARN}`);
  });

  it("alerts on a grant by iam-warden's own role even when there is nothing left to undo", async () => {
    // AdministratorAccess attached by iam-warden's role, and detached again before the event is handled.
    role('new-role', '/', []);
    const event = sampleEvent('attach-role-policy-admin');
    event.detail.userIdentity = sampleEvent('iam-warden-own-update-access-key').detail.userIdentity;

    const decision = await handleEvent(adminPolicyRule, testDeps(), event);

    expect(decision).toMatchObject({ outcome: 'alert', critical: { title: expect.any(String) } });
    expect(iamWrites()).toEqual([]);
    expect(published()).toHaveLength(1);
  });

  it('acts on the same call when the role is not one of OWN_ROLE_ARNS', async () => {
    keys('example-user', [['AKIAIOSFODNN7EXAMPLE', OLD]]);

    const decision = await handleEvent(
      accessKeysRule,
      testDeps({ env: { OWN_ROLE_ARNS: undefined } }),
      sampleEvent('iam-warden-own-update-access-key'),
    );

    expect(decision.outcome).toBe('remediated');
  });

  it('ignores everything when the rule is off, calling no IAM API', async () => {
    const decision = await handleEvent(
      accessKeysRule,
      testDeps({ env: { MODE_ACCESS_KEYS: 'off' } }),
      sampleEvent('create-access-key'),
    );

    expect(decision).toMatchObject({ outcome: 'ignored', mode: 'off', reason: 'rule access-keys is off' });
    expect(iam.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  it('records the target as gone after retrying NoSuchEntity for the whole window', async () => {
    record(iam, ListAccessKeysCommand, new NoSuchEntityException({ message: 'no user1', $metadata: {} }));
    const deps = testDeps();

    const decision = await handleEvent(accessKeysRule, deps, sampleEvent('create-access-key'));

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: 'user user1 no longer exists (target gone)',
    });
    expect(deps.sleep.mock.calls.reduce((sum, [ms]) => sum + ms, 0)).toBe(60_000);
    expect(iam.commandCalls(ListAccessKeysCommand).length).toBeGreaterThan(1);
    expect(iamWrites()).toEqual([]);
    expect(dynamo).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('reports and rethrows when the live state cannot be read', async () => {
    const failure = new ServiceFailureException({ message: 'IAM is down', $metadata: {} });
    record(iam, ListAccessKeysCommand, failure);

    await expect(handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'))).rejects.toBe(
      failure,
    );
    expect(iamWrites()).toEqual([]);
    expect(published()[0]?.MessageAttributes?.outcome?.StringValue).toBe('failed');
    expect(resultDetails()).toEqual([expect.objectContaining({ outcome: 'failed' })]);
  });

  it('changes nothing when the before-state cannot be recorded, and reports and rethrows', async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    record(
      dynamo,
      PutItemCommand,
      new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }),
    );

    const result = handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    await expect(result).rejects.toBeInstanceOf(AuditWriteError);
    expect(iamWrites()).toEqual([]);
    expect(published()).toHaveLength(1);
    expect(published()[0]).toMatchObject({
      Subject: 'iam-warden: FAILED to deactivate 1 old access key of user user1',
      MessageAttributes: { outcome: { DataType: 'String', StringValue: 'failed' } },
    });
    expect(published()[0]?.Message).toContain('AuditWriteError');
    expect(resultDetails()).toEqual([expect.objectContaining({ outcome: 'failed' })]);
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('records, reports and rethrows an IAM write that fails', async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    const failure = new ServiceFailureException({ message: 'IAM refused', $metadata: {} });
    record(iam, UpdateAccessKeyCommand, failure);

    await expect(handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'))).rejects.toBe(
      failure,
    );
    expect(dynamo).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: attributes({
        ':status': 'failed',
        ':error': 'ServiceFailureException: IAM refused',
      }),
    });
    expect(published()).toHaveLength(1);
    expect(published()[0]).toMatchObject({
      Subject: 'iam-warden: FAILED to deactivate 1 old access key of user user1',
      MessageAttributes: { outcome: { StringValue: 'failed' } },
    });
    expect(resultDetails()).toEqual([
      expect.objectContaining({ outcome: 'failed', error: 'ServiceFailureException: IAM refused' }),
    ]);
  });

  it("notifies a failure once per event: Lambda's retries of it log and publish the result, not another message", async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    const failure = new ServiceFailureException({ message: 'IAM refused', $metadata: {} });
    record(iam, UpdateAccessKeyCommand, failure);
    const deps = testDeps({ env: { IDEMPOTENCY_TABLE: 'iam-warden-idempotency-test' } });
    const marks = () =>
      dynamo
        .commandCalls(PutItemCommand)
        .map((call) => call.args[0].input)
        .filter((input) => input.TableName === 'iam-warden-idempotency-test');

    await expect(handleEvent(accessKeysRule, deps, sampleEvent('create-access-key'))).rejects.toBe(failure);
    expect(published()).toHaveLength(1);
    expect(marks()).toEqual([
      expect.objectContaining({
        Item: expect.objectContaining(attributes({ id: 'iam-warden#failure-notified#access-keys#12345' })),
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    ]);

    record(dynamo, PutItemCommand, new ConditionalCheckFailedException({ message: 'marked', $metadata: {} }));
    record(dynamo, GetItemCommand, itemOutput(earlierRecord('failed')));
    await expect(handleEvent(accessKeysRule, deps, sampleEvent('create-access-key'))).rejects.toBe(failure);

    expect(published()).toHaveLength(1);
    expect(resultDetails()).toEqual([
      expect.objectContaining({ outcome: 'failed' }),
      expect.objectContaining({ outcome: 'failed' }),
    ]);
  });

  it('takes the failure-notified mark back when SNS refuses the message, so the next attempt sends it', async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    record(
      iam,
      UpdateAccessKeyCommand,
      new ServiceFailureException({ message: 'IAM refused', $metadata: {} }),
    );
    record(sns, PublishCommand, new Error('SNS down'));
    record(dynamo, DeleteItemCommand, {});
    const deps = testDeps({ env: { IDEMPOTENCY_TABLE: 'iam-warden-idempotency-test' } });

    await expect(handleEvent(accessKeysRule, deps, sampleEvent('create-access-key'))).rejects.toThrow(
      'SNS down',
    );

    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: 'iam-warden-idempotency-test',
      Key: attributes({ id: 'iam-warden#failure-notified#access-keys#12345' }),
    });
    expect(calls.indexOf('dynamo:DeleteItem')).toBeGreaterThan(calls.indexOf('sns:Publish'));
  });

  it('notifies a failure anyway when the mark cannot be written', async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    record(
      iam,
      UpdateAccessKeyCommand,
      new ServiceFailureException({ message: 'IAM refused', $metadata: {} }),
    );
    const deps = testDeps({ env: { IDEMPOTENCY_TABLE: 'iam-warden-idempotency-test' } });
    dynamo
      .on(PutItemCommand, { TableName: 'iam-warden-idempotency-test' })
      .rejects(new Error('DynamoDB down'));

    await expect(handleEvent(accessKeysRule, deps, sampleEvent('create-access-key'))).rejects.toThrow(
      'IAM refused',
    );

    expect(published()).toHaveLength(1);
  });

  it('does nothing twice for a duplicate delivery that was already notified', async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    record(dynamo, PutItemCommand, new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    record(
      dynamo,
      GetItemCommand,
      itemOutput({
        id: remediationId('access-keys', '12345'),
        status: 'applied',
        notifiedAt: '2025-06-01T11:59:00.000Z',
      }),
    );

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision).toMatchObject({ outcome: 'remediated', alreadyNotified: true });
    expect(iamWrites()).toEqual([]);
    expect(published()).toEqual([]);
    expect(resultDetails()).toEqual([
      expect.objectContaining({ outcome: 'remediated', alreadyNotified: true }),
    ]);
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  /** The record an earlier delivery of create-access-key left behind. */
  function earlierRecord(status: AuditRecord['status'], extra: Partial<AuditRecord> = {}): AuditRecord {
    return {
      kind: 'remediation',
      id: remediationId('access-keys', '12345'),
      createdAt: NOW.toISOString(),
      rule: 'access-keys',
      mode: 'enforce',
      status,
      resourceArn: 'arn:aws:iam::123456789:user/user1',
      resource: { type: 'user', name: 'user1' },
      action: {
        kind: 'deactivate-keys',
        userName: 'user1',
        keys: [{ accessKeyId: 'AKIAOLDKEY', createDate: OLD.toISOString(), ageDays: 200 }],
      },
      reason: 'active access key older than 90 days: AKIAOLDKEY (200 days)',
      trigger: {
        eventId: '12345',
        eventName: 'CreateAccessKey',
        eventTime: '2022-09-27 17:09:18',
        principalArn: 'x',
      },
      ...extra,
    };
  }

  it('resumes a redelivery whose change was applied but not notified: notifies without reading or acting again', async () => {
    record(dynamo, GetItemCommand, itemOutput({ ...earlierRecord('applied') }));

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision).toMatchObject({
      outcome: 'remediated',
      remediationId: remediationId('access-keys', '12345'),
    });
    expect(calls.filter((call) => call.startsWith('iam:'))).toEqual([]);
    expect(published()).toHaveLength(1);
    expect(published()[0]?.Subject).toBe('iam-warden: deactivated 1 old access key of user user1');
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: attributes({ id: remediationId('access-keys', '12345') }),
    });
  });

  it('answers a redelivery whose record says it was notified with that decision, marked so, without reading IAM', async () => {
    record(
      dynamo,
      GetItemCommand,
      itemOutput({ ...earlierRecord('applied', { notifiedAt: NOW.toISOString() }) }),
    );

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision).toMatchObject({
      outcome: 'remediated',
      alreadyNotified: true,
      remediationId: remediationId('access-keys', '12345'),
    });
    expect(calls.filter((call) => call.startsWith('iam:'))).toEqual([]);
    expect(published()).toEqual([]);
  });

  it('retries the change of a redelivery whose record is still pending', async () => {
    keys('user1', [['AKIAOLDKEY', OLD]]);
    record(dynamo, PutItemCommand, new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    record(dynamo, GetItemCommand, itemOutput({ ...earlierRecord('pending') }));

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision.outcome).toBe('remediated');
    expect(iamWrites()).toEqual(['iam:UpdateAccessKey']);
  });

  it('retries only the keys its record saved: a key made active since is left to its own event', async () => {
    keys('user1', [
      ['AKIAOLDKEY', OLD],
      ['AKIAREACTIVATED', OLD],
    ]);
    record(dynamo, PutItemCommand, new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    record(dynamo, GetItemCommand, itemOutput(earlierRecord('failed')));

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision.outcome).toBe('remediated');
    expect(iamWrites()).toEqual(['iam:UpdateAccessKey']);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { AccessKeyId: 'AKIAOLDKEY' });
    expect(decision.action).toMatchObject({ keys: [{ accessKeyId: 'AKIAOLDKEY' }] });
  });

  it('settles a pending record whose keys IAM no longer shows active, whatever else is active now', async () => {
    keys('user1', [
      ['AKIAOLDKEY', OLD, 'Inactive'],
      ['AKIAREACTIVATED', OLD],
    ]);
    record(dynamo, PutItemCommand, new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    record(dynamo, GetItemCommand, itemOutput(earlierRecord('pending')));

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision.outcome).toBe('remediated');
    expect(decision.action).toEqual(earlierRecord('pending').action);
    expect(iamWrites()).toEqual([]);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: attributes({ ':status': 'applied' }),
    });
    expect(published()[0]?.Subject).toBe('iam-warden: deactivated 1 old access key of user user1');
  });

  it('changes nothing on a retry when none of what its record saved is left to change, and says so', async () => {
    keys('user1', [['AKIAREACTIVATED', OLD]]);
    record(dynamo, PutItemCommand, new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    record(dynamo, GetItemCommand, itemOutput(earlierRecord('failed')));

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision.outcome).toBe('skipped');
    expect(decision.reason).toContain('IAM changed after');
    expect(iamWrites()).toEqual([]);
    expect(published()).toHaveLength(1);
  });

  it('settles a pending record whose change IAM already shows: marks it applied and notifies, no second write', async () => {
    keys('user1', [['AKIAOLDKEY', OLD, 'Inactive']]);
    record(dynamo, GetItemCommand, itemOutput({ ...earlierRecord('pending') }));

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision.outcome).toBe('remediated');
    expect(iamWrites()).toEqual([]);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: attributes({ id: remediationId('access-keys', '12345') }),
      ExpressionAttributeValues: attributes({ ':status': 'applied' }),
    });
    expect(published()).toHaveLength(1);
  });
});

describe('handleEvent: admin policy', () => {
  it('detaches AdministratorAccess from a non-admin role after recording it', async () => {
    role('new-role');

    const decision = await handleEvent(adminPolicyRule, testDeps(), sampleEvent('attach-role-policy-admin'));

    expect(decision).toMatchObject({
      outcome: 'remediated',
      resource: { type: 'role', name: 'new-role' },
      action: { kind: 'detach-policy', roleName: 'new-role', policyArn: ADMIN },
    });
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: 'new-role',
      PolicyArn: ADMIN,
    });
    expect(calls).toContain('dynamo:PutItem');
    expect(calls.indexOf('dynamo:PutItem')).toBeLessThan(calls.indexOf('iam:DetachRolePolicy'));
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
    expect(published()[0]?.Subject).toBe('iam-warden: detached AdministratorAccess from role new-role');
    expect(published()[0]?.Message).toContain(
      `aws iam attach-role-policy --role-name new-role --policy-arn ${ADMIN}`,
    );
  });

  it('would detach in notify mode, with no IAM write', async () => {
    role('new-role');

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps({ env: { MODE_ADMIN_POLICY: 'notify' } }),
      sampleEvent('attach-role-policy-admin'),
    );

    expect(decision.outcome).toBe('would-remediate');
    expect(iamWrites()).toEqual([]);
  });

  it('skips a built-in admin role trusting what its owner creates it with, and names what it trusts', async () => {
    const event = sampleEvent('attach-role-policy-admin');
    requestOf(event).roleName = 'OrganizationAccountAccessRole';
    role('OrganizationAccountAccessRole', '/', [ADMIN], trustOf({ AWS: 'arn:aws:iam::999988887777:root' }));

    const decision = await handleEvent(adminPolicyRule, testDeps(), event);

    expect(decision.outcome).toBe('skipped');
    expect(decision.reason).toContain('is a built-in admin role of AWS Organizations');
    expect(decision.reason).toContain('it trusts AWS arn:aws:iam::999988887777:root');
    expect(iamWrites()).toEqual([]);
    expect(published()[0]?.MessageAttributes?.outcome?.StringValue).toBe('skipped');
    expect(published()[0]?.Message).toContain('it trusts AWS arn:aws:iam::999988887777:root');
  });

  it('detaches AdministratorAccess from a built-in name trusting someone else, and says why', async () => {
    const event = sampleEvent('attach-role-policy-admin');
    requestOf(event).roleName = 'OrganizationAccountAccessRole';
    role('OrganizationAccountAccessRole', '/', [ADMIN], trustOf({ AWS: '*' }));

    const decision = await handleEvent(adminPolicyRule, testDeps(), event);

    expect(decision.outcome).toBe('remediated');
    expect(decision.reason).toContain('does not apply: it admits anyone (*)');
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
    expect(published()[0]?.Message).toContain('does not apply: it admits anyone (*)');
  });

  it('skips a role the customer designates by ARN and names what it trusts', async () => {
    const event = sampleEvent('attach-role-policy-admin');
    requestOf(event).roleName = 'break-glass-admin';
    role('break-glass-admin');

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps({ env: { ADMIN_ROLE_PATTERNS: 'arn:aws:iam::123456789012:role/break-glass-admin' } }),
      event,
    );

    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason:
        'role break-glass-admin is a designated admin role (matches "arn:aws:iam::123456789012:role/break-glass-admin"); it trusts Service lambda.amazonaws.com',
    });
    expect(iamWrites()).toEqual([]);
  });

  it('skips a service-linked role', async () => {
    role('new-role', '/aws-service-role/ecs.amazonaws.com/');

    const decision = await handleEvent(adminPolicyRule, testDeps(), sampleEvent('attach-role-policy-admin'));

    expect(decision.outcome).toBe('skipped');
    expect(iamWrites()).toEqual([]);
  });

  it('ignores any other policy', async () => {
    role('LambdaFunctionRole-1111', '/', ['arn:aws:iam::aws:policy/example-policy']);

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps(),
      sampleEvent('attach-role-policy-other-policy'),
    );

    expect(decision.outcome).toBe('ignored');
    expect(iamWrites()).toEqual([]);
    expect(published()).toEqual([]);
  });

  it('ignores a failed attachment, calling no IAM API', async () => {
    const decision = await handleEvent(adminPolicyRule, testDeps(), sampleEvent('attach-role-policy-failed'));

    expect(decision.outcome).toBe('ignored');
    expect(decision.reason).toContain('NoSuchEntity');
    expect(iam.calls()).toHaveLength(0);
  });

  it('skips a role carrying the exemption tag when exemptions are on', async () => {
    role('new-role');
    record(iam, ListRoleTagsCommand, {
      Tags: [{ Key: 'iam-warden:exempt', Value: 'true' }],
      IsTruncated: false,
    });

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps({ env: { EXEMPT_TAG_KEY: 'iam-warden:exempt' } }),
      sampleEvent('attach-role-policy-admin'),
    );

    expect(decision.outcome).toBe('skipped');
    expect(iamWrites()).toEqual([]);
  });

  it('detaches from a role whose exemption tag has another value, saying the tag does not exempt', async () => {
    role('new-role');
    record(iam, ListRoleTagsCommand, {
      Tags: [{ Key: 'iam-warden:exempt', Value: 'false' }],
      IsTruncated: false,
    });

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps({ env: { EXEMPT_TAG_KEY: 'iam-warden:exempt' } }),
      sampleEvent('attach-role-policy-admin'),
    );

    expect(decision).toMatchObject({
      outcome: 'remediated',
      reason: expect.stringContaining(
        'tag iam-warden:exempt=false does not exempt it: only the value "true" does',
      ),
    });
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
  });

  it('fails closed when the exemption tag cannot be read', async () => {
    role('new-role');
    record(
      iam,
      ListRoleTagsCommand,
      new ServiceFailureException({ message: 'tags unavailable', $metadata: {} }),
    );

    await expect(
      handleEvent(
        adminPolicyRule,
        testDeps({ env: { EXEMPT_TAG_KEY: 'iam-warden:exempt' } }),
        sampleEvent('attach-role-policy-admin'),
      ),
    ).rejects.toThrow('tags unavailable');
    expect(iamWrites()).toEqual([]);
    expect(published()[0]?.MessageAttributes?.outcome?.StringValue).toBe('failed');
  });
});

describe('handleEvent: inline policy', () => {
  it('saves the document IAM holds, then deletes the policy', async () => {
    const document = ALLOW_DOCUMENT();
    record(iam, GetUserPolicyCommand, {
      UserName: 'test-user',
      PolicyName: 'TestUserReadReports',
      PolicyDocument: encodeURIComponent(document),
    });

    const decision = await handleEvent(inlinePolicyRule, testDeps(), sampleEvent('put-user-policy-allow'));

    expect(decision).toMatchObject({ outcome: 'remediated', resource: { type: 'user', name: 'test-user' } });
    expect(auditPut().action).toEqual({
      kind: 'delete-inline-policy',
      userName: 'test-user',
      policyName: 'TestUserReadReports',
      policyDocument: document,
    });
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, {
      UserName: 'test-user',
      PolicyName: 'TestUserReadReports',
    });
    expect(calls).toContain('dynamo:PutItem');
    expect(calls.indexOf('dynamo:PutItem')).toBeLessThan(calls.indexOf('iam:DeleteUserPolicy'));
    expect(iamWrites()).toEqual(['iam:DeleteUserPolicy']);
  });

  it.each(['put-user-policy', 'put-user-policy-aws-quarantine'])(
    'skips a deny-only policy (%s) and tells people',
    async (name) => {
      const event = sampleEvent(name);
      record(iam, GetUserPolicyCommand, {
        PolicyDocument: encodeURIComponent(String(requestOf(event).policyDocument)),
      });

      const decision = await handleEvent(inlinePolicyRule, testDeps(), event);

      expect(decision.outcome).toBe('skipped');
      expect(iamWrites()).toEqual([]);
      expect(published()).toHaveLength(1);
    },
  );

  it('records the policy as gone when it was deleted before iam-warden read it', async () => {
    record(
      iam,
      GetUserPolicyCommand,
      new NoSuchEntityException({ message: 'no such policy', $metadata: {} }),
    );

    const decision = await handleEvent(inlinePolicyRule, testDeps(), sampleEvent('put-user-policy-allow'));

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: 'user test-user no longer exists (target gone)',
    });
    expect(iamWrites()).toEqual([]);
  });
});

describe('handleEvent: events it must not act on', () => {
  const rules: Rule<unknown>[] = [accessKeysRule, adminPolicyRule, inlinePolicyRule];

  it.each(
    rules.flatMap((rule) =>
      ['s3-create-bucket', 's3-put-object'].map((name) => [rule.name, name, rule] as const),
    ),
  )('%s rejects the non-IAM event %s with a reason and no IAM call', async (_rule, name, rule) => {
    const event = sampleEvent(name);

    const decision = await handleEvent(rule, testDeps(), event);

    expect(decision).toMatchObject({ outcome: 'rejected', eventId: event.id, error: 'InvalidEventError' });
    expect(decision.reason).toMatch(/^not an IAM CloudTrail event: .*source/);
    expect(iam.calls()).toHaveLength(0);
    expect(published()).toEqual([]);
    expect(resultDetails()).toEqual([expect.objectContaining({ outcome: 'rejected' })]);
  });

  it.each<{ rule: Rule<unknown>; name: string; field: string; value: string }>([
    { rule: inlinePolicyRule, name: 'put-user-policy-allow', field: 'userName', value: 'alice bob' },
    { rule: inlinePolicyRule, name: 'put-user-policy-allow', field: 'policyName', value: 'x'.repeat(129) },
    { rule: adminPolicyRule, name: 'attach-role-policy-admin', field: 'roleName', value: 'r'.repeat(65) },
    { rule: accessKeysRule, name: 'create-access-key-root-for-user', field: 'userName', value: 'a/b' },
    { rule: accessKeysRule, name: 'update-access-key-active', field: 'accessKeyId', value: 'AKIA-1' },
  ])(
    '$rule.name rejects a $field IAM would refuse ($value), before any IAM call',
    async ({ rule, name, field, value }) => {
      const event = sampleEvent(name);
      requestOf(event)[field] = value;

      const decision = await handleEvent(rule, testDeps(), event);

      expect(decision).toMatchObject({ outcome: 'rejected', error: 'InvalidEventError' });
      expect(decision.reason).toContain(`detail.requestParameters.${field}: must be`);
      expect(iam.calls()).toHaveLength(0);
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  it("rejects a CreateAccessKey whose caller's user name IAM would refuse, before any IAM call", async () => {
    const event = sampleEvent('create-access-key');
    delete requestOf(event).userName;
    event.detail.userIdentity = { ...event.detail.userIdentity, type: 'IAMUser', userName: 'not a name' };

    const decision = await handleEvent(accessKeysRule, testDeps(), event);

    expect(decision).toMatchObject({ outcome: 'rejected', error: 'InvalidEventError' });
    expect(decision.reason).toContain('detail.userIdentity.userName: must be 1-64');
    expect(iam.calls()).toHaveLength(0);
  });

  it.each<{ rule: Rule<unknown>; name: string; reason: string }>([
    { rule: accessKeysRule, name: 'create-user', reason: 'CreateUser is not handled by access-keys' },
    { rule: accessKeysRule, name: 'create-role', reason: 'CreateRole is not handled by access-keys' },
    {
      rule: adminPolicyRule,
      name: 'attach-user-policy-admin',
      reason: 'AttachUserPolicy is not handled by admin-policy',
    },
    {
      rule: adminPolicyRule,
      name: 'create-access-key',
      reason: 'CreateAccessKey is not handled by admin-policy',
    },
    {
      rule: inlinePolicyRule,
      name: 'attach-role-policy-admin',
      reason: 'AttachRolePolicy is not handled by inline-policy',
    },
  ])('$rule.name rejects $name, an event its rules never match', async ({ rule, name, reason }) => {
    const decision = await handleEvent(rule, testDeps(), sampleEvent(name));

    expect(decision).toMatchObject({ outcome: 'rejected' });
    expect(decision.reason).toContain(reason);
    expect(iam.calls()).toHaveLength(0);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'CreateAccessKey'],
    ['an empty object', {}],
    ['a CloudTrail record without its envelope', sampleEvent('create-access-key').detail],
  ])('rejects %s with a reason and no IAM call', async (_what, input) => {
    const decision = await handleEvent(accessKeysRule, testDeps(), input);

    expect(decision).toMatchObject({ outcome: 'rejected', eventId: 'unknown', eventName: 'unknown' });
    expect(decision.reason.length).toBeGreaterThan(0);
    expect(iam.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it.each<{ rule: Rule<unknown>; name: string; field: string }>([
    { rule: adminPolicyRule, name: 'attach-role-policy-admin', field: 'roleName' },
    { rule: adminPolicyRule, name: 'attach-role-policy-admin', field: 'policyArn' },
    { rule: inlinePolicyRule, name: 'put-user-policy-allow', field: 'policyName' },
    { rule: inlinePolicyRule, name: 'put-user-policy-allow', field: 'userName' },
    { rule: accessKeysRule, name: 'update-access-key-active', field: 'accessKeyId' },
    { rule: accessKeysRule, name: 'update-access-key-active', field: 'status' },
  ])(
    '$rule.name rejects $name without requestParameters.$field, naming it',
    async ({ rule, name, field }) => {
      const event = sampleEvent(name);
      delete requestOf(event)[field];

      const decision = await handleEvent(rule, testDeps(), event);

      expect(decision.outcome).toBe('rejected');
      expect(decision.reason).toContain(`detail.requestParameters.${field}`);
      expect(iam.calls()).toHaveLength(0);
    },
  );

  it('rejects a CreateAccessKey by an assumed role that names no user', async () => {
    const event = sampleEvent('create-access-key');
    event.detail.userIdentity = sampleEvent('put-user-policy').detail.userIdentity;
    event.detail.requestParameters = null;

    const decision = await handleEvent(accessKeysRule, testDeps(), event);

    expect(decision.outcome).toBe('rejected');
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('handleEvent: repeat offenders', () => {
  const MALLORY = 'arn:aws:iam::123456789012:user/mallory';

  /** An earlier detach of AdministratorAccess from new-role, `hoursAgo`, as the byResource query returns it. */
  function earlier(id: string, hoursAgo: number, extra: Partial<AuditRecord> = {}): AuditRecord {
    return {
      kind: 'remediation',
      id,
      createdAt: new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString(),
      rule: 'admin-policy',
      mode: 'enforce',
      status: 'applied',
      resourceArn: 'arn:aws:iam::123456789012:role/new-role',
      resource: { type: 'role', name: 'new-role' },
      action: { kind: 'detach-policy', roleName: 'new-role', policyArn: ADMIN },
      reason: 'r',
      trigger: { eventId: id, eventName: 'AttachRolePolicy', eventTime: 't', principalArn: MALLORY },
      notifiedAt: 'n',
      ...extra,
    };
  }

  it('detaches past the limit and sends the CRITICAL escalation, marking the record as the escalation', async () => {
    role('new-role');
    record(dynamo, QueryCommand, itemsOutput([earlier('a', 1), earlier('b', 2), earlier('c', 3)]));

    const decision = await handleEvent(adminPolicyRule, testDeps(), sampleEvent('attach-role-policy-admin'));

    expect(decision).toMatchObject({ outcome: 'remediated', critical: { title: 'repeat offender' } });
    expect(decision.quiet).toBeUndefined();
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
    expect(auditPut()).toMatchObject({ escalated: true });
    const [message] = published();
    expect(message?.Subject).toBe(
      'iam-warden: CRITICAL repeat offender: detached AdministratorAccess from role new-role',
    );
    expect(message?.Message).toMatch(
      /^CRITICAL: role new-role was changed back 4 times within 24 hours, by /,
    );
    expect(message?.Message).toContain(MALLORY);
    expect(message?.Message).toContain('exempt the resource');
  });

  it('detaches a repeat after the escalation without notifying it again, and counts it', async () => {
    role('new-role');
    record(
      dynamo,
      QueryCommand,
      itemsOutput([earlier('a', 1, { escalated: true }), earlier('b', 2), earlier('c', 3), earlier('d', 4)]),
    );

    const decision = await handleEvent(adminPolicyRule, testDeps(), sampleEvent('attach-role-policy-admin'));

    expect(decision).toMatchObject({
      outcome: 'remediated',
      quiet: true,
      reason: expect.stringContaining('repeat 5 in the last 24 hours, counted and not notified again'),
    });
    expect(decision.critical).toBeUndefined();
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
    expect(auditPut().escalated).toBeUndefined();
    expect(published()).toEqual([]);
    // Machines still see every repeat, and the record is stamped so a redelivery is a no-op.
    expect(resultDetails()).toEqual([expect.objectContaining({ outcome: 'remediated', quiet: true })]);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET notifiedAt = :notifiedAt',
    });
  });
});

describe('handleEvent: quarantine of repeat offenders', () => {
  const MALLORY = 'arn:aws:iam::123456789012:user/mallory';
  const QUARANTINE = 'arn:aws:iam::123456789012:policy/iam-warden-quarantine';
  const QUARANTINING = { REPEAT_OFFENDER_ACTION: 'quarantine', QUARANTINE_POLICY_ARN: QUARANTINE };

  function byMallory() {
    const event = sampleEvent('attach-role-policy-admin');
    event.detail.userIdentity = {
      type: 'IAMUser',
      principalId: 'AIDAMALLORY',
      arn: MALLORY,
      accountId: '123456789012',
      userName: 'mallory',
    };
    return event;
  }

  function history(count: number): void {
    const items = Array.from({ length: count }, (_, index) => ({
      kind: 'remediation',
      id: `rem-${index}`,
      createdAt: new Date(NOW.getTime() - (index + 1) * 3_600_000).toISOString(),
      rule: 'admin-policy',
      mode: 'enforce',
      status: 'applied',
      resourceArn: 'arn:aws:iam::123456789012:role/new-role',
      resource: { type: 'role', name: 'new-role' },
      action: { kind: 'detach-policy', roleName: 'new-role', policyArn: ADMIN },
      reason: 'r',
      trigger: { eventId: `e${index}`, eventName: 'AttachRolePolicy', eventTime: 't', principalArn: MALLORY },
    }));
    record(dynamo, QueryCommand, itemsOutput(items));
  }

  it('detaches, then attaches the deny-all policy to the user who repeats, recorded first', async () => {
    role('new-role');
    history(3);
    record(iam, AttachUserPolicyCommand, {});

    const decision = await handleEvent(adminPolicyRule, testDeps({ env: QUARANTINING }), byMallory());

    expect(decision).toMatchObject({
      outcome: 'remediated',
      quarantine: {
        outcome: 'remediated',
        action: {
          kind: 'quarantine',
          principalType: 'user',
          principalName: 'mallory',
          policyArn: QUARANTINE,
        },
      },
    });
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy', 'iam:AttachUserPolicy']);
    expect(iam).toHaveReceivedCommandWith(AttachUserPolicyCommand, {
      UserName: 'mallory',
      PolicyArn: QUARANTINE,
    });
    const records = putItems<AuditRecord>(dynamo);
    expect(records.map((item) => item.action.kind)).toEqual(['detach-policy', 'quarantine']);
    expect(records[1]).toMatchObject({ resourceArn: MALLORY, status: 'pending' });
    expect(calls.lastIndexOf('dynamo:PutItem')).toBeLessThan(calls.indexOf('iam:AttachUserPolicy'));
    const message = published()[0]?.Message ?? '';
    expect(message).toContain('Quarantine:  quarantined user mallory (deny-all policy attached)');
    expect(message).toContain(`aws iam detach-user-policy --user-name mallory --policy-arn ${QUARANTINE}`);
  });

  it('does not quarantine below the limit, nor in alert mode', async () => {
    role('new-role');
    history(2);
    const below = await handleEvent(adminPolicyRule, testDeps({ env: QUARANTINING }), byMallory());
    history(3);
    const alerting = await handleEvent(adminPolicyRule, testDeps(), byMallory());

    expect(below.quarantine).toBeUndefined();
    expect(alerting.quarantine).toBeUndefined();
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy', 'iam:DetachRolePolicy']);
  });

  it('reports a quarantine IAM refused without failing the remediation', async () => {
    role('new-role');
    history(3);
    record(iam, AttachUserPolicyCommand, new ServiceFailureException({ message: 'no', $metadata: {} }));

    const decision = await handleEvent(adminPolicyRule, testDeps({ env: QUARANTINING }), byMallory());

    expect(decision).toMatchObject({ outcome: 'remediated', quarantine: { outcome: 'failed' } });
    expect(published()[0]?.Message).toContain('Quarantine:  FAILED');
  });
});

describe('handleEvent: grace after a restore', () => {
  it('acts on another document put under a restored inline policy name during the grace period', async () => {
    const restoredDocument =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';
    const event = sampleEvent('put-user-policy-allow');
    const { userName, policyName } = requestOf(event) as { userName: string; policyName: string };
    const restore = (document: string) => ({
      kind: 'restore',
      id: 'rst-1',
      createdAt: new Date(NOW.getTime() - 3_600_000).toISOString(),
      resourceArn: `arn:aws:iam::123456789012:user/${userName}`,
      restores: 'rem-1',
      restoredBy: 'arn:aws:sts::123456789012:assumed-role/sec/jane',
      graceUntil: new Date(NOW.getTime() + 3_600_000).toISOString(),
      rule: 'inline-policy',
      targets: [`inline-policy:${policyName}`],
      states: [`inline-policy:${policyName}:sha256:${createHash('sha256').update(document).digest('hex')}`],
    });
    record(iam, GetUserPolicyCommand, { PolicyDocument: encodeURIComponent(ALLOW_DOCUMENT()) });

    record(dynamo, QueryCommand, itemsOutput([restore(restoredDocument)]));
    const replaced = await handleEvent(inlinePolicyRule, testDeps(), structuredClone(event));
    expect(replaced.outcome).toBe('remediated');

    record(dynamo, QueryCommand, itemsOutput([restore(ALLOW_DOCUMENT())]));
    const same = await handleEvent(inlinePolicyRule, testDeps(), sampleEvent('put-user-policy-allow'));
    expect(same).toMatchObject({
      outcome: 'would-remediate',
      reason: expect.stringContaining('restored by'),
    });
  });
});

describe('handleEvent: partitions', () => {
  const PARTITIONS = [
    ['aws', 'us-east-1'],
    ['aws-cn', 'cn-north-1'],
    ['aws-us-gov', 'us-gov-west-1'],
  ] as const;

  /** An AttachRolePolicy of the partition's AdministratorAccess, made by CloudFormation: no caller ARN. */
  function byService(partition: string) {
    const event = sampleEvent('attach-role-policy-admin');
    event.detail.userIdentity = { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' };
    requestOf(event).policyArn = `arn:${partition}:iam::aws:policy/AdministratorAccess`;
    return event;
  }

  it.each(PARTITIONS)(
    "files a change made by an AWS service under the deployment's partition (%s), where grace is looked up",
    async (partition, region) => {
      role('new-role', '/', [`arn:${partition}:iam::aws:policy/AdministratorAccess`]);
      const deps = testDeps({ env: { TOPIC_ARN: `arn:${partition}:sns:${region}:123456789012:iam-warden` } });

      const decision = await handleEvent(adminPolicyRule, deps, byService(partition));

      const arn = `arn:${partition}:iam::123456789012:role/new-role`;
      expect(decision.outcome).toBe('remediated');
      expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
        IndexName: 'byResource',
        ExpressionAttributeValues: expect.objectContaining(attributes({ ':arn': arn })),
      });
      expect(auditPut().resourceArn).toBe(arn);
    },
  );

  it("takes the account from the event and the partition from the deployment, not from the caller's ARN", async () => {
    role('new-role');
    const event = sampleEvent('attach-role-policy-admin');
    event.detail.recipientAccountId = '210987654321';
    const deps = testDeps({ env: { TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:iam-warden' } });

    await handleEvent(adminPolicyRule, deps, event);

    expect(auditPut().resourceArn).toBe('arn:aws-us-gov:iam::210987654321:role/new-role');
  });
});

describe('handleEvent: informational nulls', () => {
  /** A null in every field no decision rests on, at once, as some real records carry them. */
  function withNulls<T extends ReturnType<typeof sampleEvent>>(event: T): T {
    const identity = event.detail.userIdentity as Record<string, unknown>;
    Object.assign(identity, { userName: null, invokedBy: null, principalId: null, accountId: 7 });
    Object.assign(event.detail, {
      userAgent: null,
      sourceIPAddress: null,
      awsRegion: null,
      eventVersion: 1.08,
      errorMessage: null,
    });
    event.resources = null as never;
    return event;
  }

  it.each([
    ['all of them', (event: ReturnType<typeof sampleEvent>) => withNulls(event)],
    [
      'a null userName',
      (event: ReturnType<typeof sampleEvent>) => {
        (event.detail.userIdentity as Record<string, unknown>).userName = null;
        return event;
      },
    ],
    [
      'a null sessionContext',
      (event: ReturnType<typeof sampleEvent>) => {
        (event.detail.userIdentity as Record<string, unknown>).sessionContext = null;
        return event;
      },
    ],
    [
      'a null userAgent',
      (event: ReturnType<typeof sampleEvent>) => {
        event.detail.userAgent = null;
        return event;
      },
    ],
  ])('detaches AdministratorAccess from an event with %s, instead of rejecting it', async (_what, spoil) => {
    role('new-role');

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps(),
      spoil(sampleEvent('attach-role-policy-admin')),
    );

    expect(decision.outcome).toBe('remediated');
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
  });

  it("deactivates another user's old key when the caller's userName is null: the owner is in requestParameters", async () => {
    keys('user1', [
      ['ABCDEFG', FRESH],
      ['AKIAOLDKEY', OLD],
    ]);

    const decision = await handleEvent(
      accessKeysRule,
      testDeps(),
      withNulls(sampleEvent('create-access-key')),
    );

    expect(decision).toMatchObject({ outcome: 'remediated', resource: { type: 'user', name: 'user1' } });
    expect(iamWrites()).toEqual(['iam:UpdateAccessKey']);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 12345],
  ])(
    "rejects, with no IAM call, a user's key for itself whose userName is %s: the owner is then unknown",
    async (_what, userName) => {
      const event = sampleEvent('create-access-key');
      Object.assign(event.detail.userIdentity, { type: 'IAMUser', userName });
      event.detail.requestParameters = null;

      const decision = await handleEvent(accessKeysRule, testDeps(), event);

      expect(decision.outcome).toBe('rejected');
      expect(decision.reason).toContain('userName');
      expect(iam.calls()).toHaveLength(0);
    },
  );

  it('still rejects a null errorCode, with no IAM call: a failed call must not pass for a successful one', async () => {
    const event = sampleEvent('attach-role-policy-admin');
    event.detail.errorCode = null as never;

    const decision = await handleEvent(adminPolicyRule, testDeps(), event);

    expect(decision.outcome).toBe('rejected');
    expect(decision.reason).toContain('detail.errorCode');
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('handleEvent: running an event again', () => {
  const ID = remediationId('admin-policy', '1');
  const CONFLICT = () => new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });

  /** The record a run of attach-role-policy-admin left: in notify mode unless `extra` says otherwise. */
  function earlierRun(extra: Partial<AuditRecord> = {}): AuditRecord {
    return {
      kind: 'remediation',
      id: ID,
      createdAt: '2025-05-30T08:00:00.000Z',
      rule: 'admin-policy',
      mode: 'notify',
      status: 'notified-only',
      resourceArn: 'arn:aws:iam::123456789012:role/new-role',
      resource: { type: 'role', name: 'new-role' },
      action: { kind: 'detach-policy', roleName: 'new-role', policyArn: ADMIN },
      reason: 'AdministratorAccess attached to role new-role, which is not a designated admin role',
      trigger: {
        eventId: '1',
        eventName: 'AttachRolePolicy',
        eventTime: '2025-05-30T08:00:00Z',
        principalArn: 'x',
      },
      notifiedAt: '2025-05-30T08:00:01.000Z',
      ...extra,
    };
  }

  /** Answer GetItem with these records in turn (the last one from then on). */
  function reads(...records: AuditRecord[]): void {
    let index = 0;
    record(dynamo, GetItemCommand, undefined);
    dynamo.on(GetItemCommand).callsFake(() => {
      calls.push('dynamo:GetItem');
      const next = records[Math.min(index++, records.length - 1)];
      return next === undefined ? {} : itemOutput(next);
    });
  }

  /** Answer PutItem with these outcomes in turn (success from then on). */
  function puts(...outcomes: (Error | undefined)[]): void {
    let index = 0;
    dynamo.on(PutItemCommand).callsFake(() => {
      calls.push('dynamo:PutItem');
      const outcome = outcomes[index++];
      if (outcome !== undefined) throw outcome;
      return {};
    });
  }

  function stamps(): unknown[] {
    return dynamo
      .commandCalls(UpdateItemCommand)
      .filter((call) => call.args[0].input.UpdateExpression?.includes('notifiedAt'));
  }

  it('enforces an event an earlier run only notified, replacing its record and keeping that decision in it', async () => {
    role('new-role');
    reads(earlierRun());
    puts(CONFLICT());

    const decision = await handleEvent(adminPolicyRule, testDeps(), sampleEvent('attach-role-policy-admin'));

    expect(decision).toMatchObject({ outcome: 'remediated', remediationId: ID });
    expect(decision.alreadyNotified).toBeUndefined();
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
    const [created, replaced] = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(created?.ConditionExpression).toBe('attribute_not_exists(id)');
    expect(replaced).toMatchObject({
      ConditionExpression: '#status = :notifiedOnly',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: attributes({ ':notifiedOnly': 'notified-only' }),
    });
    expect(putItems<AuditRecord>(dynamo)[1]).toMatchObject({
      id: ID,
      mode: 'enforce',
      status: 'pending',
      notifiedOnly: {
        createdAt: '2025-05-30T08:00:00.000Z',
        notifiedAt: '2025-05-30T08:00:01.000Z',
        reason: earlierRun().reason,
      },
    });
    expect(calls.indexOf('dynamo:PutItem', calls.indexOf('dynamo:PutItem') + 1)).toBeLessThan(
      calls.indexOf('iam:DetachRolePolicy'),
    );
    expect(published().map((message) => message.Subject)).toEqual([
      'iam-warden: detached AdministratorAccess from role new-role',
    ]);
    expect(stamps()).toHaveLength(1);
  });

  it('resumes the enforcing record a concurrent delivery put in place of the notify-only one, replacing nothing', async () => {
    role('new-role');
    const enforcing = earlierRun({ mode: 'enforce', status: 'pending', createdAt: NOW.toISOString() });
    const { notifiedAt: _notifiedAt, ...pending } = enforcing;
    reads(earlierRun(), earlierRun(), pending);
    puts(CONFLICT(), CONFLICT());

    const decision = await handleEvent(adminPolicyRule, testDeps(), sampleEvent('attach-role-policy-admin'));

    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
    expect(decision).toMatchObject({ outcome: 'remediated', remediationId: ID });
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
  });

  it('answers an event run again in notify mode with the decision people were told of, publishing nothing', async () => {
    reads(earlierRun());

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps({ env: { MODE_ADMIN_POLICY: 'notify' } }),
      sampleEvent('attach-role-policy-admin'),
    );

    expect(decision).toMatchObject({ outcome: 'would-remediate', alreadyNotified: true, remediationId: ID });
    expect(calls.filter((call) => call.startsWith('iam:'))).toEqual([]);
    expect(published()).toEqual([]);
    expect(resultDetails()).toEqual([
      expect.objectContaining({ outcome: 'would-remediate', alreadyNotified: true }),
    ]);
    expect(stamps()).toEqual([]);
  });

  it('leaves an enforcing record to its own run when run in notify mode, and does not stamp it notified', async () => {
    role('new-role');
    const { notifiedAt: _notifiedAt, ...pending } = earlierRun({ mode: 'enforce', status: 'pending' });
    reads(pending);
    puts(CONFLICT());

    const decision = await handleEvent(
      adminPolicyRule,
      testDeps({ env: { MODE_ADMIN_POLICY: 'notify' } }),
      sampleEvent('attach-role-policy-admin'),
    );

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: `already handled as ${ID} in enforce mode (pending)`,
    });
    expect(iamWrites()).toEqual([]);
    expect(published()).toEqual([]);
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  const IDEMPOTENCY = { IDEMPOTENCY_TABLE: 'iam-warden-idempotency-test' };
  const marks = () =>
    dynamo
      .commandCalls(PutItemCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.TableName === IDEMPOTENCY.IDEMPOTENCY_TABLE);

  it.each([
    ['an alert', 'alert', () => ({ event: rootReactivation(), rule: accessKeysRule as Rule<unknown> })],
    [
      'a skip',
      'skipped',
      () => {
        role('new-role', '/aws-service-role/ecs.amazonaws.com/');
        return { event: sampleEvent('attach-role-policy-admin'), rule: adminPolicyRule as Rule<unknown> };
      },
    ],
  ])(
    'tells people of %s once: run again, it finds its mark and publishes nothing',
    async (_name, outcome, setup) => {
      const { event, rule } = setup();
      const deps = testDeps({ env: IDEMPOTENCY });

      const first = await handleEvent(rule, deps, structuredClone(event));
      expect(first).toMatchObject({ outcome });
      expect(first.alreadyNotified).toBeUndefined();
      expect(published()).toHaveLength(1);
      expect(marks()).toEqual([
        expect.objectContaining({
          Item: expect.objectContaining(
            attributes({ id: `iam-warden#${outcome}-notified#${first.rule}#${first.eventId}` }),
          ),
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      ]);
      expect(putItems<{ expiration: number }>(dynamo)[0]?.expiration).toBe(
        Math.floor(NOW.getTime() / 1000) + 90 * 86_400,
      );

      record(dynamo, PutItemCommand, CONFLICT());
      const again = await handleEvent(rule, deps, structuredClone(event));

      expect(again).toMatchObject({ outcome, alreadyNotified: true });
      expect(published()).toHaveLength(1);
      expect(resultDetails()).toEqual([
        expect.objectContaining({ outcome }),
        expect.objectContaining({ outcome, alreadyNotified: true }),
      ]);
    },
  );

  it('takes the mark of an alert back when SNS refuses it, so the next run sends it', async () => {
    record(sns, PublishCommand, new Error('SNS down'));
    record(dynamo, DeleteItemCommand, {});

    const event = rootReactivation();

    await expect(handleEvent(accessKeysRule, testDeps({ env: IDEMPOTENCY }), event)).rejects.toThrow(
      'SNS down',
    );

    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: IDEMPOTENCY.IDEMPOTENCY_TABLE,
      Key: attributes({ id: `iam-warden#alert-notified#access-keys#${event.detail.eventID}` }),
    });
    expect(calls.indexOf('dynamo:DeleteItem')).toBeGreaterThan(calls.indexOf('sns:Publish'));
  });

  it('publishes nothing and stamps nothing with notifications off, though it acts and records', async () => {
    role('new-role');
    const deps = testDeps({ env: IDEMPOTENCY });
    const quiet = { ...deps, config: { ...deps.config, notifications: 'off' as const } };

    const decision = await handleEvent(adminPolicyRule, quiet, sampleEvent('attach-role-policy-admin'));
    const alert = await handleEvent(accessKeysRule, quiet, rootReactivation());

    expect(decision).toMatchObject({ outcome: 'remediated' });
    expect(alert).toMatchObject({ outcome: 'alert' });
    expect(iamWrites()).toEqual(['iam:DetachRolePolicy']);
    expect(auditPut()).toMatchObject({ status: 'pending' });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
    expect(marks()).toEqual([]);
    expect(stamps()).toEqual([]);
  });
});

/** update-access-key-active with no user name: the root user reactivating its own key (an alert). */
function rootReactivation() {
  const event = sampleEvent('update-access-key-active');
  delete requestOf(event).userName;
  return event;
}

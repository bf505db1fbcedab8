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
import { attributes, itemOutput, putItems } from '../support/dynamo.js';

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

  it("ignores iam-warden's own calls (loop guard), calling no IAM API", async () => {
    const decision = await handleEvent(
      accessKeysRule,
      testDeps(),
      sampleEvent('iam-warden-own-update-access-key'),
    );

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: `made by iam-warden's own role ${OWN_ROLE_ARN}`,
    });
    expect(iam.calls()).toHaveLength(0);
    expect(published()).toEqual([]);
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

    expect(decision.outcome).toBe('ignored');
    expect(decision.reason).toContain('duplicate delivery');
    expect(iamWrites()).toEqual([]);
    expect(published()).toEqual([]);
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

  it('ignores a redelivery whose record says it was notified, without reading IAM', async () => {
    record(
      dynamo,
      GetItemCommand,
      itemOutput({ ...earlierRecord('applied', { notifiedAt: NOW.toISOString() }) }),
    );

    const decision = await handleEvent(accessKeysRule, testDeps(), sampleEvent('create-access-key'));

    expect(decision.outcome).toBe('ignored');
    expect(decision.reason).toContain('duplicate delivery');
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
      Tags: [{ Key: 'iam-warden:exempt', Value: 'CHG-1' }],
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

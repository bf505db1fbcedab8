import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  beginRecord,
  inPartition,
  type RestoreRecord,
  remediationId,
  resourceArnOf,
  resourceHistory,
  toHistoryEntry,
  updateRecord,
} from '../../lib/audit.js';
import { AuditWriteError } from '../../lib/errors.js';
import { AUDIT_TABLE, NOW, testDeps } from '../support/deps.js';
import { attributes, itemOutput, itemsOutput } from '../support/dynamo.js';

const dynamo = mockClient(DynamoDBClient);

beforeEach(() => {
  dynamo.reset();
});

const RECORD: AuditRecord = {
  kind: 'remediation',
  id: remediationId('inline-policy', '7ee6ba6e-1943-417a-a6a3-3a2b0292cdac'),
  createdAt: NOW.toISOString(),
  rule: 'inline-policy',
  mode: 'enforce',
  status: 'pending',
  resourceArn: 'arn:aws:iam::123456789012:user/test-user',
  resource: { type: 'user', name: 'test-user' },
  action: {
    kind: 'delete-inline-policy',
    userName: 'test-user',
    policyName: 'ReadReports',
    policyDocument: '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
  },
  reason: 'user test-user was given inline policy ReadReports',
  trigger: {
    eventId: '7ee6ba6e-1943-417a-a6a3-3a2b0292cdac',
    eventName: 'PutUserPolicy',
    eventTime: '2023-11-21T23:31:17Z',
    principalArn: 'arn:aws:sts::123456789012:assumed-role/a-role/user.name',
    sourceIp: '136.32.237.81',
    userAgent: 'AWS Internal',
  },
};

describe('remediationId', () => {
  it('is the same for the same rule and trigger', () => {
    expect(remediationId('access-keys', 'abc')).toBe(remediationId('access-keys', 'abc'));
  });

  it('is short: rem- and 20 hex digits', () => {
    expect(remediationId('access-keys', 'abc')).toMatch(/^rem-[0-9a-f]{20}$/);
  });

  it('differs between rules and between triggers', () => {
    const ids = new Set([
      remediationId('access-keys', 'abc'),
      remediationId('admin-policy', 'abc'),
      remediationId('inline-policy', 'abc'),
      remediationId('access-keys', 'abd'),
    ]);

    expect(ids.size).toBe(4);
  });
});

describe('resourceArnOf', () => {
  it('files users, roles and the root user under pathless ARNs', () => {
    expect(resourceArnOf({ type: 'user', name: 'alice' }, '123456789012', 'aws')).toBe(
      'arn:aws:iam::123456789012:user/alice',
    );
    expect(
      resourceArnOf({ type: 'role', name: 'ops', arn: 'arn:aws:iam::123456789012:role/x/ops' }, '1', 'aws'),
    ).toBe('arn:aws:iam::1:role/ops');
    expect(resourceArnOf({ type: 'root', name: 'root' }, '123456789012', 'aws')).toBe(
      'arn:aws:iam::123456789012:root',
    );
  });

  it.each(['aws', 'aws-cn', 'aws-us-gov'])('files under the partition it is given: %s', (partition) => {
    expect(resourceArnOf({ type: 'user', name: 'alice' }, '123456789012', partition)).toBe(
      `arn:${partition}:iam::123456789012:user/alice`,
    );
    // Never the partition of an ARN the resource carries: the deployment's is the one every reader uses.
    expect(
      resourceArnOf({ type: 'role', name: 'ops', arn: 'arn:aws:iam::123456789012:role/ops' }, '1', partition),
    ).toBe(`arn:${partition}:iam::1:role/ops`);
    expect(resourceArnOf({ type: 'root', name: 'root' }, '123456789012', partition)).toBe(
      `arn:${partition}:iam::123456789012:root`,
    );
  });
});

describe('inPartition', () => {
  it.each(['aws', 'aws-cn', 'aws-us-gov'])('moves a resource ARN to %s', (partition) => {
    expect(inPartition('arn:aws:iam::123456789012:user/alice', partition)).toBe(
      `arn:${partition}:iam::123456789012:user/alice`,
    );
    expect(inPartition('arn:aws-us-gov:iam::123456789012:root', partition)).toBe(
      `arn:${partition}:iam::123456789012:root`,
    );
  });
});

describe('beginRecord', () => {
  it('puts the record only if none exists with its id, and returns nothing new', async () => {
    dynamo.on(PutItemCommand).resolves({});

    await expect(beginRecord(testDeps(), RECORD)).resolves.toBeUndefined();
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: AUDIT_TABLE,
      Item: attributes(RECORD),
      ConditionExpression: 'attribute_not_exists(id)',
    });
    expect(dynamo).not.toHaveReceivedCommand(GetItemCommand);
  });

  it('returns the existing record when the condition fails (a redelivery)', async () => {
    const existing = { ...RECORD, status: 'applied', notifiedAt: '2025-06-01T11:00:00.000Z' };
    dynamo
      .on(PutItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      )
      .on(GetItemCommand)
      .resolves(itemOutput(existing));

    await expect(beginRecord(testDeps(), RECORD)).resolves.toEqual(existing);
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: AUDIT_TABLE,
      Key: attributes({ id: RECORD.id }),
      ConsistentRead: true,
    });
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  const CONFLICT = () => new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });
  const NOTIFIED_ONLY: AuditRecord = {
    ...RECORD,
    createdAt: '2025-05-30T08:00:00.000Z',
    mode: 'notify',
    status: 'notified-only',
    reason: 'what the notify run said',
    notifiedAt: '2025-05-30T08:00:01.000Z',
  };

  it('puts an enforcing record in place of a notify-only one, keeping that decision, only if it is still notify-only', async () => {
    dynamo
      .on(PutItemCommand)
      .rejectsOnce(CONFLICT())
      .resolves({})
      .on(GetItemCommand)
      .resolves(itemOutput(NOTIFIED_ONLY));

    await expect(beginRecord(testDeps(), RECORD)).resolves.toBeUndefined();

    expect(dynamo.commandCalls(PutItemCommand)[1]?.args[0].input).toEqual({
      TableName: AUDIT_TABLE,
      Item: attributes({
        ...RECORD,
        notifiedOnly: {
          createdAt: '2025-05-30T08:00:00.000Z',
          reason: 'what the notify run said',
          notifiedAt: '2025-05-30T08:00:01.000Z',
        },
      }),
      ConditionExpression: '#status = :notifiedOnly',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: attributes({ ':notifiedOnly': 'notified-only' }),
    });
  });

  it('returns the record that replaced the notify-only one first, when another delivery was quicker', async () => {
    const winner = { ...RECORD, createdAt: '2025-06-01T11:59:59.000Z' };
    dynamo
      .on(PutItemCommand)
      .rejects(CONFLICT())
      .on(GetItemCommand)
      .resolvesOnce(itemOutput(NOTIFIED_ONLY))
      .resolves(itemOutput(winner));

    await expect(beginRecord(testDeps(), RECORD)).resolves.toEqual(winner);
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
  });

  it('leaves a notify-only record in place for a notify run: it is a duplicate of it', async () => {
    dynamo.on(PutItemCommand).rejects(CONFLICT()).on(GetItemCommand).resolves(itemOutput(NOTIFIED_ONLY));

    await expect(
      beginRecord(testDeps(), { ...RECORD, mode: 'notify', status: 'notified-only' }),
    ).resolves.toEqual(NOTIFIED_ONLY);
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('throws AuditWriteError with the cause when the put fails otherwise', async () => {
    const cause = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    dynamo.on(PutItemCommand).rejects(cause);

    const error = await beginRecord(testDeps(), RECORD).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AuditWriteError);
    expect((error as AuditWriteError).cause).toBe(cause);
    expect((error as AuditWriteError).message).toBe(
      `could not record ${RECORD.id} before changing arn:aws:iam::123456789012:user/test-user`,
    );
    expect(dynamo).not.toHaveReceivedCommand(GetItemCommand);
  });
});

describe('updateRecord', () => {
  it('sets the status', async () => {
    await updateRecord(testDeps(), RECORD.id, { status: 'applied' });

    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: AUDIT_TABLE,
      Key: attributes({ id: RECORD.id }),
      UpdateExpression: 'SET #status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: attributes({ ':status': 'applied' }),
    });
  });

  it('stamps notifiedAt with the clock, without attribute names', async () => {
    await updateRecord(testDeps(), RECORD.id, { notified: true });

    const input = dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TableName: AUDIT_TABLE,
      Key: attributes({ id: RECORD.id }),
      UpdateExpression: 'SET notifiedAt = :notifiedAt',
      ExpressionAttributeValues: attributes({ ':notifiedAt': NOW.toISOString() }),
    });
  });

  it('records a failure with its error', async () => {
    await updateRecord(testDeps(), RECORD.id, { status: 'failed', error: 'AccessDenied: no' });

    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: 'SET #status = :status, #error = :error',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
      ExpressionAttributeValues: attributes({ ':status': 'failed', ':error': 'AccessDenied: no' }),
    });
  });
});

describe('resourceHistory', () => {
  it("queries the resource's index since a time, newest first, every page", async () => {
    const restore: RestoreRecord = {
      kind: 'restore',
      id: 'res-1',
      createdAt: '2025-06-01T10:00:00.000Z',
      resourceArn: RECORD.resourceArn,
      restores: RECORD.id,
      restoredBy: 'arn:aws:iam::123456789012:user/admin',
      graceUntil: '2025-06-02T10:00:00.000Z',
    };
    dynamo
      .on(QueryCommand, { ExclusiveStartKey: undefined })
      .resolves({ ...itemsOutput([restore]), LastEvaluatedKey: attributes({ id: 'res-1' }) })
      .on(QueryCommand, { ExclusiveStartKey: attributes({ id: 'res-1' }) })
      .resolves(itemsOutput([RECORD]));

    await expect(
      resourceHistory(testDeps(), RECORD.resourceArn, '2025-05-31T12:00:00.000Z'),
    ).resolves.toEqual([restore, RECORD]);
    expect(dynamo).toHaveReceivedNthCommandWith(QueryCommand, 1, {
      TableName: AUDIT_TABLE,
      IndexName: 'byResource',
      KeyConditionExpression: 'resourceArn = :arn AND createdAt >= :since',
      ExpressionAttributeValues: attributes({
        ':arn': RECORD.resourceArn,
        ':since': '2025-05-31T12:00:00.000Z',
      }),
      ScanIndexForward: false,
    });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).not.toHaveProperty('ExclusiveStartKey');
    expect(dynamo).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: attributes({ id: 'res-1' }),
    });
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 2);
  });
});

describe('toHistoryEntry', () => {
  it('keeps what the guards need of a remediation and of a restore', () => {
    expect(toHistoryEntry(RECORD)).toEqual({
      kind: 'remediation',
      id: RECORD.id,
      rule: 'inline-policy',
      status: 'pending',
      createdAt: RECORD.createdAt,
      targets: [`inline-policy:${(RECORD.action as { policyName: string }).policyName}`],
      principalArn: RECORD.trigger.principalArn,
    });
    expect(
      toHistoryEntry({
        kind: 'restore',
        id: 'res-1',
        createdAt: 'c',
        resourceArn: 'r',
        restores: RECORD.id,
        restoredBy: 'who',
        graceUntil: 'g',
      }),
    ).toEqual({ kind: 'restore', createdAt: 'c', graceUntil: 'g', restoredBy: 'who' });
  });
});

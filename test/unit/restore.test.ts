import { createHash } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AttachRolePolicyCommand,
  GetRoleCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AuditRecord, type RestoreRecord, remediationId } from '../../lib/audit.js';
import { AuditWriteError, RestoreRefusedError, UsageError } from '../../lib/errors.js';
import type { Action } from '../../lib/plan.js';
import {
  AmbiguousRemediationError,
  findRemediation,
  listHistory,
  readCurrentState,
  remediationIdsOfEvent,
  restoreRemediation,
} from '../../lib/restore.js';
import { AUDIT_TABLE, NOW, testDeps } from '../support/deps.js';
import { attributes, itemOutput, itemsOutput, putItems } from '../support/dynamo.js';

const iam = mockClient(IAMClient);
const dynamo = mockClient(DynamoDBClient);

beforeEach(() => {
  iam.reset();
  dynamo.reset();
});

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const EVENT_ID = '7ee6ba6e-1943-417a-a6a3-3a2b0292cdac';
const RESTORER = 'arn:aws:sts::123456789012:assumed-role/SecurityEngineer/jane';
/** Characters IAM returns URL-encoded, so a decoding mistake shows. */
const DOCUMENT =
  '{\n\t"Version": "2012-10-17",\n\t"Statement": [{"Sid": "A&B", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a+b/100%/é"}]\n}';

const DELETE: Action = {
  kind: 'delete-inline-policy',
  userName: 'alice',
  policyName: 'S3All',
  policyDocument: DOCUMENT,
};
const DETACH: Action = { kind: 'detach-policy', roleName: 'deploy', policyArn: ADMIN };
const KEYS: Action = {
  kind: 'deactivate-keys',
  userName: 'alice',
  keys: [
    { accessKeyId: 'AKIAONE', createDate: '2024-01-01T00:00:00.000Z', ageDays: 517 },
    { accessKeyId: 'AKIATWO', createDate: '2024-02-01T00:00:00.000Z', ageDays: 486 },
  ],
};

const QUARANTINE: Action = {
  kind: 'quarantine',
  principalType: 'user',
  principalName: 'mallory',
  policyArn: 'arn:aws:iam::123456789012:policy/iam-warden-quarantine',
};

function remediation(action: Action, changes: Partial<AuditRecord> = {}): AuditRecord {
  const rule =
    action.kind === 'delete-inline-policy'
      ? 'inline-policy'
      : action.kind === 'detach-policy'
        ? 'admin-policy'
        : 'access-keys';
  const resource =
    action.kind === 'detach-policy'
      ? { type: 'role' as const, name: action.roleName }
      : action.kind === 'quarantine'
        ? { type: action.principalType, name: action.principalName }
        : { type: 'user' as const, name: action.userName };
  return structuredClone({
    kind: 'remediation',
    id: remediationId(rule, EVENT_ID),
    createdAt: '2025-05-31T12:00:00.000Z',
    rule,
    mode: 'enforce',
    status: 'applied',
    resourceArn: `arn:aws:iam::123456789012:${resource.type}/${resource.name}`,
    resource,
    action,
    reason: 'a reason',
    trigger: {
      eventId: EVENT_ID,
      eventName: 'PutUserPolicy',
      eventTime: '2025-05-31T11:59:58Z',
      principalArn: 'arn:aws:iam::123456789012:user/mallory',
    },
    notifiedAt: '2025-05-31T12:00:01.000Z',
    ...changes,
  });
}

function noSuchEntity(): NoSuchEntityException {
  return new NoSuchEntityException({ message: 'The user with name alice cannot be found.', $metadata: {} });
}

function keyMetadata(accessKeyId: string, status: 'Active' | 'Inactive') {
  return { AccessKeyId: accessKeyId, Status: status, CreateDate: new Date('2024-01-01T00:00:00Z') };
}

/** Record, in order, the writes this test cares about: the audit table's and IAM's. */
function recordWrites(): string[] {
  const log: string[] = [];
  dynamo.on(PutItemCommand).callsFake(() => {
    log.push('audit: put restore record');
    return {};
  });
  dynamo.on(UpdateItemCommand).callsFake(() => {
    log.push('audit: stamp remediation');
    return {};
  });
  const iamWrite = (name: string) => () => {
    log.push(`iam: ${name}`);
    return {};
  };
  iam.on(PutUserPolicyCommand).callsFake(iamWrite('PutUserPolicy'));
  iam.on(AttachRolePolicyCommand).callsFake(iamWrite('AttachRolePolicy'));
  iam.on(UpdateAccessKeyCommand).callsFake(iamWrite('UpdateAccessKey'));
  return log;
}

describe('readCurrentState', () => {
  it('reads the keys of a user whose keys were deactivated', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [keyMetadata('AKIAONE', 'Inactive')] });

    await expect(readCurrentState(testDeps().iam, KEYS)).resolves.toEqual({
      kind: 'deactivate-keys',
      keys: [{ accessKeyId: 'AKIAONE', status: 'Inactive', createDate: new Date('2024-01-01T00:00:00Z') }],
    });
    expect(iam).toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'alice' });
  });

  it('reads a deleted user as keys undefined', async () => {
    iam.on(ListAccessKeysCommand).rejects(noSuchEntity());

    await expect(readCurrentState(testDeps().iam, KEYS)).resolves.toEqual({
      kind: 'deactivate-keys',
      keys: undefined,
    });
  });

  it('reads the policies attached to a role', async () => {
    iam.on(GetRoleCommand).resolves({
      Role: {
        RoleName: 'deploy',
        Arn: 'arn:aws:iam::123456789012:role/deploy',
        Path: '/',
        RoleId: 'AROA',
        CreateDate: new Date(),
      },
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: ADMIN }] });

    await expect(readCurrentState(testDeps().iam, DETACH)).resolves.toEqual({
      kind: 'detach-policy',
      attachedPolicyArns: [ADMIN],
    });
  });

  it('reads a deleted role as attached policies undefined', async () => {
    iam.on(GetRoleCommand).rejects(noSuchEntity());

    await expect(readCurrentState(testDeps().iam, DETACH)).resolves.toEqual({
      kind: 'detach-policy',
      attachedPolicyArns: undefined,
    });
  });

  it('reads the inline policy of the same name URL-decoded', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iam.on(GetUserPolicyCommand).resolves({
      UserName: 'alice',
      PolicyName: 'S3All',
      PolicyDocument: encodeURIComponent(DOCUMENT),
    });

    await expect(readCurrentState(testDeps().iam, DELETE)).resolves.toEqual({
      kind: 'delete-inline-policy',
      userExists: true,
      document: DOCUMENT,
    });
    expect(iam).toHaveReceivedCommandWith(GetUserPolicyCommand, { UserName: 'alice', PolicyName: 'S3All' });
  });

  it('reads a missing inline policy as document undefined and a missing user as userExists false', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iam.on(GetUserPolicyCommand).rejects(noSuchEntity());
    await expect(readCurrentState(testDeps().iam, DELETE)).resolves.toEqual({
      kind: 'delete-inline-policy',
      userExists: true,
      document: undefined,
    });

    iam.on(ListAccessKeysCommand).rejects(noSuchEntity());
    await expect(readCurrentState(testDeps().iam, DELETE)).resolves.toEqual({
      kind: 'delete-inline-policy',
      userExists: false,
      document: undefined,
    });
  });

  it('lets errors other than NoSuchEntity propagate', async () => {
    iam.on(ListAccessKeysCommand).rejects(new Error('Rate exceeded'));

    await expect(readCurrentState(testDeps().iam, KEYS)).rejects.toThrow('Rate exceeded');
  });
});

describe('findRemediation', () => {
  it('reads the remediation by its ID', async () => {
    const record = remediation(DELETE);
    dynamo.on(GetItemCommand).resolves(itemOutput(record));

    await expect(findRemediation(testDeps(), { remediationId: record.id })).resolves.toEqual(record);
    expect(dynamo).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: AUDIT_TABLE,
      Key: attributes({ id: record.id }),
      ConsistentRead: true,
    });
  });

  it('refuses an ID nothing is recorded under', async () => {
    dynamo.on(GetItemCommand).resolves({});

    const found = findRemediation(testDeps(), { remediationId: 'rem-00000000000000000000' });

    await expect(found).rejects.toThrow(RestoreRefusedError);
    await expect(found).rejects.toThrow('no remediation recorded for rem-00000000000000000000');
  });

  it('does not take a restore record for a remediation', async () => {
    const restore: RestoreRecord = {
      kind: 'restore',
      id: 'rst-00000000000000000000',
      createdAt: NOW.toISOString(),
      resourceArn: 'arn:aws:iam::123456789012:user/alice',
      restores: 'rem-00000000000000000000',
      restoredBy: RESTORER,
      graceUntil: NOW.toISOString(),
    };
    dynamo.on(GetItemCommand).resolves(itemOutput(restore));

    await expect(findRemediation(testDeps(), { remediationId: restore.id })).rejects.toThrow(
      RestoreRefusedError,
    );
  });

  it('finds a remediation by event ID, trying the ID each rule and each quarantine would have given it', async () => {
    const record = remediation(DETACH);
    dynamo
      .on(GetItemCommand)
      .resolves({})
      .on(GetItemCommand, { Key: attributes({ id: record.id }) })
      .resolves(itemOutput(record));

    await expect(findRemediation(testDeps(), { eventId: EVENT_ID })).resolves.toEqual(record);
    const tried = dynamo.commandCalls(GetItemCommand).map((call) => call.args[0].input);
    expect(tried.map((input) => input.Key?.id?.S)).toEqual(remediationIdsOfEvent(EVENT_ID));
    expect(tried.every((input) => input.ConsistentRead === true)).toBe(true);
  });

  it('names every rule and every quarantine an event can have been recorded under', () => {
    expect(remediationIdsOfEvent(EVENT_ID)).toEqual([
      remediationId('access-keys', EVENT_ID),
      remediationId('access-keys', `${EVENT_ID}#quarantine`),
      remediationId('admin-policy', EVENT_ID),
      remediationId('admin-policy', `${EVENT_ID}#quarantine`),
      remediationId('inline-policy', EVENT_ID),
      remediationId('inline-policy', `${EVENT_ID}#quarantine`),
    ]);
  });

  it("finds a repeat offender's quarantine by the event that triggered it, when it is the only record", async () => {
    const quarantine = remediation(QUARANTINE, {
      id: remediationId('admin-policy', `${EVENT_ID}#quarantine`),
    });
    dynamo
      .on(GetItemCommand)
      .resolves({})
      .on(GetItemCommand, { Key: attributes({ id: quarantine.id }) })
      .resolves(itemOutput(quarantine));

    await expect(findRemediation(testDeps(), { eventId: EVENT_ID })).resolves.toEqual(quarantine);
  });

  it('lists, and takes none of, the records an event ID shares: the remediation and the quarantine', async () => {
    const detach = remediation(DETACH);
    const quarantine = remediation(QUARANTINE, {
      id: remediationId('admin-policy', `${EVENT_ID}#quarantine`),
    });
    dynamo
      .on(GetItemCommand)
      .resolves({})
      .on(GetItemCommand, { Key: attributes({ id: detach.id }) })
      .resolves(itemOutput(detach))
      .on(GetItemCommand, { Key: attributes({ id: quarantine.id }) })
      .resolves(itemOutput(quarantine));

    const found = findRemediation(testDeps(), { eventId: EVENT_ID });

    await expect(found).rejects.toThrow(AmbiguousRemediationError);
    await expect(found).rejects.toThrow(UsageError);
    await expect(found).rejects.toThrow(
      `event ${EVENT_ID} has 2 remediations; restore one by its remediation ID`,
    );
    await expect(found).rejects.toMatchObject({ candidates: [detach, quarantine] });
  });

  it('refuses an event ID no rule recorded a remediation for, after trying every rule', async () => {
    dynamo.on(GetItemCommand).resolves({});

    await expect(findRemediation(testDeps(), { eventId: EVENT_ID })).rejects.toThrow(
      `no remediation recorded for event ${EVENT_ID}`,
    );
    const tried = dynamo.commandCalls(GetItemCommand).map((call) => call.args[0].input.Key?.id?.S);
    expect(tried).toEqual(remediationIdsOfEvent(EVENT_ID));
  });
});

describe('restoreRemediation', () => {
  it('records the restore, then re-puts the identical document, then stamps the remediation', async () => {
    const record = remediation(DELETE);
    const log = recordWrites();
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iam.on(GetUserPolicyCommand).rejects(noSuchEntity());

    const result = await restoreRemediation(testDeps(), record, RESTORER);

    expect(log).toEqual(['audit: put restore record', 'iam: PutUserPolicy', 'audit: stamp remediation']);
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, {
      UserName: 'alice',
      PolicyName: 'S3All',
      PolicyDocument: DOCUMENT,
    });
    const restore: RestoreRecord = {
      kind: 'restore',
      id: `rst-${record.id.slice(4)}`,
      createdAt: NOW.toISOString(),
      resourceArn: 'arn:aws:iam::123456789012:user/alice',
      restores: record.id,
      restoredBy: RESTORER,
      graceUntil: '2025-06-02T12:00:00.000Z',
      rule: 'inline-policy',
      targets: ['inline-policy:S3All'],
      // The grace period covers this document only (a digest of exactly what was put back).
      states: [`inline-policy:S3All:sha256:${createHash('sha256').update(DOCUMENT).digest('hex')}`],
    };
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: AUDIT_TABLE,
      Item: attributes(restore),
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: AUDIT_TABLE,
      Key: attributes({ id: record.id }),
      UpdateExpression: 'SET restoredBy = :restore',
      ExpressionAttributeValues: attributes({ ':restore': restore.id }),
    });
    expect(result).toEqual({ remediation: record, restore, restored: DELETE, already: [] });
  });

  it.each([
    ['aws-cn', 'cn-north-1'],
    ['aws-us-gov', 'us-gov-west-1'],
  ])(
    "files the restore in the deployment's partition (%s), even for a record an earlier version filed under arn:aws",
    async (partition, region) => {
      recordWrites();
      iam.on(GetRoleCommand).resolves({ Role: undefined });
      iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
      const deps = testDeps({ env: { TOPIC_ARN: `arn:${partition}:sns:${region}:123456789012:iam-warden` } });

      const result = await restoreRemediation(deps, remediation(DETACH), RESTORER);

      // Where the restore's own AttachRolePolicy event, concluded in this deployment, looks for its grace period.
      expect(result.restore.resourceArn).toBe(`arn:${partition}:iam::123456789012:role/deploy`);
    },
  );

  it('re-attaches a detached policy after recording the restore', async () => {
    const log = recordWrites();
    iam.on(GetRoleCommand).resolves({ Role: undefined });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });

    await restoreRemediation(testDeps(), remediation(DETACH), RESTORER);

    expect(log).toEqual(['audit: put restore record', 'iam: AttachRolePolicy', 'audit: stamp remediation']);
    expect(iam).toHaveReceivedCommandWith(AttachRolePolicyCommand, { RoleName: 'deploy', PolicyArn: ADMIN });
  });

  it('ends the grace period it started when IAM refuses the restore, and rethrows', async () => {
    recordWrites();
    iam.on(GetRoleCommand).resolves({ Role: undefined });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    const refusal = new Error('AccessDenied');
    iam.on(AttachRolePolicyCommand).rejects(refusal);

    await expect(restoreRemediation(testDeps(), remediation(DETACH), RESTORER)).rejects.toBe(refusal);

    const puts = putItems<RestoreRecord>(dynamo);
    expect(puts).toHaveLength(2);
    expect((puts[0]?.graceUntil ?? '') > NOW.toISOString()).toBe(true);
    expect(puts[1]).toMatchObject({ id: puts[0]?.id, graceUntil: NOW.toISOString() });
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('reactivates only the keys still inactive after recording the restore, and reports the others', async () => {
    const log = recordWrites();
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [keyMetadata('AKIAONE', 'Active'), keyMetadata('AKIATWO', 'Inactive')],
    });

    const result = await restoreRemediation(testDeps(), remediation(KEYS), RESTORER);

    expect(log).toEqual(['audit: put restore record', 'iam: UpdateAccessKey', 'audit: stamp remediation']);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      UserName: 'alice',
      AccessKeyId: 'AKIATWO',
      Status: 'Active',
    });
    expect(result.already).toEqual(['AKIAONE is Active already']);
  });

  it('records a restore without touching IAM when everything is back already', async () => {
    const log = recordWrites();
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent(DOCUMENT) });

    const result = await restoreRemediation(testDeps(), remediation(DELETE), RESTORER);

    expect(log).toEqual(['audit: put restore record', 'audit: stamp remediation']);
    expect(result.restored).toBeUndefined();
    expect(result.already).toEqual(['inline policy S3All is back already, identical']);
  });

  it('counts the grace period from the clock, for the configured hours', async () => {
    recordWrites();
    iam.on(GetRoleCommand).resolves({});
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    const deps = testDeps({ env: { RESTORE_GRACE_HOURS: '2' } });

    const { restore } = await restoreRemediation(deps, remediation(DETACH), RESTORER);

    expect(restore.graceUntil).toBe('2025-06-01T14:00:00.000Z');
  });

  it('refuses, writing nothing to the table or IAM, when a different policy of the same name is there', async () => {
    const log = recordWrites();
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent('{"Statement":[]}') });

    const restoring = restoreRemediation(testDeps(), remediation(DELETE), RESTORER);

    await expect(restoring).rejects.toThrow(RestoreRefusedError);
    await expect(restoring).rejects.toThrow(
      /^cannot restore rem-[0-9a-f]{20}: user alice has an inline policy S3All again, with a different document/,
    );
    expect(log).toEqual([]);
  });

  it('refuses a remediation restored already, writing nothing', async () => {
    const log = recordWrites();
    iam.on(GetRoleCommand).resolves({});
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });

    const restoring = restoreRemediation(
      testDeps(),
      remediation(DETACH, { restoredBy: 'rst-00000000000000000000' }),
      RESTORER,
    );

    await expect(restoring).rejects.toThrow('was restored already (rst-00000000000000000000)');
    expect(log).toEqual([]);
  });

  it.each([
    [
      'another account',
      'arn:aws:sts::210987654321:assumed-role/SecurityEngineer/jane',
      'is a remediation in account 123456789012, and these credentials act in account 210987654321',
    ],
    ['no account', 'jane', 'the restorer jane names no account'],
  ])('refuses a restorer of %s before reading or writing anything', async (_case, restorer, reason) => {
    const log = recordWrites();

    const restoring = restoreRemediation(testDeps(), remediation(DETACH), restorer);

    await expect(restoring).rejects.toThrow(RestoreRefusedError);
    await expect(restoring).rejects.toThrow(reason);
    expect(log).toEqual([]);
    expect(iam).not.toHaveReceivedAnyCommand();
  });

  it('changes nothing in IAM when the restore cannot be recorded', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    iam.on(GetRoleCommand).resolves({});
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });

    const restoring = restoreRemediation(testDeps(), remediation(DETACH), RESTORER);

    await expect(restoring).rejects.toThrow(AuditWriteError);
    await expect(restoring).rejects.toThrow(
      /could not record the restore of rem-[0-9a-f]{20}; nothing was changed/,
    );
    expect(iam).not.toHaveReceivedCommand(AttachRolePolicyCommand);
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  });
});

describe('listHistory', () => {
  const older: AuditRecord = remediation(DELETE, { createdAt: '2025-05-01T00:00:00.000Z' });
  const newer: RestoreRecord = {
    kind: 'restore',
    id: `rst-${older.id.slice(4)}`,
    createdAt: '2025-05-02T00:00:00.000Z',
    resourceArn: older.resourceArn,
    restores: older.id,
    restoredBy: RESTORER,
    graceUntil: '2025-05-03T00:00:00.000Z',
  };

  it("queries one resource's entries through the byResource index, newest first", async () => {
    dynamo.on(QueryCommand).resolves(itemsOutput([{ ...newer }, { ...older }]));

    const entries = await listHistory(testDeps(), {
      resourceArn: older.resourceArn,
      since: '2025-04-01T00:00:00.000Z',
    });

    expect(entries).toEqual([newer, older]);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: AUDIT_TABLE,
      IndexName: 'byResource',
      KeyConditionExpression: 'resourceArn = :arn AND createdAt >= :since',
      ExpressionAttributeValues: attributes({
        ':arn': older.resourceArn,
        ':since': '2025-04-01T00:00:00.000Z',
      }),
      ScanIndexForward: false,
    });
    expect(dynamo).not.toHaveReceivedCommand(ScanCommand);
  });

  it("queries in the deployment's partition, and also the arn:aws twin earlier versions wrote there", async () => {
    const legacy = { ...older, createdAt: '2025-04-15T00:00:00.000Z' };
    const current = { ...newer, resourceArn: 'arn:aws-us-gov:iam::123456789012:user/alice' };
    dynamo
      .on(QueryCommand, {
        ExpressionAttributeValues: attributes({ ':arn': current.resourceArn, ':since': '0000' }),
      })
      .resolves(itemsOutput([{ ...current }]))
      .on(QueryCommand, {
        ExpressionAttributeValues: attributes({ ':arn': older.resourceArn, ':since': '0000' }),
      })
      .resolves(itemsOutput([{ ...legacy }]));
    const deps = testDeps({ env: { TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:iam-warden' } });

    // Given in the aws partition (as typed, or copied from an old record): looked up in the deployment's too.
    const entries = await listHistory(deps, { resourceArn: older.resourceArn });

    expect(entries).toEqual([current, legacy]);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 2);
  });

  it('scans every page of the whole table and sorts newest first', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ ...itemsOutput([{ ...older }]), LastEvaluatedKey: attributes({ id: older.id }) })
      .resolvesOnce(itemsOutput([{ ...newer }]));

    const entries = await listHistory(testDeps(), {});

    expect(entries).toEqual([newer, older]);
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 2);
    expect(dynamo).toHaveReceivedNthCommandWith(ScanCommand, 2, {
      ExclusiveStartKey: attributes({ id: older.id }),
    });
  });

  it('scans from the given time on', async () => {
    dynamo.on(ScanCommand).resolves(itemsOutput([]));

    await listHistory(testDeps(), { since: '2025-05-01T12:00:00.000Z' });

    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      FilterExpression: 'createdAt >= :since',
      ExpressionAttributeValues: attributes({ ':since': '2025-05-01T12:00:00.000Z' }),
    });
  });
});

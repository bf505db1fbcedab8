import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AttachRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  ServiceFailureException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AuditRecord, remediationId } from '../../../lib/audit.js';
import { describeRestore, parseRestoreArgs } from '../../../lib/cli/restore.js';
import { helpText, runCli } from '../../../lib/cli/run.js';
import { UsageError } from '../../../lib/errors.js';
import type { Action } from '../../../lib/plan.js';
import { AUDIT_TABLE, TEST_ENV, testClients } from '../../support/deps.js';
import { attributes, itemOutput } from '../../support/dynamo.js';

const iam = mockClient(IAMClient);
const dynamo = mockClient(DynamoDBClient);
const sts = mockClient(STSClient);

const CALLER = 'arn:aws:sts::123456789012:assumed-role/SecurityEngineer/jane';
const EVENT_ID = '7ee6ba6e-1943-417a-a6a3-3a2b0292cdac';
const ID = remediationId('inline-policy', EVENT_ID);
const DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}';
const DELETE: Action = {
  kind: 'delete-inline-policy',
  userName: 'alice',
  policyName: 'S3All',
  policyDocument: DOCUMENT,
};
const RECORD: AuditRecord = {
  kind: 'remediation',
  id: ID,
  createdAt: '2025-05-31T12:00:00.000Z',
  rule: 'inline-policy',
  mode: 'enforce',
  status: 'applied',
  resourceArn: 'arn:aws:iam::123456789012:user/alice',
  resource: { type: 'user', name: 'alice' },
  action: DELETE,
  reason: 'user alice was given inline policy S3All',
  trigger: {
    eventId: EVENT_ID,
    eventName: 'PutUserPolicy',
    eventTime: '2025-05-31T11:59:58Z',
    principalArn: 'arn:aws:iam::123456789012:user/mallory',
  },
  notifiedAt: '2025-05-31T12:00:01.000Z',
};

beforeEach(() => {
  iam.reset();
  dynamo.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '123456789012', UserId: 'AROA:jane' });
  dynamo
    .on(GetItemCommand)
    .resolves({})
    .on(GetItemCommand, { Key: attributes({ id: ID }) })
    .resolves(itemOutput(RECORD));
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({});
  // The user exists and has no inline policy of that name: a restore is safe.
  iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
  iam
    .on(GetUserPolicyCommand)
    .rejects(new NoSuchEntityException({ message: 'The user policy cannot be found.', $metadata: {} }));
  iam.on(PutUserPolicyCommand).resolves({});
});

async function run(argv: string[], env: Record<string, string | undefined> = TEST_ENV) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clients: testClients(),
    sts: new STSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
  });
  return { status, stdout, stderr };
}

function expectNoWrites(): void {
  expect(dynamo).not.toHaveReceivedCommand(PutItemCommand);
  expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  expect(iam).not.toHaveReceivedCommand(PutUserPolicyCommand);
  expect(iam).not.toHaveReceivedCommand(AttachRolePolicyCommand);
  expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
}

describe('parseRestoreArgs', () => {
  it('takes a remediation ID', () => {
    expect(parseRestoreArgs([ID])).toEqual({ target: { remediationId: ID }, dryRun: false, now: undefined });
  });

  it('takes --event-id, --dry-run and --now', () => {
    expect(parseRestoreArgs(['--event-id', EVENT_ID, '--dry-run', '--now', '2025-09-01T00:00:00Z'])).toEqual({
      target: { eventId: EVENT_ID },
      dryRun: true,
      now: new Date('2025-09-01T00:00:00Z'),
    });
  });

  it.each([
    [[], 'restore needs a remediation ID (rem-...) or --event-id <id>'],
    [[ID, '--event-id', EVENT_ID], 'restore takes a remediation ID or --event-id, not both'],
    [[ID, ID], 'too many arguments. Expected 1 argument but got 2'],
    [
      ['rst-0123456789abcdef0123'],
      'rst-0123456789abcdef0123 is a restore record; restore takes the ID of a remediation (rem-...)',
    ],
    [['rem-XYZ'], 'rem-XYZ is not a remediation ID: they look like rem-0123456789abcdef0123'],
    [['--event-id', ' '], '--event-id needs a CloudTrail event ID'],
    [
      [ID, '--now', 'yesterday'],
      '--now yesterday: give an ISO 8601 date or a date-time with its zone, like 2025-06-01T00:00:00Z',
    ],
    [[ID, '--force'], "unknown option '--force'"],
    [['--event-id'], "option '--event-id <id>' argument missing"],
  ])('rejects %j: %s', (args, message) => {
    expect(() => parseRestoreArgs(args)).toThrow(UsageError);
    expect(() => parseRestoreArgs(args)).toThrow(message);
  });
});

describe('describeRestore', () => {
  it('says each key it reactivates, the policy it re-attaches, the document it re-puts', () => {
    const keys: Action = {
      kind: 'deactivate-keys',
      userName: 'bob',
      keys: [
        { accessKeyId: 'AKIAONE', createDate: '2024-01-01T00:00:00.000Z', ageDays: 517 },
        { accessKeyId: 'AKIATWO', createDate: '2024-02-01T00:00:00.000Z', ageDays: 486 },
      ],
    };
    const detach: Action = {
      kind: 'detach-policy',
      roleName: 'deploy',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    };

    expect(describeRestore(keys, true)).toEqual([
      'reactivated access key AKIAONE of user bob',
      'reactivated access key AKIATWO of user bob',
    ]);
    expect(describeRestore(keys, false)).toEqual([
      'reactivate access key AKIAONE of user bob',
      'reactivate access key AKIATWO of user bob',
    ]);
    expect(describeRestore(detach, true)).toEqual([
      're-attached arn:aws:iam::aws:policy/AdministratorAccess to role deploy',
    ]);
    expect(describeRestore(DELETE, false)).toEqual([
      `re-put inline policy S3All of user alice: the saved document, ${DOCUMENT.length} characters, byte for byte`,
    ]);
  });
});

describe('iam-warden restore', () => {
  it('puts the document back, records the caller as the restorer, and says so with the grace period', async () => {
    const result = await run(['restore', ID]);

    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout.split('\n')).toEqual([
      `Restored ${ID} (inline-policy, user alice; PutUserPolicy ${EVENT_ID} by arn:aws:iam::123456789012:user/mallory at 2025-05-31T11:59:58Z)`,
      `  put back:     re-put inline policy S3All of user alice: the saved document, ${DOCUMENT.length} characters, byte for byte`,
      `Recorded as rst-${ID.slice(4)}, by ${CALLER}.`,
      expect.stringMatching(
        /^Grace period: until \S+Z \(24 hours\), iam-warden only notifies about changes to inline policy S3All of user alice and does not undo this restore; the rest of user alice is guarded as usual\.$/,
      ),
      '',
    ]);
    expect(iam).toHaveReceivedCommandWith(PutUserPolicyCommand, {
      UserName: 'alice',
      PolicyName: 'S3All',
      PolicyDocument: DOCUMENT,
    });
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: AUDIT_TABLE,
      Item: expect.objectContaining(attributes({ kind: 'restore', restores: ID, restoredBy: CALLER })),
    });
  });

  it('records the restore at --now, with the grace period counted from it', async () => {
    const result = await run(['restore', ID, '--now', '2025-09-01T00:00:00Z']);

    expect(result.status).toBe(0);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining(
        attributes({
          createdAt: '2025-09-01T00:00:00.000Z',
          graceUntil: '2025-09-02T00:00:00.000Z',
        }),
      ),
    });
    expect(result.stdout).toContain('Grace period: until 2025-09-02T00:00:00.000Z (24 hours)');
  });

  it('reports what was back already and puts back only the rest', async () => {
    const keys: Action = {
      kind: 'deactivate-keys',
      userName: 'alice',
      keys: [
        { accessKeyId: 'AKIAONE', createDate: '2024-01-01T00:00:00.000Z', ageDays: 517 },
        { accessKeyId: 'AKIATWO', createDate: '2024-02-01T00:00:00.000Z', ageDays: 486 },
      ],
    };
    dynamo
      .on(GetItemCommand, { Key: attributes({ id: ID }) })
      .resolves(itemOutput({ ...RECORD, action: keys }));
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: 'AKIAONE', Status: 'Active', CreateDate: new Date('2024-01-01T00:00:00Z') },
        { AccessKeyId: 'AKIATWO', Status: 'Inactive', CreateDate: new Date('2024-02-01T00:00:00Z') },
      ],
    });
    iam.on(UpdateAccessKeyCommand).resolves({});

    const result = await run(['restore', ID]);

    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      '  put back:     reactivated access key AKIATWO of user alice\n  already back: AKIAONE is Active already\n',
    );
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
  });

  it('finds the remediation by --event-id', async () => {
    const result = await run(['restore', '--event-id', EVENT_ID]);

    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Restored ${ID} (inline-policy, user alice;`);
  });

  it('with --dry-run says what it would put back, and writes nothing (STS is only asked whose account it is)', async () => {
    const result = await run(['restore', ID, '--dry-run']);

    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout.split('\n')).toEqual([
      `Dry run, nothing changed: would restore ${ID} (inline-policy, user alice; PutUserPolicy ${EVENT_ID} by arn:aws:iam::123456789012:user/mallory at 2025-05-31T11:59:58Z)`,
      `  put back:     re-put inline policy S3All of user alice: the saved document, ${DOCUMENT.length} characters, byte for byte`,
      'Would record the restore; iam-warden would then only notify about changes to inline policy S3All of user alice for 24 hours.',
      '',
    ]);
    expectNoWrites();
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });

  it('refuses with the reason, exit status 1, and writes nothing when a different policy is there', async () => {
    iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent('{"Statement":[]}') });

    const result = await run(['restore', ID]);

    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: `iam-warden: refused: cannot restore ${ID}: user alice has an inline policy S3All again, with a different document; restoring would overwrite it. Nothing was changed.\n`,
    });
    expectNoWrites();
  });

  it('refuses a dry run the same way', async () => {
    dynamo
      .on(GetItemCommand, { Key: attributes({ id: ID }) })
      .resolves(itemOutput({ ...RECORD, restoredBy: 'rst-1' }));

    const result = await run(['restore', ID, '--dry-run']);

    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: `iam-warden: refused: cannot restore ${ID}: ${ID} was restored already (rst-1). Nothing was changed.\n`,
    });
  });

  it.each([
    ['a restore', [ID]],
    ['a dry run', [ID, '--dry-run']],
    ['a restore by event ID', ['--event-id', EVENT_ID]],
  ])('refuses %s of another account than the credentials', async (_case, args) => {
    sts.on(GetCallerIdentityCommand).resolves({
      Arn: 'arn:aws:sts::210987654321:assumed-role/SecurityEngineer/jane',
      Account: '210987654321',
    });

    const result = await run(['restore', ...args]);

    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: `iam-warden: refused: cannot restore ${ID}: ${ID} is a remediation in account 123456789012, and these credentials act in account 210987654321: restoring would change the wrong account. Run the restore with credentials for account 123456789012. Nothing was changed.\n`,
    });
    expectNoWrites();
    expect(iam).not.toHaveReceivedAnyCommand();
  });

  it('lists the records an event ID shares and asks for a remediation ID, exit status 2, touching nothing', async () => {
    const quarantineId = remediationId('inline-policy', `${EVENT_ID}#quarantine`);
    const quarantine: AuditRecord = {
      ...RECORD,
      id: quarantineId,
      resourceArn: 'arn:aws:iam::123456789012:user/mallory',
      resource: { type: 'user', name: 'mallory' },
      action: {
        kind: 'quarantine',
        principalType: 'user',
        principalName: 'mallory',
        policyArn: 'arn:aws:iam::123456789012:policy/iam-warden-quarantine',
      },
    };
    dynamo.on(GetItemCommand, { Key: attributes({ id: quarantineId }) }).resolves(itemOutput(quarantine));

    const result = await run(['restore', '--event-id', EVENT_ID]);

    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      `iam-warden: event ${EVENT_ID} has 2 remediations; restore one by its remediation ID (iam-warden restore <ID>); nothing was changed:`,
      '  ID                        RULE           RESOURCE                                STATUS   WHAT',
      `  ${ID}  inline-policy  arn:aws:iam::123456789012:user/alice    applied  deleted inline policy S3All of user alice`,
      `  ${quarantineId}  inline-policy  arn:aws:iam::123456789012:user/mallory  applied  quarantined user mallory (arn:aws:iam::123456789012:policy/iam-warden-quarantine)`,
      '',
    ]);
    expectNoWrites();
    expect(sts).not.toHaveReceivedCommand(GetCallerIdentityCommand);
  });

  it('refuses an ID nothing is recorded under', async () => {
    const result = await run(['restore', 'rem-00000000000000000000']);

    expect(result).toMatchObject({
      status: 1,
      stderr:
        'iam-warden: refused: no remediation recorded for rem-00000000000000000000. Nothing was changed.\n',
    });
  });

  it('reports an IAM failure after the restore was recorded, with exit status 1', async () => {
    iam
      .on(PutUserPolicyCommand)
      .rejects(new ServiceFailureException({ message: 'IAM is down', $metadata: {} }));

    const result = await run(['restore', ID]);

    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: 'iam-warden: restore failed: ServiceFailureException: IAM is down\n',
    });
    expect(dynamo).toHaveReceivedCommand(PutItemCommand);
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('prints its usage for --help', async () => {
    const result = await run(['restore', '--help']);

    expect(result).toEqual({ status: 0, stdout: helpText('restore'), stderr: '' });
  });

  it('exits 2 with the problem and a hint on one line for a bad command line, touching nothing', async () => {
    const result = await run(['restore', 'rem-1']);

    expect(result).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'iam-warden: rem-1 is not a remediation ID: they look like rem-0123456789abcdef0123 (see iam-warden restore --help)\n',
    });
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 and says what to set when the configuration is missing', async () => {
    const result = await run(['restore', ID], { ...TEST_ENV, AUDIT_TABLE: undefined });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('AUDIT_TABLE');
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });
});

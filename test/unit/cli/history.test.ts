import { DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord, RestoreRecord } from '../../../lib/audit.js';
import {
  countLine,
  historyTable,
  parseHistoryArgs,
  parseResource,
  parseSince,
} from '../../../lib/cli/history.js';
import { helpText, runCli } from '../../../lib/cli/run.js';
import { UsageError } from '../../../lib/errors.js';
import { AUDIT_TABLE, TEST_ENV, testClients } from '../../support/deps.js';
import { attributes, itemsOutput } from '../../support/dynamo.js';

const dynamo = mockClient(DynamoDBClient);
const sts = mockClient(STSClient);

const ALICE = 'arn:aws:iam::123456789012:user/alice';

const REMEDIATION: AuditRecord = {
  kind: 'remediation',
  id: 'rem-0123456789abcdef0123',
  createdAt: '2025-05-31T12:00:00.000Z',
  rule: 'inline-policy',
  mode: 'enforce',
  status: 'applied',
  resourceArn: ALICE,
  resource: { type: 'user', name: 'alice' },
  action: { kind: 'delete-inline-policy', userName: 'alice', policyName: 'S3All', policyDocument: '{}' },
  reason: 'user alice was given inline policy S3All',
  trigger: {
    eventId: '7ee6ba6e-1943-417a-a6a3-3a2b0292cdac',
    eventName: 'PutUserPolicy',
    eventTime: '2025-05-31T11:59:58Z',
    principalArn: 'arn:aws:iam::123456789012:user/mallory',
  },
  notifiedAt: '2025-05-31T12:00:01.000Z',
  restoredBy: 'rst-0123456789abcdef0123',
};
const RESTORE: RestoreRecord = {
  kind: 'restore',
  id: 'rst-0123456789abcdef0123',
  createdAt: '2025-06-01T09:00:00.000Z',
  resourceArn: ALICE,
  restores: REMEDIATION.id,
  restoredBy: 'arn:aws:sts::123456789012:assumed-role/SecurityEngineer/jane',
  graceUntil: '2025-06-02T09:00:00.000Z',
};

beforeEach(() => {
  dynamo.reset();
  sts.reset();
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Arn: 'arn:aws:iam::123456789012:user/jane', Account: '123456789012' });
  dynamo.on(QueryCommand).resolves(itemsOutput([{ ...RESTORE }, { ...REMEDIATION }]));
  dynamo.on(ScanCommand).resolves(itemsOutput([{ ...REMEDIATION }, { ...RESTORE }]));
});

function run(argv: string[]) {
  return runIn(TEST_ENV.TOPIC_ARN, argv);
}

/** Run the CLI in a deployment whose topic (hence partition) is `topicArn`. */
async function runIn(topicArn: string | undefined, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    env: { ...TEST_ENV, TOPIC_ARN: topicArn },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clients: testClients(),
    sts: new STSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
  });
  return { status, stdout, stderr };
}

describe('parseResource', () => {
  it('takes user/NAME and role/NAME, names with every character IAM allows', () => {
    expect(parseResource('user/a+b=c,d.e@f_g-h')).toEqual({
      kind: 'name',
      type: 'user',
      name: 'a+b=c,d.e@f_g-h',
    });
    expect(parseResource('role/deploy')).toEqual({ kind: 'name', type: 'role', name: 'deploy' });
  });

  it('takes an ARN and files it without its path, as records are filed', () => {
    expect(parseResource('arn:aws:iam::123456789012:user/division/team/alice')).toEqual({
      kind: 'arn',
      arn: ALICE,
    });
    expect(parseResource('arn:aws-cn:iam::123456789012:role/deploy')).toEqual({
      kind: 'arn',
      arn: 'arn:aws-cn:iam::123456789012:role/deploy',
    });
    expect(parseResource('arn:aws:iam::123456789012:root')).toEqual({
      kind: 'arn',
      arn: 'arn:aws:iam::123456789012:root',
    });
  });

  it.each([
    'alice',
    'group/admins',
    'user/',
    'user/al ice',
    'arn:aws:iam::123456789012:group/admins',
    'arn:aws:s3:::bucket',
  ])('rejects %s', (value) => {
    expect(() => parseResource(value)).toThrow(UsageError);
    expect(() => parseResource(value)).toThrow(
      `--resource ${value}: give user/NAME, role/NAME or an IAM user or role ARN`,
    );
  });
});

describe('parseSince', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['12h', 12 * 3_600_000],
    ['7d', 7 * 86_400_000],
    ['2w', 14 * 86_400_000],
  ])('takes the span %s', (value, ms) => {
    expect(parseSince(value)).toEqual({ kind: 'ago', ms, text: value });
  });

  it('takes an ISO date or date-time', () => {
    expect(parseSince('2025-06-01')).toEqual({ kind: 'at', time: new Date('2025-06-01T00:00:00Z') });
    expect(parseSince('2025-06-01T12:00:00+02:00')).toEqual({
      kind: 'at',
      time: new Date('2025-06-01T10:00:00Z'),
    });
  });

  it.each(['7', '7x', 'd7', 'yesterday', '2025-13-45'])('rejects %s', (value) => {
    expect(() => parseSince(value)).toThrow(UsageError);
  });
});

describe('parseHistoryArgs', () => {
  it('defaults to everything, as a table', () => {
    expect(parseHistoryArgs([])).toEqual({
      resource: undefined,
      since: undefined,
      json: false,
      now: undefined,
    });
  });

  it('rejects arguments that are not options, and unknown options', () => {
    expect(() => parseHistoryArgs(['user/alice'])).toThrow(
      'too many arguments. Expected 0 arguments but got 1',
    );
    expect(() => parseHistoryArgs(['--user', 'alice'])).toThrow(UsageError);
  });
});

describe('historyTable', () => {
  it('aligns the columns and names what each record did', () => {
    expect(historyTable([RESTORE, REMEDIATION])).toEqual([
      'TIME                      ID                        RULE           STATUS    RESOURCE    WHAT',
      `2025-06-01T09:00:00.000Z  rst-0123456789abcdef0123  inline-policy  restore   user/alice  put back rem-0123456789abcdef0123, by ${RESTORE.restoredBy}; iam-warden only notifies until 2025-06-02T09:00:00.000Z`,
      '2025-05-31T12:00:00.000Z  rem-0123456789abcdef0123  inline-policy  restored  user/alice  deleted inline policy S3All of user alice (document saved first); restored (rst-0123456789abcdef0123)',
    ]);
  });

  it('says what a remediation would have done, failed to do, or has not finished', () => {
    const { restoredBy: _, ...applied } = REMEDIATION;
    const rows = historyTable([
      { ...applied },
      { ...applied, status: 'notified-only', mode: 'notify' },
      { ...applied, status: 'failed', error: 'AccessDenied: no' },
      { ...applied, status: 'pending' },
    ] satisfies AuditRecord[]).map((row) => row.replace(/ {2,}/g, ' | '));

    expect(rows.slice(1)).toEqual([
      `${applied.createdAt} | ${applied.id} | inline-policy | applied | user/alice | deleted inline policy S3All of user alice (document saved first)`,
      `${applied.createdAt} | ${applied.id} | inline-policy | notified-only | user/alice | would delete inline policy S3All of user alice (document saved first) (notify mode)`,
      `${applied.createdAt} | ${applied.id} | inline-policy | failed | user/alice | failed to delete inline policy S3All of user alice (document saved first): AccessDenied: no`,
      `${applied.createdAt} | ${applied.id} | inline-policy | pending | user/alice | delete inline policy S3All of user alice (document saved first): not finished`,
    ]);
  });

  it('tells of the notify-only decision an enforcing run of the same event replaced', () => {
    const { restoredBy: _, ...applied } = REMEDIATION;
    const notifiedOnly = { createdAt: '2025-05-30T08:00:00.000Z', reason: 'would have' };

    const [, row] = historyTable([{ ...applied, notifiedOnly }]);

    expect(row).toMatch(
      /applied +user\/alice +deleted inline policy S3All of user alice \(document saved first\); notify-only at 2025-05-30T08:00:00.000Z before$/,
    );
  });

  it('shows - as the rule of a restore whose remediation is not listed', () => {
    const [, row] = historyTable([RESTORE]);

    expect(row?.split(/ {2,}/).slice(1, 4)).toEqual(['rst-0123456789abcdef0123', '-', 'restore']);
  });
});

describe('countLine', () => {
  it('counts notify-only records apart from the remediations that changed IAM', () => {
    const notifyOnly: AuditRecord = { ...REMEDIATION, id: 'rem-1', status: 'notified-only', mode: 'notify' };
    expect(countLine([RESTORE, REMEDIATION, notifyOnly, { ...notifyOnly, id: 'rem-2' }])).toBe(
      '1 remediation, 2 notify-only, 1 restore',
    );
    expect(countLine([REMEDIATION])).toBe('1 remediation, 0 restores');
    expect(countLine([notifyOnly])).toBe('0 remediations, 1 notify-only, 0 restores');
  });
});

describe('iam-warden history', () => {
  it("lists one user's records through the index, in the caller's account", async () => {
    const result = await run(['history', '--resource', 'user/alice']);

    expect(result.status).toBe(0);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: AUDIT_TABLE,
      IndexName: 'byResource',
      ExpressionAttributeValues: attributes({ ':arn': ALICE, ':since': '0000' }),
    });
    expect(result.stdout.split('\n')).toEqual([
      ...historyTable([RESTORE, REMEDIATION]),
      `1 remediation, 1 restore for ${ALICE}.`,
      '',
    ]);
  });

  it("files user/NAME under the caller's account and the deployment's partition", async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: 'arn:aws:iam::210987654321:user/jane', Account: '210987654321' });

    await runIn('arn:aws-us-gov:sns:us-gov-west-1:210987654321:iam-warden', [
      'history',
      '--resource',
      'role/deploy',
    ]);

    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: attributes({
        ':arn': 'arn:aws-us-gov:iam::210987654321:role/deploy',
        ':since': '0000',
      }),
    });
  });

  it("looks an ARN up in the deployment's partition", async () => {
    const result = await runIn('arn:aws-cn:sns:cn-north-1:123456789012:iam-warden', [
      'history',
      '--resource',
      ALICE,
    ]);

    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: attributes({
        ':arn': 'arn:aws-cn:iam::123456789012:user/alice',
        ':since': '0000',
      }),
    });
    expect(result.stdout).toContain('for arn:aws-cn:iam::123456789012:user/alice.');
  });

  it('does not ask STS when given an ARN', async () => {
    await run(['history', '--resource', ALICE]);

    expect(sts).not.toHaveReceivedCommand(GetCallerIdentityCommand);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: attributes({ ':arn': ALICE, ':since': '0000' }),
    });
  });

  it('counts --since back from --now and prints one record per line with --json', async () => {
    const result = await run(['history', '--since', '7d', '--now', '2025-06-08T09:00:00Z', '--json']);

    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      ExpressionAttributeValues: attributes({ ':since': '2025-06-01T09:00:00.000Z' }),
    });
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([RESTORE, REMEDIATION]);
  });

  it('says when there is nothing to list', async () => {
    dynamo.on(ScanCommand).resolves(itemsOutput([]));

    const result = await run(['history', '--since', '2025-06-01']);

    expect(result).toEqual({
      status: 0,
      stdout: 'No audit records since 2025-06-01T00:00:00.000Z.\n',
      stderr: '',
    });
  });

  it('prints its usage for --help and exits 2 on a bad option', async () => {
    expect(await run(['history', '-h'])).toEqual({ status: 0, stdout: helpText('history'), stderr: '' });

    const bad = await run(['history', '--since', 'last week']);

    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'iam-warden: --since last week: give an ISO 8601 time (2025-06-01T00:00:00Z) or a span: 30m, 12h, 7d, 2w (see iam-warden history --help)\n',
    );
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });
});

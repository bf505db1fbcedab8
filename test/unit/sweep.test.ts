import {
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CredentialReportNotReadyException,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
  GetCredentialReportCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AuditRecord, remediationId } from '../../lib/audit.js';
import { AwsCallError } from '../../lib/errors.js';
import { RateLimiter } from '../../lib/rate-limit.js';
import { runSweep } from '../../lib/sweep.js';
import { DAY_MS, NOW, testDeps } from '../support/deps.js';
import { attributes, itemOutput, itemsOutput, putItems } from '../support/dynamo.js';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const ACCOUNT = '123456789012';
/** The organization's management account, trusted by the member-account roles AWS's tools create. */
const MANAGEMENT = '999988887777';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const OLD = new Date(NOW.getTime() - 200 * DAY_MS);
const YOUNG = new Date(NOW.getTime() - 10 * DAY_MS);
const ALLOW = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
});
const DENY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
});

const REPORT_HEADER =
  'user,arn,user_creation_time,password_enabled,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated';

type Slot = [active: boolean, created: Date | undefined];

function reportRow(name: string, key1: Slot = [false, undefined], key2: Slot = [false, undefined]): string {
  const arn =
    name === '<root_account>' ? `arn:aws:iam::${ACCOUNT}:root` : `arn:aws:iam::${ACCOUNT}:user/${name}`;
  const slot = ([active, created]: Slot) => `${active},${created ? created.toISOString() : 'N/A'}`;
  return `${name},${arn},${OLD.toISOString()},false,${slot(key1)},${slot(key2)}`;
}

function report(rows: string[]): void {
  iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  iam.on(GetCredentialReportCommand).resolves({
    Content: new TextEncoder().encode([REPORT_HEADER, ...rows].join('\n')),
    GeneratedTime: new Date(NOW.getTime() - 3_600_000),
    ReportFormat: 'text/csv',
  });
}

interface SeedUser {
  name: string;
  policies?: Record<string, string>;
}

interface SeedRole {
  name: string;
  path?: string;
  attached?: string[];
  /** The principal its trust policy admits; an EC2 instance role's by default. */
  trusts?: unknown;
}

function detailsPage(users: SeedUser[], roles: SeedRole[]): GetAccountAuthorizationDetailsCommandOutput {
  return {
    $metadata: {},
    IsTruncated: false,
    UserDetailList: users.map((user) => ({
      UserName: user.name,
      UserId: `AIDA${user.name}`,
      Path: '/',
      Arn: `arn:aws:iam::${ACCOUNT}:user/${user.name}`,
      CreateDate: OLD,
      UserPolicyList: Object.entries(user.policies ?? {}).map(([PolicyName, document]) => ({
        PolicyName,
        PolicyDocument: encodeURIComponent(document),
      })),
    })),
    RoleDetailList: roles.map((role) => ({
      RoleName: role.name,
      RoleId: `AROA${role.name}`,
      Path: role.path ?? '/',
      Arn: `arn:aws:iam::${ACCOUNT}:role${role.path ?? '/'}${role.name}`,
      CreateDate: OLD,
      AttachedManagedPolicies: (role.attached ?? [ADMIN]).map((PolicyArn) => ({
        PolicyArn,
        PolicyName: PolicyArn.split('/').at(-1),
      })),
      // URL-encoded, as IAM returns every policy document.
      AssumeRolePolicyDocument: encodeURIComponent(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: role.trusts ?? { Service: 'ec2.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      ),
    })),
  };
}

function details(users: SeedUser[], roles: SeedRole[] = []): void {
  iam.on(GetAccountAuthorizationDetailsCommand).resolves(detailsPage(users, roles));
}

function liveKeys(
  userName: string,
  keys: [id: string, created: Date, status?: 'Active' | 'Inactive'][],
): void {
  iam.on(ListAccessKeysCommand, { UserName: userName }).resolves({
    AccessKeyMetadata: keys.map(([AccessKeyId, CreateDate, Status = 'Active']) => ({
      UserName: userName,
      AccessKeyId,
      CreateDate,
      Status,
    })),
    IsTruncated: false,
  });
}

function liveRole(name: string, attached = [ADMIN]): void {
  iam.on(ListAttachedRolePoliciesCommand, { RoleName: name }).resolves({
    AttachedPolicies: attached.map((PolicyArn) => ({ PolicyArn })),
    IsTruncated: false,
  });
}

function livePolicy(userName: string, policyName: string, document: string): void {
  iam
    .on(GetUserPolicyCommand, { UserName: userName, PolicyName: policyName })
    .resolves({ UserName: userName, PolicyName: policyName, PolicyDocument: encodeURIComponent(document) });
}

/** A small account: one offender per rule, plus their look-alikes that are fine. */
function smallAccount(): void {
  report([
    reportRow('old-keys', [true, OLD], [true, YOUNG]),
    reportRow('young-keys', [true, YOUNG]),
    reportRow('inactive-old-key', [false, OLD]),
    reportRow('inline'),
    reportRow('fenced'),
  ]);
  details(
    [
      { name: 'old-keys' },
      { name: 'young-keys' },
      { name: 'inactive-old-key' },
      { name: 'inline', policies: { grant: ALLOW } },
      { name: 'fenced', policies: { fence: DENY } },
    ],
    [
      { name: 'app' },
      { name: 'OrganizationAccountAccessRole', trusts: { AWS: `arn:aws:iam::${MANAGEMENT}:root` } },
      { name: 'AWSServiceRoleForSupport', path: '/aws-service-role/support.amazonaws.com/' },
      { name: 'read-only', attached: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] },
    ],
  );
  liveKeys('old-keys', [
    ['AKIAOLD', OLD],
    ['AKIAYOUNG', YOUNG],
  ]);
  liveRole('app');
  livePolicy('inline', 'grant', ALLOW);
}

beforeEach(() => {
  for (const mock of [iam, sns, events, dynamo]) mock.reset();
  iam.on(UpdateAccessKeyCommand).resolves({});
  iam.on(DetachRolePolicyCommand).resolves({});
  iam.on(DeleteUserPolicyCommand).resolves({});
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({});
  dynamo.on(QueryCommand).resolves(itemsOutput([]));
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

function published(): PublishCommandInput[] {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

function subjects(): string[] {
  return published()
    .map((input) => input.Subject ?? '')
    .sort();
}

function auditRecords(): Partial<AuditRecord>[] {
  return putItems<AuditRecord>(dynamo);
}

const unlimited = { iamCallsPerSecond: Number.POSITIVE_INFINITY };

describe('runSweep', () => {
  it('remediates exactly the offenders, each with the event path decision, record and notification', async () => {
    smallAccount();
    const deps = testDeps();

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      UserName: 'old-keys',
      AccessKeyId: 'AKIAOLD',
      Status: 'Inactive',
    });
    expect(iam).toHaveReceivedCommandTimes(DetachRolePolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, { RoleName: 'app', PolicyArn: ADMIN });
    expect(iam).toHaveReceivedCommandTimes(DeleteUserPolicyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, {
      UserName: 'inline',
      PolicyName: 'grant',
    });
    expect(subjects()).toEqual([
      'iam-warden: deactivated 1 old access key of user old-keys',
      'iam-warden: deleted inline policy grant of user inline',
      'iam-warden: detached AdministratorAccess from role app',
    ]);
    expect(auditRecords().map((record) => [record.rule, record.resourceArn, record.status])).toEqual(
      expect.arrayContaining([
        ['admin-policy', `arn:aws:iam::${ACCOUNT}:role/app`, 'pending'],
        ['inline-policy', `arn:aws:iam::${ACCOUNT}:user/inline`, 'pending'],
        ['access-keys', `arn:aws:iam::${ACCOUNT}:user/old-keys`, 'pending'],
      ]),
    );
    const inlineRecord = auditRecords().find((record) => record.rule === 'inline-policy');
    expect(inlineRecord?.action).toEqual({
      kind: 'delete-inline-policy',
      userName: 'inline',
      policyName: 'grant',
      policyDocument: ALLOW,
    });
    expect(inlineRecord?.trigger).toEqual({
      eventId: 'sweep:run-1:inline-policy:inline:grant',
      eventName: 'ScheduledSweep',
      eventTime: NOW.toISOString(),
      principalArn: 'iam-warden sweep',
      sourceIp: undefined,
      userAgent: undefined,
    });
    expect(result).toMatchObject({
      runId: 'run-1',
      users: 5,
      roles: 4,
      candidates: { 'access-keys': 1, 'admin-policy': 1, 'inline-policy': 1 },
      remediated: 3,
      wouldRemediate: 0,
      skipped: 3,
      alerts: 0,
      ignored: 0,
      failed: 0,
      deferred: 0,
      warnings: 0,
    });
    expect(
      result.decisions.filter((decision) => decision.outcome === 'skipped').map((d) => d.reason),
    ).toEqual([
      `role OrganizationAccountAccessRole is a built-in admin role of AWS Organizations, trusting only what the tool creates it with; it trusts AWS arn:aws:iam::${MANAGEMENT}:root`,
      'role AWSServiceRoleForSupport is under /aws-service-role/, which AWS manages and IAM will not let us modify',
      "inline policy fence only denies; deleting it would widen fenced's access",
    ]);
  });

  it('reads the account in a handful of calls and only the offenders one by one', async () => {
    smallAccount();

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(result.iamCalls).toEqual({
      GenerateCredentialReport: 1,
      GetCredentialReport: 1,
      GetAccountAuthorizationDetails: 1,
      ListAccessKeys: 1,
      ListAttachedRolePolicies: 1,
      GetUserPolicy: 1,
      UpdateAccessKey: 1,
      DetachRolePolicy: 1,
      DeleteUserPolicy: 1,
    });
    expect(result.iamCallsTotal).toBe(9);
    expect(iam).toHaveReceivedCommandWith(GetAccountAuthorizationDetailsCommand, {
      Filter: ['User', 'Role'],
      MaxItems: 1000,
    });
    expect(iam).not.toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'young-keys' });
    expect(iam).not.toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'inactive-old-key' });
  });

  it('names remediations by run and resource: the same run gives the same IDs, another run new ones', async () => {
    smallAccount();

    const first = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });
    const second = await runSweep(testDeps(), { runId: 'run-2', ...unlimited });

    const ids = (decisions: typeof first.decisions) =>
      decisions.flatMap((decision) => (decision.remediationId ? [decision.remediationId] : [])).sort();
    expect(ids(first.decisions)).toEqual(
      [
        remediationId('access-keys', 'sweep:run-1:access-keys:old-keys'),
        remediationId('admin-policy', 'sweep:run-1:admin-policy:app'),
        remediationId('inline-policy', 'sweep:run-1:inline-policy:inline:grant'),
      ].sort(),
    );
    expect(ids(second.decisions)).toHaveLength(3);
    expect(ids(second.decisions).filter((id) => ids(first.decisions).includes(id))).toEqual([]);
  });

  it('resumes a retried run from its records instead of acting or notifying twice', async () => {
    smallAccount();
    const deps = testDeps();
    await runSweep(deps, { runId: 'run-1', ...unlimited });
    const firstRecords = auditRecords();
    sns.resetHistory();
    iam.resetHistory();
    dynamo
      .on(PutItemCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));
    dynamo.on(GetItemCommand).callsFake((input: GetItemCommandInput) =>
      itemOutput({
        ...firstRecords.find((record) => record.id === input.Key?.id?.S),
        status: 'applied',
        notifiedAt: NOW.toISOString(),
      }),
    );

    const retried = await runSweep(deps, { runId: 'run-1', ...unlimited });

    // The run's decisions, as its first attempt made them, marked as told already: not published again.
    const remediated = retried.decisions.filter((decision) => decision.outcome === 'remediated');
    expect(remediated).toHaveLength(3);
    expect(remediated.every((decision) => decision.alreadyNotified === true)).toBe(true);
    expect(published()).toEqual([]);
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DetachRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteUserPolicyCommand);
  });

  /** The record an earlier attempt of run-1 left for role `fixed`, which the listing no longer shows offending. */
  function leftover(status: AuditRecord['status']): AuditRecord {
    const eventId = 'sweep:run-1:admin-policy:fixed';
    return {
      kind: 'remediation',
      id: remediationId('admin-policy', eventId),
      runId: 'run-1',
      createdAt: NOW.toISOString(),
      rule: 'admin-policy',
      mode: 'enforce',
      status,
      resourceArn: `arn:aws:iam::${ACCOUNT}:role/fixed`,
      resource: { type: 'role', name: 'fixed' },
      action: { kind: 'detach-policy', roleName: 'fixed', policyArn: ADMIN },
      reason: 'AdministratorAccess is attached to role fixed, which is not a designated admin role',
      trigger: {
        eventId,
        eventName: 'IamWardenSweep',
        eventTime: NOW.toISOString(),
        principalArn: 'iam-warden sweep',
      },
    };
  }

  it('notifies, on a retried run, what its first attempt detached but never told, though IAM no longer lists it', async () => {
    report([]);
    details([], [{ name: 'fixed', attached: [] }]);
    dynamo.on(QueryCommand, { IndexName: 'byRun' }).resolves(itemsOutput([leftover('applied')]));

    const retried = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byRun',
      ExpressionAttributeValues: attributes({ ':run': 'run-1' }),
    });
    expect(retried.remediated).toBe(1);
    expect(subjects()).toEqual(['iam-warden: detached AdministratorAccess from role fixed']);
    expect(iam).not.toHaveReceivedCommand(DetachRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(ListAttachedRolePoliciesCommand);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: attributes({ id: leftover('applied').id }),
    });
  });

  it('settles, on a retried run, a pending change IAM already shows applied, then notifies it', async () => {
    report([]);
    details([], [{ name: 'fixed', attached: [] }]);
    liveRole('fixed', []);
    dynamo.on(QueryCommand, { IndexName: 'byRun' }).resolves(itemsOutput([leftover('pending')]));

    const retried = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(retried.remediated).toBe(1);
    expect(iam).toHaveReceivedCommandWith(ListAttachedRolePoliciesCommand, { RoleName: 'fixed' });
    expect(iam).not.toHaveReceivedCommand(DetachRolePolicyCommand);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: attributes({ ':status': 'applied' }),
    });
    expect(subjects()).toEqual(['iam-warden: detached AdministratorAccess from role fixed']);
  });

  it('notifies what an earlier attempt did under a rule turned off since, and starts nothing for it', async () => {
    report([]);
    details([], [{ name: 'fixed', attached: [] }]);
    dynamo
      .on(QueryCommand, { IndexName: 'byRun' })
      .resolves(
        itemsOutput([
          leftover('applied'),
          { ...leftover('pending'), id: 'rem-other', resource: { type: 'role', name: 'other' } },
        ]),
      );

    const retried = await runSweep(testDeps({ env: { MODE_ADMIN_POLICY: 'off' } }), {
      runId: 'run-1',
      ...unlimited,
    });

    expect(retried.remediated).toBe(1);
    expect(subjects()).toEqual(['iam-warden: detached AdministratorAccess from role fixed']);
    expect(iam).not.toHaveReceivedCommand(ListAttachedRolePoliciesCommand);
  });

  it('does not look for an earlier attempt of a run named just now', async () => {
    smallAccount();

    await runSweep(testDeps(), { runId: 'cli-2025-06-01T12:00:00.000Z', mayResume: false, ...unlimited });

    expect(dynamo).not.toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byRun' });
  });

  it('records the run on each remediation, for the next attempt to find', async () => {
    smallAccount();

    await runSweep(testDeps(), { runId: 'run-7', ...unlimited });

    expect(auditRecords().map((record) => record.runId)).toEqual(['run-7', 'run-7', 'run-7']);
  });

  it('only tells what it would do in notify mode, with no IAM write', async () => {
    smallAccount();
    const deps = testDeps({
      env: { MODE_ACCESS_KEYS: 'notify', MODE_ADMIN_POLICY: 'notify', MODE_INLINE_POLICY: 'notify' },
    });

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(result).toMatchObject({ remediated: 0, wouldRemediate: 3 });
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DetachRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteUserPolicyCommand);
    expect(subjects()).toEqual([
      'iam-warden: would deactivate 1 old access key of user old-keys',
      'iam-warden: would delete inline policy grant of user inline',
      'iam-warden: would detach AdministratorAccess from role app',
    ]);
    expect(auditRecords().map((record) => [record.mode, record.status])).toEqual([
      ['notify', 'notified-only'],
      ['notify', 'notified-only'],
      ['notify', 'notified-only'],
    ]);
  });

  it('reads nothing for a rule that is off', async () => {
    smallAccount();
    const deps = testDeps({ env: { MODE_ACCESS_KEYS: 'off', MODE_ADMIN_POLICY: 'off' } });

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(iam).not.toHaveReceivedCommand(ListAccessKeysCommand);
    expect(iam).not.toHaveReceivedCommand(ListAttachedRolePoliciesCommand);
    expect(iam).not.toHaveReceivedCommand(DetachRolePolicyCommand);
    expect(result.candidates).toEqual({ 'access-keys': 0, 'admin-policy': 0, 'inline-policy': 1 });
    expect(subjects()).toEqual(['iam-warden: deleted inline policy grant of user inline']);
  });

  it('leaves a user exempt by tag alone, quietly', async () => {
    report([reportRow('exempt', [true, OLD]), reportRow('plain', [true, OLD])]);
    details([{ name: 'exempt' }, { name: 'plain' }]);
    liveKeys('exempt', [['AKIAEXEMPT', OLD]]);
    liveKeys('plain', [['AKIAPLAIN', OLD]]);
    iam
      .on(ListUserTagsCommand, { UserName: 'exempt' })
      .resolves({ Tags: [{ Key: 'iam-warden:exempt', Value: 'true' }], IsTruncated: false });
    iam.on(ListUserTagsCommand, { UserName: 'plain' }).resolves({ Tags: [], IsTruncated: false });
    const deps = testDeps({ env: { EXEMPT_TAG_KEY: 'iam-warden:exempt' } });

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, { UserName: 'plain' });
    expect(result.decisions.find((decision) => decision.resource?.name === 'exempt')).toMatchObject({
      outcome: 'skipped',
      reason: 'exempt by tag iam-warden:exempt=true',
    });
    expect(subjects()).toEqual(['iam-warden: deactivated 1 old access key of user plain']);
  });

  it('judges keys on what IAM holds now, not on the report: a key since rotated is left alone', async () => {
    report([reportRow('rotated', [true, OLD])]);
    details([{ name: 'rotated' }]);
    liveKeys('rotated', [
      ['AKIAOLD', OLD, 'Inactive'],
      ['AKIANEW', YOUNG],
    ]);

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(result).toMatchObject({ candidates: { 'access-keys': 1 }, ignored: 1, remediated: 0 });
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(published()).toEqual([]);
  });

  it('saves and deletes the inline policy document IAM holds now, not the one listed earlier', async () => {
    const replaced = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }],
    });
    report([reportRow('inline')]);
    details([{ name: 'inline', policies: { grant: ALLOW } }]);
    livePolicy('inline', 'grant', replaced);

    await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(auditRecords()[0]?.action).toMatchObject({ policyDocument: replaced });
  });

  it('leaves a role whose AdministratorAccess was detached since the listing', async () => {
    report([]);
    details([], [{ name: 'app' }]);
    liveRole('app', ['arn:aws:iam::aws:policy/ReadOnlyAccess']);

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(result.decisions).toEqual([
      expect.objectContaining({
        outcome: 'ignored',
        reason: 'AdministratorAccess is no longer attached to role app',
      }),
    ]);
    expect(iam).not.toHaveReceivedCommand(DetachRolePolicyCommand);
    expect(published()).toEqual([]);
  });

  it('ignores a candidate deleted since the listing, without waiting for it', async () => {
    report([reportRow('gone', [true, OLD])]);
    details([{ name: 'gone' }]);
    iam
      .on(ListAccessKeysCommand, { UserName: 'gone' })
      .rejects(new NoSuchEntityException({ message: 'no such user', $metadata: {} }));
    const deps = testDeps();

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(result.decisions).toEqual([
      expect.objectContaining({ outcome: 'ignored', reason: 'user gone no longer exists (target gone)' }),
    ]);
    expect(deps.sleep).not.toHaveBeenCalled();
  });

  it('reports a failed offender and carries on with the others', async () => {
    report([
      reportRow('denied', [true, OLD]),
      reportRow('fine', [true, OLD]),
      reportRow('unreadable', [true, OLD]),
    ]);
    details([{ name: 'denied' }, { name: 'fine' }, { name: 'unreadable' }]);
    liveKeys('denied', [['AKIADENIED', OLD]]);
    liveKeys('fine', [['AKIAFINE', OLD]]);
    iam
      .on(ListAccessKeysCommand, { UserName: 'unreadable' })
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDenied' }));
    iam
      .on(UpdateAccessKeyCommand, { UserName: 'denied' })
      .rejects(Object.assign(new Error('explicit deny in an SCP'), { name: 'AccessDenied' }));

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(result).toMatchObject({ remediated: 1, failed: 2 });
    expect(subjects()).toEqual([
      'iam-warden: FAILED to deactivate 1 old access key of user denied',
      'iam-warden: FAILED to evaluate ScheduledSweep on user unreadable',
      'iam-warden: deactivated 1 old access key of user fine',
    ]);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: attributes({
        ':status': 'failed',
        ':error': 'AccessDenied: explicit deny in an SCP',
      }),
    });
  });

  it('counts an offender it could not notify about as failed and carries on', async () => {
    report([reportRow('first', [true, OLD]), reportRow('second', [true, OLD])]);
    details([{ name: 'first' }, { name: 'second' }]);
    liveKeys('first', [['AKIAFIRST', OLD]]);
    liveKeys('second', [['AKIASECOND', OLD]]);
    sns.on(PublishCommand).rejectsOnce(new Error('SNS is down')).resolves({ MessageId: 'm-2' });

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited, concurrency: 1 });

    expect(result).toMatchObject({ remediated: 2, failed: 1 });
    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 2);
  });

  it('alerts on an active root key, which IAM cannot act on, filed under the account root', async () => {
    report([reportRow('<root_account>', [true, YOUNG])]);
    details([]);

    // No user or role to read the account from: it comes from the root user's row.
    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(result.alerts).toBe(1);
    expect(iam).not.toHaveReceivedCommand(ListAccessKeysCommand);
    expect(published()).toHaveLength(1);
    expect(published()[0]).toMatchObject({
      Subject: `iam-warden: CRITICAL the root user has an active access key in account ${ACCOUNT}`,
      MessageAttributes: { outcome: { DataType: 'String', StringValue: 'alert' } },
    });
    expect(published()[0]?.Message).toContain('the root user has an access key');
    expect(result.decisions[0]).toMatchObject({
      eventId: 'sweep:run-1:access-keys:root',
      resource: { type: 'root' },
    });
  });

  it.each([
    ['aws', 'us-east-1'],
    ['aws-cn', 'cn-north-1'],
    ['aws-us-gov', 'us-gov-west-1'],
  ])("files its records and the root user in the deployment's partition (%s)", async (partition, region) => {
    const inPartition = (text: string) => text.replaceAll('arn:aws:', `arn:${partition}:`);
    report([reportRow('<root_account>', [true, YOUNG]), reportRow('old', [true, OLD])].map(inPartition));
    const page = detailsPage([{ name: 'old' }], []);
    iam.on(GetAccountAuthorizationDetailsCommand).resolves({
      ...page,
      UserDetailList: page.UserDetailList?.map((user) => ({ ...user, Arn: inPartition(user.Arn ?? '') })),
    });
    liveKeys('old', [['AKIAOLD', OLD]]);
    const deps = testDeps({ env: { TOPIC_ARN: `arn:${partition}:sns:${region}:${ACCOUNT}:iam-warden` } });

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(auditRecords().map((record) => record.resourceArn)).toEqual([
      `arn:${partition}:iam::${ACCOUNT}:user/old`,
    ]);
    expect(result.decisions.find((decision) => decision.resource?.type === 'root')?.resource?.arn).toBe(
      `arn:${partition}:iam::${ACCOUNT}:root`,
    );
  });

  it('waits for the credential report while IAM generates it, with backoff', async () => {
    report([reportRow('old', [true, OLD])]);
    iam
      .on(GenerateCredentialReportCommand)
      .resolvesOnce({ State: 'STARTED' })
      .resolvesOnce({ State: 'INPROGRESS' })
      .resolves({ State: 'COMPLETE' });
    details([{ name: 'old' }]);
    liveKeys('old', [['AKIAOLD', OLD]]);
    const deps = testDeps();

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(iam).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 3);
    expect(iam).toHaveReceivedCommandTimes(GetCredentialReportCommand, 1);
    expect(deps.sleep.mock.calls).toEqual([[1000], [2000]]);
    expect(result.remediated).toBe(1);
  });

  it('asks again when the report is not ready yet (ReportInProgress) or expired', async () => {
    report([reportRow('old', [true, OLD])]);
    iam
      .on(GetCredentialReportCommand)
      .rejectsOnce(new CredentialReportNotReadyException({ message: 'in progress', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('expired'), { name: 'CredentialReportExpiredException' }))
      .resolves({
        Content: new TextEncoder().encode([REPORT_HEADER, reportRow('old', [true, OLD])].join('\n')),
        GeneratedTime: NOW,
      });
    details([{ name: 'old' }]);
    liveKeys('old', [['AKIAOLD', OLD]]);

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(iam).toHaveReceivedCommandTimes(GenerateCredentialReportCommand, 3);
    expect(result.remediated).toBe(1);
  });

  it('gives up on a report that never completes, naming the wait, before acting on anything', async () => {
    details([{ name: 'old' }], [{ name: 'app' }]);
    iam.on(GenerateCredentialReportCommand).resolves({ State: 'INPROGRESS' });
    const deps = testDeps();

    await expect(runSweep(deps, { runId: 'run-1', ...unlimited, reportWaitMs: 30_000 })).rejects.toThrow(
      new AwsCallError('the IAM credential report was not ready after 30 s'),
    );
    expect(deps.sleep.mock.calls.reduce((sum, [ms]) => sum + ms, 0)).toBe(30_000);
    expect(iam).not.toHaveReceivedCommand(DetachRolePolicyCommand);
  });

  it('refuses a report without the columns it needs', async () => {
    iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
    iam
      .on(GetCredentialReportCommand)
      .resolves({ Content: new TextEncoder().encode('user,arn\nalice,arn:x') });
    details([]);

    await expect(runSweep(testDeps(), { runId: 'run-1', ...unlimited })).rejects.toThrow(
      /credential report lacks columns access_key_1_active/,
    );
  });

  it('reads every page of the authorization details', async () => {
    report([reportRow('p1', [true, OLD]), reportRow('p2', [true, OLD])]);
    iam
      .on(GetAccountAuthorizationDetailsCommand)
      .resolvesOnce({
        ...detailsPage([{ name: 'p1' }], [{ name: 'role-1' }]),
        IsTruncated: true,
        Marker: 'page-2',
      })
      .resolves(detailsPage([{ name: 'p2', policies: { grant: ALLOW } }], [{ name: 'role-2' }]));
    liveKeys('p1', [['AKIA1', OLD]]);
    liveKeys('p2', [['AKIA2', OLD]]);
    liveRole('role-1');
    liveRole('role-2');
    livePolicy('p2', 'grant', ALLOW);

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(iam).toHaveReceivedCommandTimes(GetAccountAuthorizationDetailsCommand, 2);
    expect(iam).toHaveReceivedNthCommandWith(GetAccountAuthorizationDetailsCommand, 2, { Marker: 'page-2' });
    expect(result).toMatchObject({ users: 2, roles: 2, remediated: 5 });
  });

  it('checks directly the keys of users the report does not describe although they are older than it', async () => {
    report(['garbled,line', reportRow('listed')]);
    details([{ name: 'listed' }, { name: 'hidden' }]);
    liveKeys('hidden', [['AKIAHIDDEN', OLD]]);

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(result.unreadableReportLines).toBe(1);
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      UserName: 'hidden',
      AccessKeyId: 'AKIAHIDDEN',
    });
    expect(iam).not.toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'listed' });
  });

  it('judges key ages as of the given time', async () => {
    report([reportRow('ages', [true, YOUNG])]);
    details([{ name: 'ages' }]);
    liveKeys('ages', [['AKIAAGES', YOUNG]]);

    const now = new Date(NOW.getTime() + 100 * DAY_MS);
    const result = await runSweep(testDeps(), { runId: 'run-1', now, ...unlimited });

    expect(result.remediated).toBe(1);
    expect(result.decisions[0]?.action).toMatchObject({ keys: [{ accessKeyId: 'AKIAAGES', ageDays: 110 }] });
    expect(auditRecords()[0]?.createdAt).toBe(now.toISOString());
  });

  it('warns the owner of a key entering the warning period, with no IAM call for it', async () => {
    const entering = new Date(NOW.getTime() - 83.5 * DAY_MS);
    report([reportRow('soon', [true, entering]), reportRow('later', [true, YOUNG])]);
    details([{ name: 'soon' }, { name: 'later' }]);
    const deps = testDeps({ env: { EARLY_WARNING_DAYS: '7' } });

    const result = await runSweep(deps, { runId: 'run-1', ...unlimited });

    expect(result.warnings).toBe(1);
    expect(result.iamCallsTotal).toBe(3);
    expect(published()).toEqual([
      expect.objectContaining({
        Subject: 'iam-warden: access key of soon will be deactivated in 7 days',
        MessageAttributes: {
          rule: { DataType: 'String', StringValue: 'access-keys' },
          outcome: { DataType: 'String', StringValue: 'warning' },
          account: { DataType: 'String', StringValue: ACCOUNT },
        },
      }),
    ]);
    expect(published()[0]?.Message).toContain(`created ${entering.toISOString()}, 83 days old`);
    expect(published()[0]?.Message).toContain('aws iam create-access-key --user-name soon');
  });

  it('keeps warning subjects under 100 characters whatever the user name', async () => {
    const name = 'u'.repeat(64);
    report([reportRow(name, [true, new Date(NOW.getTime() - 83.5 * DAY_MS)])]);
    details([{ name }]);

    await runSweep(testDeps({ env: { EARLY_WARNING_DAYS: '7' } }), { runId: 'run-1', ...unlimited });

    expect(published()[0]?.Subject?.length).toBeLessThan(100);
  });

  it('starts no offender once less than a minute is left, and counts them as deferred', async () => {
    smallAccount();
    let remaining = 61_000;

    const result = await runSweep(testDeps(), {
      runId: 'run-1',
      ...unlimited,
      concurrency: 1,
      remainingMs: () => {
        remaining -= 1_000;
        return remaining;
      },
    });

    expect(result.remediated).toBe(0);
    expect(result.deferred).toBe(3);
    expect(published()).toEqual([]);
  });

  it('never exceeds the IAM call rate', async () => {
    smallAccount();
    let now = 0;
    const sleeps: number[] = [];
    const limiter = new RateLimiter({
      ratePerSecond: 2,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });

    const result = await runSweep(testDeps(), { runId: 'run-1', limiter, concurrency: 1 });

    // With time moving only while the limiter waits, every call but the first waits exactly 1 / rate.
    expect(sleeps).toEqual(Array.from({ length: result.iamCallsTotal - 1 }, () => 500));
  });

  it('builds its limiter from IAM_CALLS_PER_SECOND', async () => {
    smallAccount();
    const deps = testDeps({ env: { IAM_CALLS_PER_SECOND: '0.1' } });
    expect(deps.config.iamCallsPerSecond).toBe(0.1);

    await runSweep(deps, { runId: 'run-1', concurrency: 1 });

    // Nine calls at one per 10 s. The mocked sleep returns at once, so each call waits from (about) the same
    // start: the ninth is given a slot 80 s after the first.
    const waits = deps.sleep.mock.calls.map(([ms]) => ms);
    expect(waits).toHaveLength(8);
    expect(Math.max(...waits)).toBeGreaterThan(75_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(80_000);
  });
});

describe('runSweep: the blast-radius cap (MAX_ACTIONS_PER_RUN)', () => {
  const names = (count: number, prefix = 'user') =>
    Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(2, '0')}`);

  /** `count` users, each with one active key 200 days old. */
  function oldKeys(count: number): string[] {
    const users = names(count);
    report(users.map((name) => reportRow(name, [true, OLD])));
    details(users.map((name) => ({ name })));
    for (const name of users) liveKeys(name, [[`AKIA${name.toUpperCase().replace('-', '')}`, OLD]]);
    return users;
  }

  function capSummaries(): PublishCommandInput[] {
    return published().filter((input) => input.MessageAttributes?.outcome?.StringValue === 'capped');
  }

  it('makes 25 standing changes of a backlog of 30, caps 5 with no record, and sends one CRITICAL summary of all 30', async () => {
    const users = oldKeys(30);

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 25);
    expect(result).toMatchObject({ remediated: 25, capped: 5, failed: 0, maxActionsPerRun: 25 });
    const capped = result.decisions.filter((decision) => decision.outcome === 'capped');
    expect(capped).toHaveLength(5);
    for (const decision of capped) {
      expect(decision.action?.kind).toBe('deactivate-keys');
      expect(decision.remediationId).toBeUndefined();
      expect(decision.reason).toMatch(
        /^active access key older than 90 days.*; capped: this run made MaxActionsPerRun \(25\) standing changes; confirm with iam-warden sweep --confirm, or raise MaxActionsPerRun$/,
      );
    }
    // Audit records only for what was made: a capped change has nothing to restore.
    expect(auditRecords()).toHaveLength(25);
    // 25 notifications, one per change made, and one summary; nothing per capped change.
    expect(published()).toHaveLength(26);
    const [summary] = capSummaries();
    expect(capSummaries()).toHaveLength(1);
    expect(summary?.Subject).toBe(
      `iam-warden: CRITICAL sweep capped at 25 changes: 5 of 30 wait for a person (${ACCOUNT})`,
    );
    const body = summary?.Message ?? '';
    for (const name of users) expect(body).toContain(` of user ${name} (`);
    const waiting = capped.map((decision) => decision.resource?.name);
    for (const name of waiting)
      expect(body).toMatch(new RegExp(`^ {2}deactivate 1 old access key of user ${name} `, 'm'));
    expect(body.match(/^ {2}deactivated 1 old access key of user .*: rem-[0-9a-f]{20}$/gm)).toHaveLength(25);
  });

  it('makes every standing change of a run a person confirmed, and sends no summary', async () => {
    oldKeys(30);

    const result = await runSweep(testDeps(), { runId: 'run-1', confirmed: true, ...unlimited });

    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 30);
    expect(result).toMatchObject({ remediated: 30, capped: 0, maxActionsPerRun: undefined });
    expect(capSummaries()).toEqual([]);
  });

  it('follows MAX_ACTIONS_PER_RUN', async () => {
    oldKeys(5);

    const result = await runSweep(testDeps({ env: { MAX_ACTIONS_PER_RUN: '3' } }), {
      runId: 'run-1',
      ...unlimited,
    });

    expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 3);
    expect(result.capped).toBe(2);
  });

  it('caps nothing at or under the limit', async () => {
    oldKeys(25);

    const result = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(result).toMatchObject({ remediated: 25, capped: 0 });
    expect(capSummaries()).toEqual([]);
  });

  it('caps nothing in notify mode, which changes nothing', async () => {
    oldKeys(30);

    const result = await runSweep(testDeps({ env: { MODE_ACCESS_KEYS: 'notify' } }), {
      runId: 'run-1',
      ...unlimited,
    });

    expect(result).toMatchObject({ wouldRemediate: 30, capped: 0 });
    expect(capSummaries()).toEqual([]);
  });

  it('gives the place of a change IAM refused to the next offender: the cap counts changes made', async () => {
    oldKeys(3);
    iam
      .on(UpdateAccessKeyCommand, { UserName: 'user-00' })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    const result = await runSweep(testDeps({ env: { MAX_ACTIONS_PER_RUN: '2' } }), {
      runId: 'run-1',
      concurrency: 1,
      ...unlimited,
    });

    expect(result).toMatchObject({ remediated: 2, failed: 1, capped: 0 });
  });

  it('counts the standing changes an earlier attempt of the same run made (a Lambda retry keeps the cap)', async () => {
    oldKeys(30);
    const earlier = names(25).map(
      (name): AuditRecord => ({
        kind: 'remediation',
        id: remediationId('access-keys', `sweep:run-1:access-keys:earlier-${name}`),
        runId: 'run-1',
        createdAt: NOW.toISOString(),
        rule: 'access-keys',
        mode: 'enforce',
        status: 'applied',
        resourceArn: `arn:aws:iam::${ACCOUNT}:user/earlier-${name}`,
        resource: { type: 'user', name: `earlier-${name}` },
        action: { kind: 'deactivate-keys', userName: `earlier-${name}`, keys: [] },
        reason: 'old',
        trigger: {
          eventId: `sweep:run-1:access-keys:earlier-${name}`,
          eventName: 'ScheduledSweep',
          eventTime: NOW.toISOString(),
          principalArn: 'iam-warden sweep',
        },
        notifiedAt: NOW.toISOString(),
      }),
    );
    dynamo.on(QueryCommand, { IndexName: 'byRun' }).resolves(itemsOutput(earlier));

    const retried = await runSweep(testDeps(), { runId: 'run-1', ...unlimited });

    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(retried.capped).toBe(30);
    expect(capSummaries()[0]?.Message).toContain(
      '(25 of them by an earlier attempt of this run, not listed)',
    );
  });

  it('never caps undoing a fresh grant: a role or user created in the last day, after a flood of standing offenders', async () => {
    const users = names(3);
    const freshUser = 'fresh-user';
    report(users.map((name) => reportRow(name, [true, OLD])));
    const page = detailsPage(
      [...users.map((name) => ({ name })), { name: freshUser, policies: { grant: ALLOW } }],
      [{ name: 'standing-a' }, { name: 'standing-b' }, { name: 'zz-fresh-role' }],
    );
    const justNow = new Date(NOW.getTime() - 3_600_000);
    for (const role of page.RoleDetailList ?? [])
      if (role.RoleName === 'zz-fresh-role') role.CreateDate = justNow;
    for (const user of page.UserDetailList ?? []) if (user.UserName === freshUser) user.CreateDate = justNow;
    iam.on(GetAccountAuthorizationDetailsCommand).resolves(page);
    for (const name of users) liveKeys(name, [[`AKIA${name.toUpperCase().replace('-', '')}`, OLD]]);
    for (const role of ['standing-a', 'standing-b', 'zz-fresh-role']) liveRole(role);
    livePolicy(freshUser, 'grant', ALLOW);

    const result = await runSweep(testDeps({ env: { MAX_ACTIONS_PER_RUN: '1' } }), {
      runId: 'run-1',
      concurrency: 1,
      ...unlimited,
    });

    // The fresh grants are undone; of the 5 standing changes (2 roles, 3 keys), the first is made.
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: 'zz-fresh-role',
      PolicyArn: ADMIN,
    });
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, {
      UserName: freshUser,
      PolicyName: 'grant',
    });
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: 'standing-a',
      PolicyArn: ADMIN,
    });
    expect(iam).toHaveReceivedCommandTimes(DetachRolePolicyCommand, 2);
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(result).toMatchObject({ remediated: 3, capped: 4 });
    expect(
      result.decisions.filter((decision) => decision.outcome === 'capped').map((d) => d.resource?.name),
    ).toEqual(['standing-b', ...users]);
    expect(capSummaries()[0]?.Message).toContain('this run undid 2');
  });

  it('counts a change it cannot date as standing: an old role with AdministratorAccess is capped', async () => {
    report([]);
    details([], [{ name: 'old-a' }, { name: 'old-b' }]);
    liveRole('old-a');
    liveRole('old-b');

    const result = await runSweep(testDeps({ env: { MAX_ACTIONS_PER_RUN: '1' } }), {
      runId: 'run-1',
      concurrency: 1,
      ...unlimited,
    });

    expect(iam).toHaveReceivedCommandTimes(DetachRolePolicyCommand, 1);
    expect(result.capped).toBe(1);
  });

  it('fails the run, after acting, when the summary cannot be sent: the capped changes are told nowhere else', async () => {
    oldKeys(2);
    sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      if (input.MessageAttributes?.outcome?.StringValue === 'capped') throw new Error('SNS is down');
      return { MessageId: 'm-1' };
    });

    const result = await runSweep(testDeps({ env: { MAX_ACTIONS_PER_RUN: '1' } }), {
      runId: 'run-1',
      ...unlimited,
    });

    expect(result).toMatchObject({ remediated: 1, capped: 1, failed: 1 });
  });
});

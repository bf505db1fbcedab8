import { Logger } from '@aws-lambda-powertools/logger';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import type { Deps } from '../../lib/deps.js';
import { type LocalResources, readNotifications, readResults } from '../../lib/local/provision.js';
import type { Decision } from '../../lib/plan.js';
import { runSweep, type SweepReport } from '../../lib/sweep.js';
import { ADMINISTRATOR_ACCESS, MOTO_ACCOUNT } from '../support/events.js';
import { drainTaps, ENFORCE, freshAccount, motoClients, readAudit } from '../support/integration.js';

const DAY_MS = 86_400_000;
const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const EXEMPT_TAG = 'iam-warden:exempt';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ALLOW = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }],
});
const DENY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }],
});

const clients = motoClients();
let resources: LocalResources;

/** What was seeded, by what the sweep must do about it. */
const seeded = {
  /** Users with active keys: every key is old on the sweep's clock (moto cannot backdate keys). */
  activeKeyUsers: [] as string[],
  inactiveKeyUsers: [] as string[],
  keylessUsers: [] as string[],
  /** User name -> allow-inline policy names: deleted. */
  allowPolicies: new Map<string, string[]>(),
  /** Users with a deny-only inline policy: left alone. */
  denyPolicyUsers: [] as string[],
  exemptUser: 'sw-exempt',
  adminRoles: [] as string[],
  /** Designated by ARN in AdminRolePatterns (see sweepDeps): kept. */
  breakGlassRole: 'sw-ops-break-glass',
  /** The CDK bootstrap execution role, trusting CloudFormation as the bootstrap stack creates it: kept. */
  cdkRole: `cdk-hnb659fds-cfn-exec-role-${MOTO_ACCOUNT}-us-east-1`,
  /** Offenders though their names look designated: judged like any other role. */
  breakGlassLookalike: 'sw-not-break-glass-really',
  stackSetsLookalike: 'stacksets-exec-0123456789abcdef0123456789abcdef',
  serviceLinkedRole: '',
  readOnlyRoles: [] as string[],
};

async function user(name: string): Promise<void> {
  await clients.iam.send(new CreateUserCommand({ UserName: name }));
}

async function key(userName: string, status: 'Active' | 'Inactive' = 'Active'): Promise<void> {
  const { AccessKey } = await clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  if (status === 'Inactive') {
    await clients.iam.send(
      new UpdateAccessKeyCommand({
        UserName: userName,
        AccessKeyId: AccessKey?.AccessKeyId,
        Status: 'Inactive',
      }),
    );
  }
}

async function inline(userName: string, policyName: string, document: string): Promise<void> {
  await clients.iam.send(
    new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: document }),
  );
}

/** A trust policy admitting one principal. */
function trusting(principal: unknown): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
  });
}

async function role(name: string, policyArn: string, trust = TRUST): Promise<void> {
  await clients.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  await clients.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
}

/** 40 users and 12 roles: offenders of every rule next to look-alikes that are fine. */
async function seedAccount(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const name = `sw-active-${i}`;
    await user(name);
    await key(name);
    if (i % 3 === 0) await key(name);
    seeded.activeKeyUsers.push(name);
  }
  for (let i = 0; i < 5; i++) {
    const name = `sw-inactive-${i}`;
    await user(name);
    await key(name, 'Inactive');
    seeded.inactiveKeyUsers.push(name);
  }
  for (let i = 0; i < 16; i++) {
    const name = `sw-plain-${i}`;
    await user(name);
    seeded.keylessUsers.push(name);
  }
  for (let i = 0; i < 4; i++) {
    const name = `sw-inline-${i}`;
    await user(name);
    const policies = i === 0 ? ['grant-a', 'grant-b'] : ['grant'];
    for (const policy of policies) await inline(name, policy, ALLOW);
    seeded.allowPolicies.set(name, policies);
  }
  // An offender of two rules at once: an active key and an inline policy.
  await user('sw-both');
  await key('sw-both');
  await inline('sw-both', 'grant', ALLOW);
  seeded.activeKeyUsers.push('sw-both');
  seeded.allowPolicies.set('sw-both', ['grant']);
  for (let i = 0; i < 3; i++) {
    const name = `sw-deny-${i}`;
    await user(name);
    await inline(name, 'fence', DENY);
    seeded.denyPolicyUsers.push(name);
  }
  await user(seeded.exemptUser);
  await key(seeded.exemptUser);
  await clients.iam.send(
    new TagUserCommand({ UserName: seeded.exemptUser, Tags: [{ Key: EXEMPT_TAG, Value: 'true' }] }),
  );
  for (let i = 0; i < 4; i++) {
    const name = `sw-app-${i}`;
    await role(name, ADMINISTRATOR_ACCESS);
    seeded.adminRoles.push(name);
  }
  await role(seeded.breakGlassRole, ADMINISTRATOR_ACCESS);
  await role(seeded.cdkRole, ADMINISTRATOR_ACCESS, trusting({ Service: 'cloudformation.amazonaws.com' }));
  await role(seeded.breakGlassLookalike, ADMINISTRATOR_ACCESS);
  seeded.adminRoles.push(seeded.breakGlassLookalike);
  // A StackSets execution role's name, trusting a user of another account instead of StackSets' service role.
  await role(
    seeded.stackSetsLookalike,
    ADMINISTRATOR_ACCESS,
    trusting({ AWS: 'arn:aws:iam::999988887777:user/mallory' }),
  );
  seeded.adminRoles.push(seeded.stackSetsLookalike);
  const { Role } = await clients.iam.send(
    new CreateServiceLinkedRoleCommand({ AWSServiceName: 'autoscaling.amazonaws.com' }),
  );
  seeded.serviceLinkedRole = Role?.RoleName ?? '';
  await clients.iam.send(
    new AttachRolePolicyCommand({ RoleName: seeded.serviceLinkedRole, PolicyArn: ADMINISTRATOR_ACCESS }),
  );
  for (let i = 0; i < 3; i++) {
    const name = `sw-reader-${i}`;
    await role(name, READ_ONLY_ACCESS);
    seeded.readOnlyRoles.push(name);
  }
}

function sweepDeps(env: Record<string, string> = {}): Deps {
  const config = loadConfig({
    ...ENFORCE,
    ...resources.env,
    EXEMPT_TAG_KEY: EXEMPT_TAG,
    ADMIN_ROLE_PATTERNS: `arn:aws:iam::${MOTO_ACCOUNT}:role/${seeded.breakGlassRole}`,
    ...env,
  });
  return {
    ...createDeps(config, clients),
    logger: new Logger({ serviceName: 'iam-warden', logLevel: 'WARN' }),
  };
}

/** moto cannot backdate keys: judge them 100 days from now, when every key it created is 100 days old. */
function in100Days(): Date {
  return new Date(Date.now() + 100 * DAY_MS);
}

async function keyStatuses(userName: string): Promise<string[]> {
  const { AccessKeyMetadata = [] } = await clients.iam.send(
    new ListAccessKeysCommand({ UserName: userName }),
  );
  return AccessKeyMetadata.map((metadata) => metadata.Status ?? '');
}

async function inlinePolicies(userName: string): Promise<string[]> {
  const { PolicyNames = [] } = await clients.iam.send(new ListUserPoliciesCommand({ UserName: userName }));
  return PolicyNames;
}

async function attached(roleName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await clients.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
}

/** Resource names of the decisions with this outcome, per rule, sorted. */
function acted(report: SweepReport, outcome: Decision['outcome']): Record<string, string[]> {
  const names: Record<string, string[]> = { 'access-keys': [], 'admin-policy': [], 'inline-policy': [] };
  for (const decision of report.decisions.filter((d) => d.outcome === outcome)) {
    const action = decision.action;
    const name =
      action?.kind === 'delete-inline-policy'
        ? `${action.userName}:${action.policyName}`
        : (decision.resource?.name ?? '?');
    names[decision.rule]?.push(name);
  }
  for (const list of Object.values(names)) list.sort();
  return names;
}

function expectedOffenders(): Record<string, string[]> {
  return {
    'access-keys': [...seeded.activeKeyUsers].sort(),
    'admin-policy': [...seeded.adminRoles].sort(),
    'inline-policy': [...seeded.allowPolicies]
      .flatMap(([userName, policies]) => policies.map((policy) => `${userName}:${policy}`))
      .sort(),
  };
}

const OFFENDER_COUNT = 11 + 6 + 6;

beforeAll(async () => {
  resources = await freshAccount();
  await seedAccount();
});
beforeEach(() => drainTaps(resources));
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

describe('sweep against moto', () => {
  it('in notify mode, finds exactly the seeded offenders and changes nothing', async () => {
    const deps = sweepDeps({
      MODE_ACCESS_KEYS: 'notify',
      MODE_ADMIN_POLICY: 'notify',
      MODE_INLINE_POLICY: 'notify',
    });

    const report = await runSweep(deps, { runId: 'notify-run', now: in100Days(), iamCallsPerSecond: 50 });

    expect(acted(report, 'would-remediate')).toEqual(expectedOffenders());
    expect(report).toMatchObject({
      users: 40,
      roles: 12,
      remediated: 0,
      wouldRemediate: OFFENDER_COUNT,
      failed: 0,
    });
    expect(
      Object.keys(report.iamCalls).filter((operation) => !/^(Get|List|Generate)/.test(operation)),
    ).toEqual([]);
    for (const name of seeded.activeKeyUsers) expect(await keyStatuses(name)).not.toContain('Inactive');
    for (const name of seeded.adminRoles) expect(await attached(name)).toEqual([ADMINISTRATOR_ACCESS]);
    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(OFFENDER_COUNT);
    expect(new Set(notifications.map((notification) => notification.attributes.outcome))).toEqual(
      new Set(['would-remediate']),
    );
  });

  it('in enforce mode, remediates exactly the seeded offenders, recording and notifying each', async () => {
    const deps = sweepDeps();

    const report = await runSweep(deps, { runId: 'enforce-run', now: in100Days(), iamCallsPerSecond: 50 });

    expect(acted(report, 'remediated')).toEqual(expectedOffenders());
    expect(report).toMatchObject({
      users: 40,
      roles: 12,
      remediated: OFFENDER_COUNT,
      wouldRemediate: 0,
      failed: 0,
      deferred: 0,
    });
    // The bulk reads: the report (twice: moto says STARTED first), the details in one page.
    expect(report.iamCalls).toMatchObject({
      GenerateCredentialReport: expect.any(Number),
      GetCredentialReport: 1,
      GetAccountAuthorizationDetails: 1,
      ListAccessKeys: seeded.activeKeyUsers.length + 1,
      UpdateAccessKey: 15,
      DetachRolePolicy: 6,
      DeleteUserPolicy: 6,
      GetUserPolicy: 6,
    });
    expect(report.iamCalls).not.toHaveProperty('ListUsers');

    // IAM afterwards: offenders fixed, everyone else untouched.
    for (const name of seeded.activeKeyUsers)
      expect(await keyStatuses(name)).toEqual(expect.arrayContaining(['Inactive']));
    for (const name of seeded.activeKeyUsers) expect(await keyStatuses(name)).not.toContain('Active');
    expect(await keyStatuses(seeded.exemptUser)).toEqual(['Active']);
    for (const name of seeded.inactiveKeyUsers) expect(await keyStatuses(name)).toEqual(['Inactive']);
    for (const name of seeded.allowPolicies.keys()) expect(await inlinePolicies(name)).toEqual([]);
    for (const name of seeded.denyPolicyUsers) expect(await inlinePolicies(name)).toEqual(['fence']);
    for (const name of seeded.adminRoles) expect(await attached(name)).toEqual([]);
    expect(await attached(seeded.breakGlassRole)).toEqual([ADMINISTRATOR_ACCESS]);
    expect(await attached(seeded.cdkRole)).toEqual([ADMINISTRATOR_ACCESS]);
    expect(await attached(seeded.serviceLinkedRole)).toEqual([ADMINISTRATOR_ACCESS]);
    for (const name of seeded.readOnlyRoles) expect(await attached(name)).toEqual([READ_ONLY_ACCESS]);

    expect(report.decisions.find((decision) => decision.resource?.name === seeded.exemptUser)).toMatchObject({
      outcome: 'skipped',
      reason: `exempt by tag ${EXEMPT_TAG}=true`,
    });
    // The exemption tag, the break-glass and CDK roles, the service-linked role, the deny-only policies.
    expect(report.skipped).toBe(1 + 3 + seeded.denyPolicyUsers.length);
    const reasonFor = (name: string) =>
      report.decisions.find((decision) => decision.resource?.name === name)?.reason ?? '';
    expect(reasonFor(seeded.breakGlassRole)).toBe(
      `role ${seeded.breakGlassRole} is a designated admin role (matches "arn:aws:iam::${MOTO_ACCOUNT}:role/${seeded.breakGlassRole}"); it trusts Service lambda.amazonaws.com`,
    );
    expect(reasonFor(seeded.cdkRole)).toContain('it trusts Service cloudformation.amazonaws.com');
    expect(reasonFor(seeded.breakGlassLookalike)).toBe(
      `AdministratorAccess was attached to role ${seeded.breakGlassLookalike}, which is not a designated admin role`,
    );
    expect(reasonFor(seeded.stackSetsLookalike)).toContain(
      'does not apply: it admits AWS arn:aws:iam::999988887777:user/mallory',
    );

    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(OFFENDER_COUNT);
    const subjects = notifications.map((notification) => notification.subject);
    expect(subjects).toContain('iam-warden: detached AdministratorAccess from role sw-app-0');
    expect(subjects).toContain('iam-warden: deleted inline policy grant-b of user sw-inline-0');
    expect(subjects).toContain('iam-warden: deactivated 2 old access keys of user sw-active-0');
    const lookalike = notifications.find((n) => n.subject.includes(seeded.stackSetsLookalike))?.message ?? '';
    expect(lookalike).toContain('does not apply: it admits AWS arn:aws:iam::999988887777:user/mallory');
    const body = notifications.find((n) => n.subject.includes('sw-app-0'))?.message ?? '';
    expect(body).toContain('  Event:      ScheduledSweep sweep:enforce-run:admin-policy:sw-app-0');
    expect(body).toContain('  Principal:  iam-warden sweep (iam-warden)');
    expect(body).toContain(
      `aws iam attach-role-policy --role-name sw-app-0 --policy-arn ${ADMINISTRATOR_ACCESS}`,
    );

    const remediated = report.decisions.filter((decision) => decision.outcome === 'remediated');
    for (const decision of remediated) {
      const record = await readAudit(clients, resources, decision.remediationId);
      expect(record).toMatchObject({ status: 'applied', mode: 'enforce', action: decision.action });
      expect(record?.notifiedAt).toEqual(expect.any(String));
    }
    const inlineRecord = await readAudit(
      clients,
      resources,
      remediated.find((decision) => decision.resource?.name === 'sw-inline-1')?.remediationId,
    );
    expect(inlineRecord?.action).toEqual({
      kind: 'delete-inline-policy',
      userName: 'sw-inline-1',
      policyName: 'grant',
      policyDocument: ALLOW,
    });
    expect(inlineRecord?.resourceArn).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:user/sw-inline-1`);

    const results = await readResults(resources);
    expect(results).toHaveLength(OFFENDER_COUNT);
    expect(new Set(results.map((result) => (result.detail as { outcome: string }).outcome))).toEqual(
      new Set(['remediated']),
    );
  });

  it('finds nothing new to do right after', async () => {
    const deps = sweepDeps();

    const report = await runSweep(deps, { runId: 'second-run', now: in100Days(), iamCallsPerSecond: 50 });

    expect(report).toMatchObject({
      remediated: 0,
      wouldRemediate: 0,
      failed: 0,
      candidates: { 'admin-policy': 0, 'inline-policy': 0 },
    });
    expect(
      Object.keys(report.iamCalls).filter((operation) => !/^(Get|List|Generate)/.test(operation)),
    ).toEqual([]);
    expect(await readNotifications(resources)).toEqual([]);
  });
});

describe('a sweep run retried after it could not notify', () => {
  it('notifies on the retry what the first attempt fixed, though IAM no longer lists it, acting on nothing again', async () => {
    await clients.iam.send(
      new CreateRoleCommand({ RoleName: 'sw-retry-role', AssumeRolePolicyDocument: TRUST }),
    );
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'sw-retry-role', PolicyArn: ADMINISTRATOR_ACCESS }),
    );
    await user('sw-retry-user');
    await inline('sw-retry-user', 'grant', ALLOW);
    await drainTaps(resources);
    // SNS refuses every message of the first attempt: the run fixes IAM, records it, and fails.
    const failing = sweepDeps();
    const refusing = {
      send: () => Promise.reject(Object.assign(new Error('SNS is down'), { name: 'InternalErrorException' })),
    } as unknown as Deps['sns'];
    const first = await runSweep(
      { ...failing, sns: refusing },
      { runId: 'retried-run', now: in100Days(), iamCallsPerSecond: 50 },
    );

    expect(first.remediated).toBe(2);
    expect(first.failed).toBe(2);
    expect(await attached('sw-retry-role')).toEqual([]);
    expect(await inlinePolicies('sw-retry-user')).toEqual([]);
    expect(await readNotifications(resources)).toEqual([]);

    // Lambda's retry: the same run, SNS back.
    const retried = await runSweep(sweepDeps(), {
      runId: 'retried-run',
      now: in100Days(),
      iamCallsPerSecond: 50,
    });

    expect(retried).toMatchObject({ remediated: 2, failed: 0 });
    expect(retried.iamCalls).not.toHaveProperty('DetachRolePolicy');
    expect(retried.iamCalls).not.toHaveProperty('DeleteUserPolicy');
    const subjects = (await readNotifications(resources)).map((notification) => notification.subject).sort();
    expect(subjects).toEqual([
      'iam-warden: deleted inline policy grant of user sw-retry-user',
      'iam-warden: detached AdministratorAccess from role sw-retry-role',
    ]);
    for (const decision of retried.decisions.filter((d) => d.outcome === 'remediated')) {
      expect((await readAudit(clients, resources, decision.remediationId))?.notifiedAt).toEqual(
        expect.any(String),
      );
    }
  });
});

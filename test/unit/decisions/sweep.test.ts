import { describe, expect, it } from 'vitest';
import { type ReportRow, ROOT_ACCOUNT } from '../../../lib/credential-report.js';
import {
  adminPolicyFindings,
  inlinePolicyFindings,
  type RoleDetails,
  selectKeyCandidates,
  selectKeyWarnings,
  type UserDetails,
  usersMissingFromReport,
} from '../../../lib/decisions/sweep.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2025-06-01T12:00:00.000Z');
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function daysAgo(days: number): Date {
  return new Date(NOW.getTime() - days * DAY_MS);
}

type Slot = [active: boolean, lastRotated: Date | undefined];

function user(name: string, key1: Slot = [false, undefined], key2: Slot = [false, undefined]): ReportRow {
  return {
    user: name,
    arn: `arn:aws:iam::123456789012:user/${name}`,
    keys: [
      { slot: 1, active: key1[0], lastRotated: key1[1] },
      { slot: 2, active: key2[0], lastRotated: key2[1] },
    ],
  };
}

function root(key1: Slot, key2: Slot = [false, undefined]): ReportRow {
  return { ...user(ROOT_ACCOUNT, key1, key2), arn: 'arn:aws:iam::123456789012:root' };
}

describe('selectKeyCandidates', () => {
  it('selects users with an active key older than the limit, in either slot', () => {
    const rows = [
      user('old-first', [true, daysAgo(91)]),
      user('old-second', [true, daysAgo(10)], [true, daysAgo(200)]),
      user('fresh', [true, daysAgo(89)]),
      user('old-but-inactive', [false, daysAgo(400)]),
      user('no-keys'),
    ];

    expect(selectKeyCandidates({ rows }, NOW, 90)).toEqual({
      users: ['old-first', 'old-second'],
      rootPlan: undefined,
    });
  });

  it('leaves a key exactly at the limit alone, as the event path does', () => {
    const rows = [
      user('at-limit', [true, daysAgo(90)]),
      user('just-over', [true, new Date(daysAgo(90).getTime() - 1)]),
    ];

    expect(selectKeyCandidates({ rows }, NOW, 90).users).toEqual(['just-over']);
  });

  it('cannot judge an active key without a date, and leaves it to the event path', () => {
    expect(selectKeyCandidates({ rows: [user('dateless', [true, undefined])] }, NOW, 90).users).toEqual([]);
  });

  it('raises an alert, never a candidate, for an active root key of any age', () => {
    const result = selectKeyCandidates({ rows: [root([true, daysAgo(3)], [true, daysAgo(900)])] }, NOW, 90);

    expect(result.users).toEqual([]);
    expect(result.rootPlan).toEqual({
      kind: 'alert',
      reason: expect.stringContaining(
        'the root user has an active access key: key 1 (3 days old), key 2 (900 days old)',
      ),
    });
  });

  it('says nothing about a root user without active keys', () => {
    expect(selectKeyCandidates({ rows: [root([false, daysAgo(900)])] }, NOW, 90).rootPlan).toBeUndefined();
  });
});

describe('usersMissingFromReport', () => {
  const generatedAt = daysAgo(0.1);
  const details = (name: string, createDate: Date | undefined): UserDetails => ({
    name,
    arn: `arn:aws:iam::123456789012:user/${name}`,
    createDate,
    inlinePolicies: [],
  });

  it('returns users older than the report that it does not describe', () => {
    const users = [
      details('described', daysAgo(30)),
      details('unreadable-row', daysAgo(30)),
      details('created-after-report', daysAgo(0.05)),
      details('no-date', undefined),
    ];

    expect(usersMissingFromReport(users, { rows: [user('described')] }, generatedAt)).toEqual([
      'unreadable-row',
      'no-date',
    ]);
  });
});

describe('selectKeyWarnings', () => {
  it('warns once about each active key on the day it enters the warning period', () => {
    const rows = [
      user('enters-today', [true, daysAgo(83.5)]),
      user('entered-yesterday', [true, daysAgo(84.2)]),
      user('enters-tomorrow', [true, daysAgo(82.9)]),
      user('second-slot', [false, daysAgo(83.1)], [true, daysAgo(83.9)]),
      user('inactive', [false, daysAgo(83.5)]),
    ];

    const warnings = selectKeyWarnings({ rows }, NOW, 90, 7);

    expect(warnings).toEqual([
      {
        userName: 'enters-today',
        userArn: 'arn:aws:iam::123456789012:user/enters-today',
        slot: 1,
        createDate: daysAgo(83.5),
        ageDays: 83,
        deactivateAfter: new Date(daysAgo(83.5).getTime() + 90 * DAY_MS),
      },
      expect.objectContaining({ userName: 'second-slot', slot: 2, ageDays: 83 }),
    ]);
  });

  it('is off at 0 days, and when the period would start before the key exists', () => {
    const rows = [user('a', [true, daysAgo(0.5)]), user('b', [true, daysAgo(83.5)])];

    expect(selectKeyWarnings({ rows }, NOW, 90, 0)).toEqual([]);
    expect(selectKeyWarnings({ rows }, NOW, 90, 90)).toEqual([]);
  });

  it('never warns the root user, whose keys are alerted on instead', () => {
    expect(selectKeyWarnings({ rows: [root([true, daysAgo(83.5)])] }, NOW, 90, 7)).toEqual([]);
  });
});

describe('adminPolicyFindings', () => {
  const trustOf = (principal: unknown) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal }] });
  const role = (
    name: string,
    path = '/',
    attached: string[] = [ADMIN],
    trustPolicy = trustOf({ Service: 'ec2.amazonaws.com' }),
  ): RoleDetails => ({
    name,
    path,
    arn: `arn:aws:iam::123456789012:role${path}${name}`,
    attachedPolicyArns: attached,
    trustPolicy,
  });

  it('makes every non-admin role holding AdministratorAccess a candidate, in any partition', () => {
    const findings = adminPolicyFindings(
      [
        role('app'),
        role('cn-app', '/', ['arn:aws-cn:iam::aws:policy/AdministratorAccess']),
        role('read-only', '/', ['arn:aws:iam::aws:policy/ReadOnlyAccess']),
        role('no-policies', '/', []),
      ],
      [],
    );

    expect(
      findings.map((finding) => [finding.subject.role.name, finding.subject.policyArn, finding.plan.kind]),
    ).toEqual([
      ['app', ADMIN, 'act'],
      ['cn-app', 'arn:aws-cn:iam::aws:policy/AdministratorAccess', 'act'],
    ]);
    expect(findings[0]?.plan).toEqual({
      kind: 'act',
      action: { kind: 'detach-policy', roleName: 'app', policyArn: ADMIN },
      reason: expect.stringContaining('not a designated admin role'),
    });
  });

  it('skips designated admin roles, qualifying built-in admin roles and roles AWS reserves, as the event path does', () => {
    const findings = adminPolicyFindings(
      [
        role(
          'OrganizationAccountAccessRole',
          '/',
          [ADMIN],
          trustOf({ AWS: 'arn:aws:iam::999988887777:root' }),
        ),
        role('custom-admin'),
        role('AWSServiceRoleForSupport', '/aws-service-role/support.amazonaws.com/'),
        role('AWSReservedSSO_Admin_0123', '/aws-reserved/sso.amazonaws.com/'),
      ],
      ['custom-*'],
    );

    expect(findings.map((finding) => finding.plan.kind)).toEqual(['skip', 'skip', 'skip', 'skip']);
    expect(findings[0]?.plan.reason).toContain('it trusts AWS arn:aws:iam::999988887777:root');
    expect(findings[2]?.plan.reason).toContain('/aws-service-role/');
  });

  it("makes candidates of break-glass look-alikes and of built-in names whose trust policy is not their owner's", () => {
    const findings = adminPolicyFindings(
      [
        role('not-break-glass-really'),
        role('OrganizationAccountAccessRole', '/', [ADMIN], trustOf({ AWS: '*' })),
        { ...role('AWSCloudFormationStackSetExecutionRole'), trustPolicy: undefined },
      ],
      [],
    );

    expect(findings.map((finding) => finding.plan.kind)).toEqual(['act', 'act', 'act']);
    expect(findings[1]?.plan.reason).toContain(
      "does not apply: it admits anyone (*), not only another account's root",
    );
    expect(findings[2]?.plan.reason).toContain('does not apply: its trust policy could not be read');
  });
});

describe('inlinePolicyFindings', () => {
  const allow = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
  });
  const deny = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
  });

  it('makes every inline policy that grants something a candidate, and skips deny-only ones', () => {
    const users: UserDetails[] = [
      {
        name: 'alice',
        arn: 'arn:aws:iam::123456789012:user/alice',
        createDate: NOW,
        inlinePolicies: [
          { name: 'grant', document: allow },
          { name: 'fence', document: deny },
          { name: 'AWSCompromisedKeyQuarantineV3', document: deny },
        ],
      },
      { name: 'bob', arn: 'arn:aws:iam::123456789012:user/bob', createDate: NOW, inlinePolicies: [] },
    ];

    const findings = inlinePolicyFindings(users);

    expect(
      findings.map((finding) => [finding.subject.user.name, finding.subject.policyName, finding.plan.kind]),
    ).toEqual([
      ['alice', 'grant', 'act'],
      ['alice', 'fence', 'skip'],
      ['alice', 'AWSCompromisedKeyQuarantineV3', 'skip'],
    ]);
    expect(findings[0]?.plan).toMatchObject({
      action: { kind: 'delete-inline-policy', userName: 'alice', policyName: 'grant', policyDocument: allow },
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  decideAdminPolicy,
  isAdministratorAccess,
  isDesignatedAdminRole,
} from '../../../lib/decisions/admin-policy.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

const ACCOUNT = '123456789012';
const MANAGEMENT = '999988887777';

function trustOf(principal: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra }],
  });
}

const LAMBDA_TRUST = trustOf({ Service: 'lambda.amazonaws.com' });

function role(name: string, path = '/', account = ACCOUNT, partition = 'aws', trustPolicy = LAMBDA_TRUST) {
  return { name, path, arn: `arn:${partition}:iam::${account}:role${path}${name}`, trustPolicy };
}

function trusting(name: string, principal: unknown) {
  return { ...role(name), trustPolicy: trustOf(principal) };
}

function decide(
  subject: { name: string; path: string; arn: string; trustPolicy?: string | undefined },
  options: { policyArn?: string; attached?: string[]; patterns?: readonly string[] } = {},
) {
  const policyArn = options.policyArn ?? ADMIN;
  return decideAdminPolicy({
    role: { ...subject, trustPolicy: subject.trustPolicy },
    policyArn,
    attachedPolicyArns: options.attached ?? [policyArn],
    adminRolePatterns: options.patterns ?? [],
  });
}

describe('isAdministratorAccess', () => {
  it.each([
    'arn:aws:iam::aws:policy/AdministratorAccess',
    'arn:aws-cn:iam::aws:policy/AdministratorAccess',
    'arn:aws-us-gov:iam::aws:policy/AdministratorAccess',
  ])('recognises %s', (arn) => {
    expect(isAdministratorAccess(arn)).toBe(true);
  });

  it.each([
    'arn:aws:iam::123456789012:policy/AdministratorAccess',
    'arn:aws:iam::aws:policy/AdministratorAccess-Amplify',
    'arn:aws:iam::aws:policy/job-function/AdministratorAccess',
    'arn:aws:iam::aws:policy/administratoraccess',
    'arn:aws:iam::aws:policy/PowerUserAccess',
    'arn:aws:iam::aws:policy/example-policy',
    'arn:aws-foo:iam::aws:policy/AdministratorAccess',
    'AdministratorAccess',
    '',
  ])('does not take %s for AdministratorAccess', (arn) => {
    expect(isAdministratorAccess(arn)).toBe(false);
  });
});

describe('isDesignatedAdminRole', () => {
  it('matches names ignoring case, as IAM does for role names', () => {
    expect(isDesignatedAdminRole(role('Ops-Break-Glass'), ['ops-break-glass'])).toBe('ops-break-glass');
    expect(isDesignatedAdminRole(role('OPS-ADMIN'), ['ops-*'])).toBe('ops-*');
  });

  it('matches a pattern starting with arn: against the role ARN, path included', () => {
    const patterns = ['arn:aws:iam::123456789012:role/admins/*'];

    expect(isDesignatedAdminRole(role('ops', '/admins/'), patterns)).toBe(patterns[0]);
    expect(isDesignatedAdminRole(role('ops', '/'), patterns)).toBeUndefined();
    expect(isDesignatedAdminRole(role('ops', '/admins/', '210987654321'), patterns)).toBeUndefined();
  });

  it('does not match an ARN pattern against the name, nor when the ARN is unknown', () => {
    const patterns = ['arn:aws:iam::123456789012:role/ops'];

    expect(isDesignatedAdminRole({ name: 'arn:aws:iam::123456789012:role/ops' }, patterns)).toBeUndefined();
    expect(isDesignatedAdminRole({ name: 'ops', arn: undefined }, patterns)).toBeUndefined();
  });

  it('does not match a name pattern against the ARN', () => {
    expect(isDesignatedAdminRole(role('ops'), ['*:role/ops'])).toBeUndefined();
  });

  it('matches ARN patterns in the China and GovCloud partitions', () => {
    expect(
      isDesignatedAdminRole(role('ops', '/', '123456789012', 'aws-cn'), ['arn:aws-cn:iam::*:role/ops']),
    ).toBeDefined();
    expect(
      isDesignatedAdminRole(role('ops', '/', '123456789012', 'aws-us-gov'), ['arn:aws-us-gov:*:role/ops']),
    ).toBeDefined();
  });

  it('treats the characters IAM allows in names (+=,.@_-) literally', () => {
    const name = 'deploy+ci=prod,eu.west@team_a-1';

    expect(isDesignatedAdminRole(role(name), [name])).toBe(name);
    expect(isDesignatedAdminRole(role('a.b'), ['a.b'])).toBe('a.b');
    expect(isDesignatedAdminRole(role('axb'), ['a.b'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('aa'), ['a+'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('a+'), ['a+'])).toBe('a+');
    expect(isDesignatedAdminRole(role('ab'), ['a,b'])).toBeUndefined();
  });

  it('treats regular-expression syntax in patterns literally', () => {
    expect(isDesignatedAdminRole(role('ab'), ['(a|x)b'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('a'), ['[a]'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('aaa'), ['a{3}'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('x'), ['^x$'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('a\\b'), ['a\\b'])).toBe('a\\b');
  });

  it('matches ? to exactly one character and * to any run, anchored at both ends', () => {
    expect(isDesignatedAdminRole(role('admin1'), ['admin?'])).toBe('admin?');
    expect(isDesignatedAdminRole(role('admin'), ['admin?'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('admin12'), ['admin?'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('team-admin'), ['admin*'])).toBeUndefined();
    expect(isDesignatedAdminRole(role('admin-team'), ['admin*'])).toBe('admin*');
  });

  it('returns the first pattern that matches', () => {
    expect(isDesignatedAdminRole(role('ops-admin'), ['nope', 'ops-*', '*-admin'])).toBe('ops-*');
  });

  it('designates nothing with no patterns', () => {
    expect(isDesignatedAdminRole(role('OrganizationAccountAccessRole'), [])).toBeUndefined();
  });
});

describe('decideAdminPolicy', () => {
  it('detaches AdministratorAccess from a non-admin role', () => {
    expect(decide(role('new-role'))).toEqual({
      kind: 'act',
      action: { kind: 'detach-policy', roleName: 'new-role', policyArn: ADMIN },
      reason: 'AdministratorAccess was attached to role new-role, which is not a designated admin role',
    });
  });

  it.each([
    'arn:aws-cn:iam::aws:policy/AdministratorAccess',
    'arn:aws-us-gov:iam::aws:policy/AdministratorAccess',
  ])('detaches %s with its own ARN', (policyArn) => {
    expect(decide(role('new-role'), { policyArn })).toMatchObject({
      kind: 'act',
      action: { kind: 'detach-policy', roleName: 'new-role', policyArn },
    });
  });

  it('leaves any other policy alone', () => {
    const policyArn = 'arn:aws:iam::aws:policy/example-policy';

    expect(decide(role('LambdaFunctionRole-1111'), { policyArn })).toEqual({
      kind: 'none',
      reason: `${policyArn} is not AdministratorAccess`,
    });
  });

  it.each([
    ['/aws-service-role/', '/aws-service-role/ecs.amazonaws.com/'],
    ['/aws-service-role/', '/aws-service-role/'],
    ['/aws-reserved/', '/aws-reserved/sso.amazonaws.com/'],
    ['/aws-reserved/', '/aws-reserved/sso.amazonaws.com/eu-west-1/'],
  ])('skips a role under %s (path %s), which IAM will not let anyone modify', (reserved, path) => {
    const plan = decide(role('AWSReservedSSO_AdministratorAccess_0123456789abcdef', path));

    expect(plan.kind).toBe('skip');
    expect(plan.reason).toContain(reserved);
  });

  it('does not take a path that merely contains a reserved segment for reserved', () => {
    expect(decide(role('new-role', '/team/aws-service-role/')).kind).toBe('act');
  });

  it('skips a designated admin role, naming the pattern and the principals the role trusts', () => {
    expect(decide(role('ops-break-glass'), { patterns: ['ops-break-glass'] })).toEqual({
      kind: 'skip',
      reason:
        'role ops-break-glass is a designated admin role (matches "ops-break-glass"); it trusts Service lambda.amazonaws.com',
    });
  });

  it('skips a role designated by a configured ARN pattern', () => {
    const plan = decide(role('ops', '/admins/'), { patterns: ['arn:aws:iam::123456789012:role/admins/*'] });

    expect(plan.kind).toBe('skip');
  });

  it('designates a break-glass role by ARN, and no longer by a name that merely contains break-glass', () => {
    const breakGlass = `arn:aws:iam::${ACCOUNT}:role/break-glass-admin`;

    expect(decide(role('break-glass-admin'), { patterns: [breakGlass] }).kind).toBe('skip');
    for (const name of ['not-break-glass-really', 'ops-breakglass', 'emergency_break_glass', 'BREAK-GLASS']) {
      expect(decide(role(name), { patterns: [breakGlass] })).toMatchObject({
        kind: 'act',
        reason: `AdministratorAccess was attached to role ${name}, which is not a designated admin role`,
      });
    }
  });

  it('says when a designated role trust policy could not be read, and still skips it: the customer named it', () => {
    const plan = decide({ ...role('ops-admin'), trustPolicy: undefined }, { patterns: ['ops-admin'] });

    expect(plan).toEqual({
      kind: 'skip',
      reason:
        'role ops-admin is a designated admin role (matches "ops-admin"); it trusts unknown (its trust policy could not be read)',
    });
  });

  it('skips a built-in admin role whose trust policy is the one its owner creates it with, naming the principals', () => {
    const plan = decide(
      trusting('OrganizationAccountAccessRole', { AWS: `arn:aws:iam::${MANAGEMENT}:root` }),
    );

    expect(plan).toEqual({
      kind: 'skip',
      reason: `role OrganizationAccountAccessRole is a built-in admin role of AWS Organizations, trusting only what the tool creates it with; it trusts AWS arn:aws:iam::${MANAGEMENT}:root`,
    });
  });

  it('keeps AdministratorAccess on the CDK bootstrap execution role trusting CloudFormation', () => {
    const name = `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-us-east-1`;

    expect(decide(trusting(name, { Service: 'cloudformation.amazonaws.com' }))).toMatchObject({
      kind: 'skip',
      reason: expect.stringContaining('it trusts Service cloudformation.amazonaws.com'),
    });
  });

  it("detaches AdministratorAccess from a built-in name whose trust policy is not its owner's, and says why", () => {
    const name = 'stacksets-exec-0123456789abcdef0123456789abcdef';
    const plan = decide(trusting(name, { AWS: `arn:aws:iam::${MANAGEMENT}:user/mallory` }));

    expect(plan).toEqual({
      kind: 'act',
      action: { kind: 'detach-policy', roleName: name, policyArn: ADMIN },
      reason: `AdministratorAccess was attached to role ${name}, which is not a designated admin role; the exemption for built-in admin roles of StackSets (service-managed) does not apply: it admits AWS arn:aws:iam::${MANAGEMENT}:user/mallory, not only another account's role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin; it trusts AWS arn:aws:iam::${MANAGEMENT}:user/mallory`,
    });
  });

  it('detaches AdministratorAccess from a built-in name whose trust policy cannot be read (failing closed)', () => {
    const plan = decide(role('AWSControlTowerExecution', '/', ACCOUNT, 'aws', '{not json'));

    expect(plan.kind).toBe('act');
    expect(plan.reason).toContain(
      'the exemption for built-in admin roles of AWS Control Tower does not apply: its trust policy could not be read',
    );
  });

  it('lets a customer designation win over a refused built-in name', () => {
    const subject = trusting('AWSControlTowerExecution', '*');

    expect(decide(subject).kind).toBe('act');
    expect(decide(subject, { patterns: ['AWSControlTowerExecution'] })).toEqual({
      kind: 'skip',
      reason:
        'role AWSControlTowerExecution is a designated admin role (matches "AWSControlTowerExecution"); it trusts anyone (*)',
    });
  });

  it('says nothing of a refused built-in whose AdministratorAccess is already gone', () => {
    const plan = decide(trusting('AWSControlTowerExecution', '*'), { attached: [] });

    expect(plan).toEqual({
      kind: 'none',
      reason: 'AdministratorAccess is no longer attached to role AWSControlTowerExecution',
    });
  });

  it('says nothing when AdministratorAccess is no longer attached', () => {
    expect(decide(role('new-role'), { attached: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] })).toEqual({
      kind: 'none',
      reason: 'AdministratorAccess is no longer attached to role new-role',
    });
  });

  it('compares the attached policy in the partition of the event', () => {
    const plan = decide(role('new-role'), {
      policyArn: 'arn:aws-cn:iam::aws:policy/AdministratorAccess',
      attached: [ADMIN],
    });

    expect(plan.kind).toBe('none');
  });

  it('skips a reserved role before looking at its name or attachments', () => {
    const plan = decide(role('new-role', '/aws-reserved/sso.amazonaws.com/'), { attached: [] });

    expect(plan.kind).toBe('skip');
  });
});

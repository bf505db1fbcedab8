import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_ROLE_PATTERNS } from '../../../lib/config.js';
import {
  decideAdminPolicy,
  isAdministratorAccess,
  isDesignatedAdminRole,
} from '../../../lib/decisions/admin-policy.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function role(name: string, path = '/', account = '123456789012', partition = 'aws') {
  return { name, path, arn: `arn:${partition}:iam::${account}:role${path}${name}` };
}

function decide(
  subject: { name: string; path: string; arn: string },
  options: { policyArn?: string; attached?: string[]; patterns?: readonly string[] } = {},
) {
  const policyArn = options.policyArn ?? ADMIN;
  return decideAdminPolicy({
    role: subject,
    policyArn,
    attachedPolicyArns: options.attached ?? [policyArn],
    adminRolePatterns: options.patterns ?? DEFAULT_ADMIN_ROLE_PATTERNS,
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
  it.each([
    ['AWSControlTowerExecution', 'AWSControlTowerExecution'],
    ['AWSAFTExecution', 'AWSAFTExecution'],
    ['AWSAFTService', 'AWSAFTService'],
    ['AWSAFTAdmin', 'AWSAFTAdmin'],
    ['OrganizationAccountAccessRole', 'OrganizationAccountAccessRole'],
    ['AWSCloudFormationStackSetExecutionRole', 'AWSCloudFormationStackSetExecutionRole'],
    ['stacksets-exec-0123456789abcdef0123456789abcdef', 'stacksets-exec-*'],
    ['stacksets-exec-', 'stacksets-exec-*'],
    ['prod-break-glass-admin', '*break-glass*'],
    ['BreakGlass', '*breakglass*'],
    ['emergency_break_glass', '*break_glass*'],
  ])('designates %s by default (pattern %s)', (name, pattern) => {
    expect(isDesignatedAdminRole(role(name), DEFAULT_ADMIN_ROLE_PATTERNS)).toBe(pattern);
  });

  it.each([
    'organizationaccountaccessrole',
    'ORGANIZATIONACCOUNTACCESSROLE',
    'awscontroltowerexecution',
    'StackSets-Exec-abc',
    'BREAK-GLASS',
  ])('matches default patterns ignoring case (%s)', (name) => {
    expect(isDesignatedAdminRole(role(name), DEFAULT_ADMIN_ROLE_PATTERNS)).toBeDefined();
  });

  it.each([
    'new-role',
    'AWSControlTowerExecution2',
    'MyOrganizationAccountAccessRole',
    'stacksets-exec',
    'stacksetsexec-abc',
    'breakglas',
    'AWSAFTExecutionRole',
  ])('does not designate %s by default', (name) => {
    expect(isDesignatedAdminRole(role(name), DEFAULT_ADMIN_ROLE_PATTERNS)).toBeUndefined();
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

  it('skips a designated admin role and names the pattern', () => {
    expect(decide(role('OrganizationAccountAccessRole'))).toEqual({
      kind: 'skip',
      reason:
        'role OrganizationAccountAccessRole is a designated admin role (matches "OrganizationAccountAccessRole")',
    });
  });

  it('skips a role designated by a configured ARN pattern', () => {
    const plan = decide(role('ops', '/admins/'), {
      patterns: ['arn:aws:iam::123456789012:role/admins/*', ...DEFAULT_ADMIN_ROLE_PATTERNS],
    });

    expect(plan.kind).toBe('skip');
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

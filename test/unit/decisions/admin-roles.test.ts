import { describe, expect, it } from 'vitest';
import { BUILT_IN_ADMIN_ROLES, judgeBuiltInAdminRole } from '../../../lib/decisions/admin-roles.js';
import { parseTrustPolicy } from '../../../lib/decisions/trust-policy.js';

const ACCOUNT = '123456789012';
const MANAGEMENT = '999988887777';
const OTHER = '555566667777';
const STACKSETS_ADMIN = (account: string, partition = 'aws') =>
  `arn:${partition}:iam::${account}:role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin`;
const CDK_ROLE = `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-us-east-1`;
const STACKSETS_ROLE = 'stacksets-exec-899a82a2cb437e970934262f85c7628a';

function role(name: string, partition = 'aws', account = ACCOUNT) {
  return { name, arn: `arn:${partition}:iam::${account}:role/${name}` };
}

/** A trust policy of one Allow statement per principal object given. */
function trust(...principals: unknown[]) {
  return parseTrustPolicy(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: principals.map((principal) => ({
        Effect: 'Allow',
        Principal: principal,
        Action: 'sts:AssumeRole',
      })),
    }),
  );
}

function verdict(name: string, ...principals: unknown[]) {
  return judgeBuiltInAdminRole(role(name), trust(...principals)).kind;
}

/** What each built-in's owner creates it with (see the sources cited in lib/decisions/admin-roles.ts). */
const AS_CREATED: readonly [string, unknown[]][] = [
  ['OrganizationAccountAccessRole', [{ AWS: `arn:aws:iam::${MANAGEMENT}:root` }]],
  ['AWSControlTowerExecution', [{ AWS: `arn:aws:iam::${MANAGEMENT}:root` }]],
  [STACKSETS_ROLE, [{ AWS: STACKSETS_ADMIN(MANAGEMENT) }]],
  ['AWSCloudFormationStackSetExecutionRole', [{ AWS: `arn:aws:iam::${MANAGEMENT}:root` }]],
  [
    'AWSAFTExecution',
    [
      {
        AWS: [
          `arn:aws:iam::${MANAGEMENT}:role/AWSAFTAdmin`,
          `arn:aws:sts::${MANAGEMENT}:assumed-role/AWSAFTAdmin/AWSAFT-Session`,
        ],
      },
    ],
  ],
  ['AWSAFTService', [{ AWS: `arn:aws:iam::${MANAGEMENT}:role/AWSAFTAdmin` }]],
  [CDK_ROLE, [{ Service: 'cloudformation.amazonaws.com' }]],
];

describe('judgeBuiltInAdminRole', () => {
  it.each(AS_CREATED)('honours %s trusting what its owner creates it with', (name, principals) => {
    expect(judgeBuiltInAdminRole(role(name), trust(...principals))).toMatchObject({ kind: 'honoured' });
  });

  it.each([
    'not-break-glass-really',
    'break-glass-admin',
    'BreakGlass',
    'emergency_break_glass',
    'AWSAFTAdmin',
    'organizationaccountaccessrole',
    'ORGANIZATIONACCOUNTACCESSROLE',
    'awscontroltowerexecution',
    'MyOrganizationAccountAccessRole',
    'OrganizationAccountAccessRole2',
    'AWSAFTExecutionRole',
    'stacksets-exec-',
    'stacksets-exec-abc',
    'stacksets-exec-899A82A2CB437E970934262F85C7628A',
    'stacksets-exec-899a82a2cb437e970934262f85c7628',
    'stacksets-exec-899a82a2cb437e970934262f85c7628a0',
    'StackSets-Exec-899a82a2cb437e970934262f85c7628a',
    'cdk-hnb659fds-cfn-exec-role',
    `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}`,
    `cdk-toolongqual1-cfn-exec-role-${ACCOUNT}-us-east-1`,
    `cdk-hnb659fds-cfn-exec-role-12345678901-us-east-1`,
    `cdk-hnb659fds-deploy-role-${ACCOUNT}-us-east-1`,
    `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-us-east-1-x`,
    `CDK-hnb659fds-cfn-exec-role-${ACCOUNT}-us-east-1`,
  ])('does not take %s for a built-in admin role, whatever it trusts', (name) => {
    expect(verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:root` })).toBe('not-built-in');
    expect(verdict(name, { Service: 'cloudformation.amazonaws.com' })).toBe('not-built-in');
  });

  it.each([
    `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-us-gov-west-1`,
    `cdk-my_qual-1-cfn-exec-role-${ACCOUNT}-ap-southeast-2`,
    `cdk-a-cfn-exec-role-${ACCOUNT}-eu-central-1`,
    `cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-us-isob-east-1`,
  ])('recognises the CDK execution role of any qualifier and region (%s)', (name) => {
    expect(verdict(name, { Service: 'cloudformation.amazonaws.com' })).toBe('honoured');
  });

  it('refuses every built-in whose trust policy admits anyone, as "*" or through NotPrincipal', () => {
    for (const [name] of AS_CREATED) {
      expect(verdict(name, '*')).toBe('refused');
      expect(verdict(name, { AWS: '*' })).toBe('refused');
      const notPrincipal = parseTrustPolicy(
        JSON.stringify({
          Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` } }],
        }),
      );
      expect(judgeBuiltInAdminRole(role(name), notPrincipal).kind).toBe('refused');
    }
  });

  it('refuses every built-in that also admits a federated (web identity or SAML) principal', () => {
    const federated = {
      Federated: `arn:aws:iam::${MANAGEMENT}:oidc-provider/token.actions.githubusercontent.com`,
    };
    for (const [name, principals] of AS_CREATED) {
      expect(judgeBuiltInAdminRole(role(name), trust(...principals, federated))).toMatchObject({
        kind: 'refused',
        why: expect.stringContaining('it admits Federated arn:aws:iam::999988887777:oidc-provider/'),
      });
    }
  });

  it('refuses every built-in that also admits another principal, or none', () => {
    for (const [name, principals] of AS_CREATED) {
      expect(verdict(name, ...principals, { AWS: `arn:aws:iam::${OTHER}:user/mallory` })).toBe('refused');
      expect(verdict(name, ...principals, { Service: 'lambda.amazonaws.com' })).toBe('refused');
      expect(verdict(name)).toBe('refused');
    }
  });

  it('refuses every built-in whose trust policy cannot be read, saying so', () => {
    for (const [name] of AS_CREATED) {
      expect(judgeBuiltInAdminRole(role(name), parseTrustPolicy('{'))).toMatchObject({
        kind: 'refused',
        why: 'its trust policy could not be read',
      });
    }
  });

  it('refuses a built-in whose ARN is unknown', () => {
    expect(
      judgeBuiltInAdminRole(
        { name: 'AWSControlTowerExecution', arn: '' },
        trust({ AWS: `arn:aws:iam::${MANAGEMENT}:root` }),
      ),
    ).toEqual(expect.objectContaining({ kind: 'refused', why: 'its ARN is unknown' }));
  });

  it('accepts a condition on the principal its owner trusts: a condition only narrows', () => {
    const conditional = parseTrustPolicy(
      JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
            Action: 'sts:AssumeRole',
            Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
          },
        ],
      }),
    );

    expect(judgeBuiltInAdminRole(role('OrganizationAccountAccessRole'), conditional).kind).toBe('honoured');
  });

  describe('OrganizationAccountAccessRole and AWSControlTowerExecution', () => {
    it.each(['OrganizationAccountAccessRole', 'AWSControlTowerExecution'])(
      '%s: trusts one other account root',
      (name) => {
        expect(verdict(name, { AWS: MANAGEMENT })).toBe('honoured');
        expect(verdict(name, { AWS: [`arn:aws:iam::${MANAGEMENT}:root`, MANAGEMENT] })).toBe('honoured');
        expect(verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:role/Admin` })).toBe('refused');
        expect(verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:user/admin` })).toBe('refused');
        expect(verdict(name, { AWS: 'AROAEXAMPLEUNIQUEID1234' })).toBe('refused');
        expect(
          verdict(name, { AWS: [`arn:aws:iam::${MANAGEMENT}:root`, `arn:aws:iam::${OTHER}:root`] }),
        ).toBe('refused');
        expect(verdict(name, { Service: 'organizations.amazonaws.com' })).toBe('refused');
      },
    );

    it("refuses a trust in the role's own account, and says why", () => {
      expect(
        judgeBuiltInAdminRole(
          role('OrganizationAccountAccessRole'),
          trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` }),
        ),
      ).toMatchObject({
        kind: 'refused',
        why: "it admits its own account, not only another account's root",
      });
    });

    it('refuses principals of several accounts, naming them', () => {
      expect(
        judgeBuiltInAdminRole(role('AWSControlTowerExecution'), trust({ AWS: [MANAGEMENT, OTHER] })),
      ).toMatchObject({ why: 'it admits principals of 2 accounts, not of one' });
    });

    it('requires the principal in the role partition', () => {
      expect(
        judgeBuiltInAdminRole(
          role('OrganizationAccountAccessRole', 'aws-cn'),
          trust({ AWS: `arn:aws-cn:iam::${MANAGEMENT}:root` }),
        ).kind,
      ).toBe('honoured');
      expect(
        judgeBuiltInAdminRole(
          role('OrganizationAccountAccessRole', 'aws-cn'),
          trust({ AWS: `arn:aws:iam::${MANAGEMENT}:root` }),
        ).kind,
      ).toBe('refused');
    });
  });

  describe('stacksets-exec-<32 hex>', () => {
    it("trusts only the management account's StackSets service-linked role", () => {
      expect(verdict(STACKSETS_ROLE, { AWS: `arn:aws:iam::${MANAGEMENT}:root` })).toBe('refused');
      expect(
        verdict(STACKSETS_ROLE, {
          AWS: `arn:aws:iam::${MANAGEMENT}:role/AWSServiceRoleForCloudFormationStackSetsOrgAdmin`,
        }),
      ).toBe('refused');
      expect(verdict(STACKSETS_ROLE, { AWS: STACKSETS_ADMIN(ACCOUNT) })).toBe('refused');
      expect(verdict(STACKSETS_ROLE, { Service: 'cloudformation.amazonaws.com' })).toBe('refused');
      expect(verdict(STACKSETS_ROLE, { AWS: [STACKSETS_ADMIN(MANAGEMENT), STACKSETS_ADMIN(OTHER)] })).toBe(
        'refused',
      );
      expect(
        judgeBuiltInAdminRole(
          role(STACKSETS_ROLE, 'aws-us-gov'),
          trust({ AWS: STACKSETS_ADMIN(MANAGEMENT, 'aws-us-gov') }),
        ).kind,
      ).toBe('honoured');
    });
  });

  describe('AWSCloudFormationStackSetExecutionRole', () => {
    it("trusts one administrator account's root or role, this account included", () => {
      const name = 'AWSCloudFormationStackSetExecutionRole';
      expect(
        verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:role/AWSCloudFormationStackSetAdministrationRole` }),
      ).toBe('honoured');
      expect(verdict(name, { AWS: `arn:aws:iam::${ACCOUNT}:root` })).toBe('honoured');
      expect(verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:user/alice` })).toBe('refused');
      expect(verdict(name, { AWS: `arn:aws:sts::${MANAGEMENT}:assumed-role/Admin/alice` })).toBe('refused');
      expect(verdict(name, { AWS: [MANAGEMENT, OTHER] })).toBe('refused');
    });
  });

  describe('AWSAFTExecution and AWSAFTService', () => {
    it.each(['AWSAFTExecution', 'AWSAFTService'])('%s: trusts only AWSAFTAdmin of one account', (name) => {
      expect(verdict(name, { AWS: `arn:aws:iam::${ACCOUNT}:role/AWSAFTAdmin` })).toBe('honoured');
      expect(verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:root` })).toBe('refused');
      expect(verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:role/AWSAFTAdmin2` })).toBe('refused');
      expect(verdict(name, { AWS: `arn:aws:iam::${MANAGEMENT}:role/team/AWSAFTAdmin` })).toBe('refused');
      expect(verdict(name, { AWS: `arn:aws:sts::${MANAGEMENT}:assumed-role/Other/AWSAFT-Session` })).toBe(
        'refused',
      );
      expect(
        verdict(name, {
          AWS: [`arn:aws:iam::${MANAGEMENT}:role/AWSAFTAdmin`, `arn:aws:iam::${OTHER}:role/AWSAFTAdmin`],
        }),
      ).toBe('refused');
    });
  });

  describe('the CDK bootstrap execution role', () => {
    it('trusts only the CloudFormation service, in its own account', () => {
      expect(verdict(CDK_ROLE, { Service: ['cloudformation.amazonaws.com'] })).toBe('honoured');
      expect(verdict(CDK_ROLE, { Service: ['cloudformation.amazonaws.com', 'lambda.amazonaws.com'] })).toBe(
        'refused',
      );
      expect(verdict(CDK_ROLE, { AWS: `arn:aws:iam::${ACCOUNT}:root` })).toBe('refused');
      expect(
        judgeBuiltInAdminRole(
          role(CDK_ROLE, 'aws', OTHER),
          trust({ Service: 'cloudformation.amazonaws.com' }),
        ),
      ).toMatchObject({
        kind: 'refused',
        why: `its name is for account ${ACCOUNT}, not this one`,
      });
    });
  });

  it('names the tool of every built-in', () => {
    expect(BUILT_IN_ADMIN_ROLES.map((builtIn) => builtIn.tool)).toEqual([
      'AWS Organizations',
      'AWS Control Tower',
      'StackSets (service-managed)',
      'StackSets (self-managed)',
      'Account Factory for Terraform',
      'CDK bootstrap',
    ]);
  });
});

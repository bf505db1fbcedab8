import { describe, expect, it } from 'vitest';
import { decideQuarantine, type QuarantineInput } from '../../../lib/decisions/quarantine.js';

const ACCOUNT = '123456789012';
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/iam-warden-quarantine`;
const OWN = `arn:aws:iam::${ACCOUNT}:role/iam-warden-AdminPolicyRole-X`;

function input(
  actor: Partial<QuarantineInput['actor']>,
  changes: Partial<QuarantineInput> = {},
): QuarantineInput {
  return {
    actor: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/mallory`, issuerArn: undefined, ...actor },
    account: ACCOUNT,
    policyArn: POLICY,
    ownRoleArns: [OWN],
    adminRolePatterns: ['ops-admin', `arn:aws:iam::${ACCOUNT}:role/breakglass/*`],
    ...changes,
  };
}

const session = (roleArn: string) => ({
  type: 'AssumedRole',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleArn.split('/').at(-1)}/s`,
  issuerArn: roleArn,
});

describe('decideQuarantine', () => {
  it('quarantines the IAM user who made the change', () => {
    expect(decideQuarantine(input({}))).toEqual({
      kind: 'act',
      action: { kind: 'quarantine', principalType: 'user', principalName: 'mallory', policyArn: POLICY },
      resource: { type: 'user', name: 'mallory', arn: `arn:aws:iam::${ACCOUNT}:user/mallory` },
    });
  });

  it('quarantines a user under a path by its name', () => {
    const plan = decideQuarantine(input({ arn: `arn:aws:iam::${ACCOUNT}:user/dev/team/mallory` }));

    expect(plan).toMatchObject({ kind: 'act', action: { principalType: 'user', principalName: 'mallory' } });
  });

  it('quarantines the role behind an assumed-role session, not the session', () => {
    const plan = decideQuarantine(input(session(`arn:aws:iam::${ACCOUNT}:role/ci/deployer`)));

    expect(plan).toMatchObject({
      kind: 'act',
      action: { principalType: 'role', principalName: 'deployer' },
      resource: { type: 'role', name: 'deployer', arn: `arn:aws:iam::${ACCOUNT}:role/ci/deployer` },
    });
  });

  it.each([
    ['the root user', { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root` }, /root user: no policy binds it/],
    [
      'an AWS service',
      { type: 'AWSService', arn: 'cloudformation.amazonaws.com' },
      /not an IAM user or role session/,
    ],
    [
      'a federated user',
      { type: 'FederatedUser', arn: `arn:aws:sts::${ACCOUNT}:federated-user/bob` },
      /not an IAM user/,
    ],
    [
      'a service-linked role',
      session(`arn:aws:iam::${ACCOUNT}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX`),
      /under \/aws-service-role\//,
    ],
    [
      'an Identity Center role',
      session(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1`),
      /permission set/,
    ],
    ["iam-warden's own role", session(OWN), /iam-warden's own role/],
    [
      'a designated admin role by name',
      session(`arn:aws:iam::${ACCOUNT}:role/ops-admin`),
      /designated admin role \(matches "ops-admin"\)/,
    ],
    [
      'a designated admin role by ARN',
      session(`arn:aws:iam::${ACCOUNT}:role/breakglass/jane`),
      /designated admin role/,
    ],
    [
      "the organization's access role",
      session(`arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`),
      /AWS Organizations's admin role/,
    ],
    [
      'a role of another account',
      session('arn:aws:iam::999999999999:role/deployer'),
      /belongs to another account/,
    ],
    [
      'a user of another account',
      { arn: 'arn:aws:iam::999999999999:user/mallory' },
      /belongs to another account/,
    ],
    [
      'a session without its role',
      { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/x/s` },
      /does not name the IAM principal/,
    ],
    [
      'a user event naming a role',
      { arn: `arn:aws:iam::${ACCOUNT}:role/mallory` },
      /does not name the IAM principal/,
    ],
  ])('never quarantines %s, and says why', (_name, actor, reason) => {
    const plan = decideQuarantine(input(actor));

    expect(plan).toEqual({ kind: 'skip', reason: expect.stringMatching(reason) });
  });

  it("compares iam-warden's own roles ignoring case", () => {
    const plan = decideQuarantine(
      input(session(`arn:aws:iam::${ACCOUNT}:role/IAM-WARDEN-ADMINPOLICYROLE-X`)),
    );

    expect(plan).toEqual({ kind: 'skip', reason: expect.stringContaining("iam-warden's own role") });
  });
});

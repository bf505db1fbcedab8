import { describe, expect, it } from 'vitest';
import { type AuthorizationDetailsPage, adminMap } from '../../../lib/evaluator/account.js';

const ACCOUNT = '123456789012';
const arn = (resource: string) => `arn:aws:iam::${ACCOUNT}:${resource}`;
const doc = (...Statement: Record<string, unknown>[]) =>
  encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement }));
const allowAll = { Effect: 'Allow', Action: '*', Resource: '*' };
const trust = doc({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' });

const page: AuthorizationDetailsPage = {
  Policies: [
    {
      Arn: arn('policy/star-star'),
      DefaultVersionId: 'v1',
      PolicyVersionList: [
        { VersionId: 'v1', IsDefaultVersion: true, Document: doc({ ...allowAll, Action: '*:*' }) },
      ],
    },
    {
      Arn: arn('policy/not-action'),
      DefaultVersionId: 'v1',
      PolicyVersionList: [
        { VersionId: 'v1', Document: doc({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }) },
      ],
    },
    {
      // Admin in a version that is not the default: not admin now.
      Arn: arn('policy/was-admin'),
      DefaultVersionId: 'v2',
      PolicyVersionList: [
        { VersionId: 'v1', Document: doc(allowAll) },
        { VersionId: 'v2', Document: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }) },
      ],
    },
  ],
  GroupDetailList: [
    {
      GroupName: 'admins',
      Arn: arn('group/admins'),
      GroupPolicyList: [{ PolicyName: 'all', PolicyDocument: doc(allowAll) }],
    },
  ],
  UserDetailList: [
    { UserName: 'alice', Arn: arn('user/alice'), GroupList: ['admins'] },
    {
      UserName: 'bob',
      Arn: arn('user/bob'),
      AttachedManagedPolicies: [{ PolicyArn: arn('policy/star-star') }],
    },
    {
      UserName: 'carol',
      Arn: arn('user/carol'),
      AttachedManagedPolicies: [{ PolicyArn: arn('policy/was-admin') }],
    },
  ],
  RoleDetailList: [
    {
      RoleName: 'na',
      Arn: arn('role/na'),
      AssumeRolePolicyDocument: trust,
      AttachedManagedPolicies: [{ PolicyArn: arn('policy/not-action') }],
    },
    {
      RoleName: 'breakglass',
      Arn: arn('role/breakglass'),
      AssumeRolePolicyDocument: trust,
      RolePolicyList: [
        {
          PolicyName: 'inline',
          PolicyDocument: doc({ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: '*' }),
        },
      ],
    },
  ],
};

describe('adminMap', () => {
  it('finds each form, names how, and marks the designated', () => {
    expect(adminMap([page], ['breakglass'])).toEqual([
      {
        type: 'group',
        name: 'admins',
        arn: arn('group/admins'),
        verdict: 'admin',
        via: ['all #0'],
        designated: false,
      },
      {
        type: 'user',
        name: 'alice',
        arn: arn('user/alice'),
        verdict: 'admin',
        via: ['all #0 via group admins'],
        designated: false,
      },
      {
        type: 'user',
        name: 'bob',
        arn: arn('user/bob'),
        verdict: 'admin',
        via: [`${arn('policy/star-star')} #0`],
        designated: false,
      },
      {
        type: 'role',
        name: 'na',
        arn: arn('role/na'),
        verdict: 'escalation',
        via: expect.arrayContaining([`${arn('policy/not-action')} #0: iam:AttachUserPolicy`]),
        designated: false,
      },
      {
        type: 'role',
        name: 'breakglass',
        arn: arn('role/breakglass'),
        verdict: 'escalation',
        via: ['inline #0: iam:PutRolePolicy'],
        designated: true,
      },
    ]);
  });
});

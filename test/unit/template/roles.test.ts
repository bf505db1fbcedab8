import { beforeAll, describe, expect, it } from 'vitest';
import type { RuleName } from '../../../lib/config.js';
import { loadTemplate, type Template } from '../../../lib/template.js';
import {
  type CfnTemplate,
  DEFAULT_SCOPE,
  type Scope,
  samTransform,
  samTransformAsync,
} from '../../support/cfn.js';
import {
  checkRoles,
  iamWritesGranted,
  type RoleExpectations,
  type SimulatedRequest,
  simulate,
} from './roles.js';

/**
 * Exactly the IAM actions each function's role may be granted, under any parameter values. A function
 * added to the template without an entry here fails `checkRoles` with a message saying so.
 */
/** RepeatOffenderAction=quarantine: each event function may attach the stack's deny-all policy, and only it. */
const QUARANTINE = ['iam:AttachUserPolicy', 'iam:AttachRolePolicy'];

const EXPECTED: RoleExpectations = {
  AccessKeysFunction: {
    iamActions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey', 'iam:ListUserTags', ...QUARANTINE],
  },
  AdminPolicyFunction: {
    iamActions: [
      'iam:GetRole',
      'iam:ListAttachedRolePolicies',
      'iam:DetachRolePolicy',
      'iam:ListRoleTags',
      ...QUARANTINE,
    ],
  },
  InlinePolicyFunction: {
    iamActions: ['iam:GetUserPolicy', 'iam:DeleteUserPolicy', 'iam:ListUserTags', ...QUARANTINE],
  },
  SweepFunction: {
    iamActions: [
      'iam:GenerateCredentialReport',
      'iam:GetCredentialReport',
      'iam:GetAccountAuthorizationDetails',
      'iam:ListAccessKeys',
      'iam:UpdateAccessKey',
      'iam:GetUserPolicy',
      'iam:DeleteUserPolicy',
      'iam:ListAttachedRolePolicies',
      'iam:DetachRolePolicy',
      'iam:ListUserTags',
      'iam:ListRoleTags',
    ],
  },
};

const ACCOUNT = DEFAULT_SCOPE.accountId;
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const AUDIT_TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${DEFAULT_SCOPE.stackName}-AuditTable`;

const QUARANTINE_POLICY = `arn:aws:iam::${ACCOUNT}:policy/iam-warden/${DEFAULT_SCOPE.stackName}-QuarantinePolicy`;

const request = (
  action: string,
  resource: string,
  context?: Record<string, string | string[]>,
): SimulatedRequest => (context ? { action, resource, context } : { action, resource });

/** The template parameter setting each rule's mode. */
const MODE_PARAMETERS: Readonly<Record<RuleName, string>> = {
  'access-keys': 'AccessKeysMode',
  'admin-policy': 'AdminPolicyMode',
  'inline-policy': 'InlinePolicyMode',
};

/** Every rule in enforce: the scope in which each function has all the permissions it may ever get. */
const ENFORCING: Scope = {
  ...DEFAULT_SCOPE,
  parameters: { AccessKeysMode: 'enforce', AdminPolicyMode: 'enforce', InlinePolicyMode: 'enforce' },
};

/** Every parameter that adds a permission, other than the modes: the widest deployment short of enforce. */
const WIDEST = {
  RepeatOffenderAction: 'quarantine',
  ExemptTagKey: 'iam-warden:exempt',
  ForeignKeyAction: 'deactivate',
  Tracing: 'Active',
} as const;

/**
 * Every IAM write iam-warden makes: the functions' remediations and quarantines, and what `iam-warden restore`
 * sends to put things back (a person's credentials make those; no function may).
 */
const WRITES = {
  deactivateKey: request('iam:UpdateAccessKey', USER),
  detachAdministratorAccess: request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': ADMIN }),
  deleteInlinePolicy: request('iam:DeleteUserPolicy', USER),
  quarantineUser: request('iam:AttachUserPolicy', USER, { 'iam:PolicyARN': QUARANTINE_POLICY }),
  quarantineRole: request('iam:AttachRolePolicy', ROLE, { 'iam:PolicyARN': QUARANTINE_POLICY }),
  restoreAdministratorAccess: request('iam:AttachRolePolicy', ROLE, { 'iam:PolicyARN': ADMIN }),
  restoreInlinePolicy: request('iam:PutUserPolicy', USER),
  releaseUser: request('iam:DetachUserPolicy', USER, { 'iam:PolicyARN': QUARANTINE_POLICY }),
  releaseRole: request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': QUARANTINE_POLICY }),
} as const satisfies Record<string, SimulatedRequest>;
type Write = keyof typeof WRITES;

const QUARANTINES: Write[] = ['quarantineUser', 'quarantineRole'];

/** The writes one rule's `enforce` allows, by function: its own remediation, and the quarantine it may lead to. */
const WRITES_WHEN_ENFORCED: Readonly<Record<RuleName, Readonly<Record<string, readonly Write[]>>>> = {
  'access-keys': { AccessKeysFunction: ['deactivateKey', ...QUARANTINES], SweepFunction: ['deactivateKey'] },
  'admin-policy': {
    AdminPolicyFunction: ['detachAdministratorAccess', ...QUARANTINES],
    SweepFunction: ['detachAdministratorAccess'],
  },
  'inline-policy': {
    InlinePolicyFunction: ['deleteInlinePolicy', ...QUARANTINES],
    SweepFunction: ['deleteInlinePolicy'],
  },
};

const FUNCTIONS = ['AccessKeysFunction', 'AdminPolicyFunction', 'InlinePolicyFunction', 'SweepFunction'];

/** Which of `WRITES` each function may make in `scope`, per the policy simulator. */
async function allowedWrites(template: CfnTemplate, scope: Scope): Promise<Record<string, Write[]>> {
  const allowed: Record<string, Write[]> = {};
  for (const fn of FUNCTIONS) {
    allowed[fn] = [];
    for (const [name, write] of Object.entries(WRITES) as [Write, SimulatedRequest][]) {
      if ((await simulate(template, fn, write, scope)) === 'Allowed') allowed[fn].push(name);
    }
  }
  return allowed;
}

/** What no iam-warden role may ever do. */
const NEVER: SimulatedRequest[] = [
  request('iam:CreateUser', USER),
  request('iam:CreateRole', ROLE),
  request('iam:AttachRolePolicy', ROLE, { 'iam:PolicyARN': ADMIN }),
  request('iam:PutRolePolicy', ROLE),
  request('iam:UpdateAssumeRolePolicy', ROLE),
  request('iam:PassRole', ROLE),
  request('iam:CreateAccessKey', USER),
  request('iam:DeleteAccessKey', USER),
  request('iam:DeleteUser', USER),
  request('iam:DeleteRole', ROLE),
  request('iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/any`),
  request('iam:PutUserPolicy', USER),
  request('sts:AssumeRole', ROLE),
  request('iam:UpdateAccessKey', 'arn:aws:iam::999999999999:user/alice'),
  request('sns:Publish', `arn:aws:sns:us-east-1:${ACCOUNT}:someone-elses-topic`),
  request('dynamodb:DeleteTable', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/iam-warden-AuditTable`),
];

const CASES: Record<string, { allowed: SimulatedRequest[]; denied: SimulatedRequest[] }> = {
  AccessKeysFunction: {
    allowed: [
      request('iam:ListAccessKeys', USER),
      request('iam:UpdateAccessKey', USER),
      request('dynamodb:Query', `${AUDIT_TABLE}/index/byResource`),
    ],
    denied: [
      // Only the sweep reads the audit table by run.
      request('dynamodb:Query', `${AUDIT_TABLE}/index/byRun`),
      request('iam:DeleteAccessKey', USER),
      request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': ADMIN }),
      request('iam:DeleteUserPolicy', USER),
      // Tags are read only when an exemption tag key is configured.
      request('iam:ListUserTags', USER),
    ],
  },
  AdminPolicyFunction: {
    allowed: [
      request('iam:GetRole', ROLE),
      request('iam:ListAttachedRolePolicies', ROLE),
      request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': ADMIN }),
    ],
    denied: [
      request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': READ_ONLY }),
      request('iam:DetachRolePolicy', ROLE),
      request('iam:DetachUserPolicy', USER, { 'iam:PolicyARN': ADMIN }),
      request('iam:DeleteRolePolicy', ROLE),
      request('iam:UpdateAccessKey', USER),
      request('iam:ListRoleTags', ROLE),
    ],
  },
  InlinePolicyFunction: {
    allowed: [request('iam:GetUserPolicy', USER), request('iam:DeleteUserPolicy', USER)],
    denied: [
      request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': ADMIN }),
      request('iam:DeleteRolePolicy', ROLE),
      request('iam:UpdateAccessKey', USER),
      request('iam:ListUserTags', USER),
    ],
  },
  SweepFunction: {
    allowed: [
      request('iam:GenerateCredentialReport', '*'),
      request('iam:GetCredentialReport', '*'),
      request('iam:GetAccountAuthorizationDetails', '*'),
      request('iam:ListAccessKeys', USER),
      request('iam:UpdateAccessKey', USER),
      request('iam:GetUserPolicy', USER),
      request('iam:DeleteUserPolicy', USER),
      request('iam:ListAttachedRolePolicies', ROLE),
      request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': ADMIN }),
      request('dynamodb:Query', `${AUDIT_TABLE}/index/byRun`),
      request('dynamodb:Query', `${AUDIT_TABLE}/index/byResource`),
    ],
    denied: [
      // The run's records are read through the index, never by scanning the table.
      request('dynamodb:Scan', AUDIT_TABLE),
      request('dynamodb:Query', AUDIT_TABLE),
      request('iam:GetRole', ROLE),
      request('iam:DetachRolePolicy', ROLE, { 'iam:PolicyARN': READ_ONLY }),
      request('iam:DetachRolePolicy', ROLE),
      request('iam:DetachUserPolicy', USER, { 'iam:PolicyARN': ADMIN }),
      request('iam:DeleteRolePolicy', ROLE),
      request('iam:DeleteLoginProfile', USER),
      request('iam:ListUserTags', USER),
      request('iam:ListRoleTags', ROLE),
    ],
  },
};

/** A statement, or the statements of both branches of an `Fn::If` (a write granted only in enforce). */
function branchesOf(item: unknown): Record<string, unknown>[] {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return [];
  const branches = (item as Record<string, unknown>)['Fn::If'];
  if (Array.isArray(branches)) return branches.slice(1).flatMap(branchesOf);
  return [item as Record<string, unknown>];
}

/** A role policy statement of the SAM template, by role and Sid, for mutating a copy. */
function statementOf(template: Template, roleId: string, sid: string): Record<string, unknown> {
  const policies = (template.Resources[roleId]?.Properties?.Policies ?? []) as {
    PolicyDocument: { Statement: unknown[] };
  }[];
  const statement = policies
    .flatMap((policy) => policy.PolicyDocument.Statement.flatMap(branchesOf))
    .find((s) => s.Sid === sid);
  if (!statement) throw new Error(`no statement ${sid} in ${roleId}`);
  return statement;
}

describe('IAM roles of the transformed template', () => {
  let template: CfnTemplate;
  // The translator is a Python process taking a second or more, longer on a busy machine.
  beforeAll(() => {
    template = samTransform();
  }, 60_000);

  it('grants every function exactly its expected IAM actions, least privilege', async () => {
    await expect(checkRoles(template, EXPECTED)).resolves.toEqual([]);
  });

  it('passes the checks with tracing on, whose X-Ray actions IAM cannot scope', async () => {
    await expect(checkRoles(samTransform(loadTemplate(), { Tracing: 'Active' }), EXPECTED)).resolves.toEqual(
      [],
    );
  }, 60_000);

  it('has a table of allowed and denied requests for every function', () => {
    const functions = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([id]) => id);
    expect(Object.keys(CASES).sort()).toEqual(functions.sort());
  });

  // With every rule in enforce, where each function holds the most it ever may.
  for (const [fn, cases] of Object.entries(CASES)) {
    describe(`${fn}, every rule in enforce`, () => {
      for (const allowed of cases.allowed) {
        it(`may ${allowed.action} on ${allowed.resource} ${JSON.stringify(allowed.context ?? {})}`, async () => {
          await expect(simulate(template, fn, allowed, ENFORCING)).resolves.toBe('Allowed');
        });
      }
      for (const denied of [...cases.denied, ...NEVER]) {
        it(`may not ${denied.action} on ${denied.resource} ${JSON.stringify(denied.context ?? {})}`, async () => {
          await expect(simulate(template, fn, denied, ENFORCING)).resolves.not.toBe('Allowed');
        });
      }
    });
  }

  it('deploys every rule in notify unless enforce is chosen', () => {
    const parameters = loadTemplate().Parameters ?? {};
    expect(Object.values(MODE_PARAMETERS).map((name) => [name, parameters[name]?.Default])).toEqual(
      Object.values(MODE_PARAMETERS).map((name) => [name, 'notify']),
    );
  });

  describe('a deployment with no rule in enforce cannot write to IAM', () => {
    const notify = Object.fromEntries(Object.values(MODE_PARAMETERS).map((name) => [name, 'notify']));
    const off = Object.fromEntries(Object.values(MODE_PARAMETERS).map((name) => [name, 'off']));
    const SCOPES: Record<string, Scope> = {
      'the default parameters': DEFAULT_SCOPE,
      'every rule in notify, every other permission on': {
        ...DEFAULT_SCOPE,
        parameters: { ...notify, ...WIDEST },
      },
      'every rule off, every other permission on': { ...DEFAULT_SCOPE, parameters: { ...off, ...WIDEST } },
    };
    for (const [name, scope] of Object.entries(SCOPES)) {
      it(`with ${name}, no function may make any IAM write iam-warden makes`, async () => {
        await expect(allowedWrites(template, scope)).resolves.toEqual(
          Object.fromEntries(FUNCTIONS.map((fn) => [fn, []])),
        );
      });

      it(`with ${name}, no function's role allows any IAM action above read level`, async () => {
        const granted = await Promise.all(FUNCTIONS.map((fn) => iamWritesGranted(template, fn, scope)));
        expect(Object.fromEntries(FUNCTIONS.map((fn, index) => [fn, granted[index]]))).toEqual(
          Object.fromEntries(FUNCTIONS.map((fn) => [fn, []])),
        );
      });
    }
  });

  for (const [rule, parameter] of Object.entries(MODE_PARAMETERS) as [RuleName, string][]) {
    it(`with only ${rule} in enforce, allows that rule's writes and no other`, async () => {
      const scope = { ...DEFAULT_SCOPE, parameters: { ...WIDEST, [parameter]: 'enforce' } };
      await expect(allowedWrites(template, scope)).resolves.toEqual(
        Object.fromEntries(FUNCTIONS.map((fn) => [fn, [...(WRITES_WHEN_ENFORCED[rule][fn] ?? [])]])),
      );
    });
  }

  it('lets the functions read exemption tags only when a tag key is configured', async () => {
    const scope = { ...DEFAULT_SCOPE, parameters: { ExemptTagKey: 'iam-warden:exempt' } };
    await expect(
      simulate(template, 'AccessKeysFunction', request('iam:ListUserTags', USER), scope),
    ).resolves.toBe('Allowed');
    await expect(
      simulate(template, 'AdminPolicyFunction', request('iam:ListRoleTags', ROLE), scope),
    ).resolves.toBe('Allowed');
    await expect(
      simulate(template, 'AdminPolicyFunction', request('iam:ListUserTags', USER), scope),
    ).resolves.not.toBe('Allowed');
    await expect(simulate(template, 'SweepFunction', request('iam:ListUserTags', USER), scope)).resolves.toBe(
      'Allowed',
    );
    await expect(simulate(template, 'SweepFunction', request('iam:ListRoleTags', ROLE), scope)).resolves.toBe(
      'Allowed',
    );
  });

  it('lets the event functions attach the quarantine policy, and no other, only when quarantine is on', async () => {
    const quarantine = QUARANTINE_POLICY;
    const on = { ...ENFORCING, parameters: { ...ENFORCING.parameters, RepeatOffenderAction: 'quarantine' } };
    const attach = (action: string, resource: string, policyArn: string) =>
      request(action, resource, { 'iam:PolicyARN': policyArn });
    for (const fn of ['AccessKeysFunction', 'AdminPolicyFunction', 'InlinePolicyFunction']) {
      await expect(
        simulate(template, fn, attach('iam:AttachUserPolicy', USER, quarantine), on),
      ).resolves.toBe('Allowed');
      await expect(
        simulate(template, fn, attach('iam:AttachRolePolicy', ROLE, quarantine), on),
      ).resolves.toBe('Allowed');
      await expect(simulate(template, fn, attach('iam:AttachUserPolicy', USER, ADMIN), on)).resolves.not.toBe(
        'Allowed',
      );
      await expect(
        simulate(template, fn, attach('iam:AttachRolePolicy', ROLE, READ_ONLY), on),
      ).resolves.not.toBe('Allowed');
      await expect(
        simulate(template, fn, attach('iam:AttachUserPolicy', USER, quarantine), ENFORCING),
      ).resolves.not.toBe('Allowed');
    }
    await expect(
      simulate(template, 'SweepFunction', attach('iam:AttachUserPolicy', USER, quarantine), on),
    ).resolves.not.toBe('Allowed');
  });

  it('detaches AdministratorAccess in the China partition too', async () => {
    const scope = { ...ENFORCING, partition: 'aws-cn', region: 'cn-north-1' };
    const detach = (policyArn: string) =>
      request('iam:DetachRolePolicy', `arn:aws-cn:iam::${ACCOUNT}:role/app`, { 'iam:PolicyARN': policyArn });
    await expect(
      simulate(
        template,
        'AdminPolicyFunction',
        detach('arn:aws-cn:iam::aws:policy/AdministratorAccess'),
        scope,
      ),
    ).resolves.toBe('Allowed');
    await expect(simulate(template, 'AdminPolicyFunction', detach(ADMIN), scope)).resolves.not.toBe(
      'Allowed',
    );
  });
});

/** Widened copies of the SAM template, and a problem `checkRoles` must report for each. */
const WIDENINGS: { name: string; mutate: (template: Template) => void; reports: string | RegExp }[] = [
  {
    name: 'iam:* granted to a function',
    mutate: (t) => {
      statementOf(t, 'AccessKeysRole', 'DeactivateKeys').Action = 'iam:*';
    },
    reports: 'wildcard action iam:*',
  },
  {
    name: 'an IAM write action on Resource "*"',
    mutate: (t) => {
      statementOf(t, 'InlinePolicyRole', 'DeleteInlineUserPolicies').Resource = '*';
    },
    reports: 'iam:DeleteUserPolicy (Permissions management, Write) on Resource "*"',
  },
  {
    name: 'a write action of another service on Resource "*"',
    mutate: (t) => {
      statementOf(t, 'AdminPolicyRole', 'Notify').Resource = '*';
    },
    reports: 'sns:Publish (Write) on Resource "*"',
  },
  {
    name: 'DetachRolePolicy without the iam:PolicyARN condition',
    mutate: (t) => {
      delete statementOf(t, 'AdminPolicyRole', 'DetachOnlyAdministratorAccess').Condition;
    },
    reports: 'iam:DetachRolePolicy is not limited to named policies by an iam:PolicyARN condition',
  },
  {
    name: 'an iam:PolicyARN condition that matches any policy',
    mutate: (t) => {
      statementOf(t, 'AdminPolicyRole', 'DetachOnlyAdministratorAccess').Condition = {
        ArnLike: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/*' },
      };
    },
    reports: 'iam:DetachRolePolicy is not limited to named policies',
  },
  {
    name: 'an IAM action the function is not expected to have',
    mutate: (t) => {
      statementOf(t, 'InlinePolicyRole', 'DeleteInlineUserPolicies').Action = [
        'iam:DeleteUserPolicy',
        'iam:DeleteAccessKey',
      ];
    },
    reports: 'InlinePolicyFunction: unexpected IAM actions granted: iam:DeleteAccessKey',
  },
  {
    name: 'IAM actions on users of any account',
    mutate: (t) => {
      statementOf(t, 'AccessKeysRole', 'DeactivateKeys').Resource = {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JavaScript's
        'Fn::Sub': 'arn:${AWS::Partition}:iam::*:user/*',
      };
    },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JavaScript's
    reports: 'iam:UpdateAccessKey on {"Fn::Sub":"arn:${AWS::Partition}:iam::*:user/*"}',
  },
  {
    name: 'a function without an entry in the expectations table',
    mutate: (t) => {
      const resources = t.Resources as Record<string, unknown>;
      const fn = structuredClone(t.Resources.InlinePolicyFunction) as { Properties: Record<string, unknown> };
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JavaScript's
      fn.Properties.FunctionName = { 'Fn::Sub': '${AWS::StackName}-extra' };
      fn.Properties.Role = { 'Fn::GetAtt': ['ExtraRole', 'Arn'] };
      resources.ExtraFunction = fn;
      resources.ExtraRole = structuredClone(t.Resources.InlinePolicyRole);
    },
    reports: /^ExtraFunction: no entry in the expected IAM actions table/,
  },
  {
    name: 'a role shared by two functions',
    mutate: (t) => {
      (t.Resources.InlinePolicyFunction?.Properties as Record<string, unknown>).Role = {
        'Fn::GetAtt': ['AccessKeysRole', 'Arn'],
      };
    },
    reports: 'AccessKeysRole: shared by AccessKeysFunction, InlinePolicyFunction',
  },
];

describe('checkRoles on a widened template', () => {
  const transformed = new Map<string, CfnTemplate>();
  beforeAll(async () => {
    // One translator process per copy, all at once: each takes a second or more.
    const original = loadTemplate();
    await Promise.all(
      WIDENINGS.map(async ({ name, mutate }) => {
        const copy = structuredClone(original);
        mutate(copy);
        transformed.set(name, await samTransformAsync(copy));
      }),
    );
  }, 180_000);

  for (const { name, reports } of WIDENINGS) {
    it(`reports ${name}`, async () => {
      const copy = transformed.get(name);
      if (!copy) throw new Error(`${name} was not transformed`);
      const problems = await checkRoles(copy, EXPECTED);
      const matches = problems.filter((problem) =>
        typeof reports === 'string' ? problem.includes(reports) : reports.test(problem),
      );
      expect(matches, problems.join('\n')).not.toEqual([]);
    });
  }
});

/**
 * The evaluator against an independent one: @cloud-copilot/iam-simulate (AGPL, tests only). Generated policies
 * over Action/NotAction, Resource/NotResource, Deny, wildcards, variables and conditions; for every escalation
 * primitive, the evaluator's `escalation` must hold exactly when the simulator allows the action on at least one
 * principal the primitive reaches (for the credential primitives, one other than the user itself).
 *
 * Conditions use a key the simulated request does not carry, so the simulator finds them false: an `Allow` under
 * one is then denied (the evaluator says `conditional`, which is not `escalation`), a `Deny` under one does not
 * apply (the evaluator does not assume it does). The same holds for any policy variable but `aws:username`.
 *
 * 400 policies here; `DIFFERENTIAL_RUNS=10000 npx vitest run --project unit test/unit/evaluator/differential`
 * runs the full 10,000 by hand.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ESCALATION_PRIMITIVES, evaluatePrincipal } from '../../../lib/evaluator/index.js';

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const RUNS = Number(process.env.DIFFERENTIAL_RUNS ?? 400);
const iam = (resource: string) => `arn:aws:iam::${ACCOUNT}:${resource}`;

/** The principals each resource type can reach in the generated account (alice is the principal). */
const TARGETS: Record<string, string[]> = {
  user: [iam('user/alice'), iam('user/bob'), iam('user/app-1'), iam('user/iam-warden-probe-principal')],
  role: [iam('role/app-1'), iam('role/admin'), iam('role/iam-warden-probe-principal')],
  group: [iam('group/devs'), iam('group/admins'), iam('group/iam-warden-probe-principal')],
  policy: [iam('policy/p1'), iam('policy/admin'), iam('policy/iam-warden-probe-principal')],
};

// Not generated: `*:*`, which the simulator's validator rejects ("Service can only contain letters, numbers, and
// hyphens"); the unit tests cover it.
const actionPattern = fc.constantFrom(
  '*',
  'iam:*',
  'IAM:put*',
  'iam:Attach*',
  'iam:*Policy',
  'iam:Create*',
  'iam:?pdate*',
  'iam:AddUserToGroup',
  'iam:CreateAccessKey',
  'iam:updateloginprofile',
  'iam:DeleteRolePermissionsBoundary',
  'iam:Get*',
  'iam:List*',
  's3:*',
  'ec2:RunInstances',
  'sts:AssumeRole',
);

const resourcePattern = fc.constantFrom(
  '*',
  'arn:aws:iam::*:*',
  iam('user/*'),
  'arn:aws:iam::*:role/*',
  iam('group/*'),
  iam('policy/*'),
  iam('user/bob'),
  iam('user/alice'),
  iam('role/app-*'),
  iam('role/admin'),
  iam('group/devs'),
  iam('policy/p?'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
  'arn:aws:iam::*:user/${aws:username}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
  iam('role/${aws:PrincipalTag/team}-*'),
  'arn:aws:s3:::bucket/*',
);

const condition = fc.constantFrom(undefined, { StringEquals: { 'aws:PrincipalTag/team': 'red' } });

const statement = fc
  .record({
    effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
    notAction: fc.boolean(),
    actions: fc.array(actionPattern, { minLength: 1, maxLength: 3 }),
    notResource: fc.constantFrom(false, false, false, true),
    resources: fc.array(resourcePattern, { minLength: 1, maxLength: 3 }),
    condition,
  })
  .map((s) => ({
    Effect: s.effect,
    [s.notAction ? 'NotAction' : 'Action']: s.actions,
    [s.notResource ? 'NotResource' : 'Resource']: s.resources,
    ...(s.condition ? { Condition: s.condition } : {}),
  }));

const document = fc.array(statement, { minLength: 1, maxLength: 4 }).map((Statement) => ({
  Version: '2012-10-17',
  Statement,
}));

async function simulatorAllows(policy: unknown, action: string, resource: string): Promise<boolean> {
  const result = await runSimulation(
    {
      request: {
        principal: ALICE,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:username': 'alice' },
      },
      identityPolicies: [{ name: 'generated', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulator error: ${JSON.stringify(result.errors)}`);
  return result.overallResult === 'Allowed';
}

/** The primitives the simulator allows on some principal they reach. */
async function oracle(policy: unknown): Promise<string[]> {
  const granted: string[] = [];
  for (const primitive of ESCALATION_PRIMITIVES) {
    const targets = (TARGETS[primitive.resourceType] ?? []).filter(
      (target) => !(primitive.othersOnly && target === ALICE),
    );
    for (const target of targets) {
      if (await simulatorAllows(policy, primitive.action, target)) {
        granted.push(primitive.action);
        break;
      }
    }
  }
  return granted;
}

function evaluated(policy: unknown): string[] {
  const verdict = evaluatePrincipal({
    type: 'user',
    name: 'alice',
    arn: ALICE,
    policies: [{ name: 'generated', document: policy }],
  });
  if (verdict.kind === 'admin') return ESCALATION_PRIMITIVES.map((primitive) => primitive.action);
  if (verdict.kind === 'escalation') return verdict.primitives.map((primitive) => primitive.action);
  return [];
}

describe('the evaluator against @cloud-copilot/iam-simulate', () => {
  it(`agrees on every escalation primitive over ${RUNS} generated policies`, async () => {
    await fc.assert(
      fc.asyncProperty(document, async (policy) => {
        expect(evaluated(policy)).toEqual(await oracle(policy));
      }),
      { numRuns: RUNS, seed: 20261206 },
    );
  }, 600_000);
});

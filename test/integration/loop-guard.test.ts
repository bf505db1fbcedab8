import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../../lib/cli/route.js';
import type { RuleName } from '../../lib/config.js';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import type { Decision } from '../../lib/plan.js';
import { RULES_BY_FUNCTION } from '../../lib/rules/index.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  calledByRole,
  createAccessKeyEvent,
  type IamEventEnvelope,
  MOTO_ACCOUNT,
  putUserPolicyEvent,
  sampleEvent,
} from '../support/events.js';
import { clockDaysAhead, drainTaps, freshAccount, invoker, motoClients } from '../support/integration.js';
import { localAws } from '../support/moto.js';

/**
 * iam-warden must never react to its own changes, or it would fight itself (and, through a restore, the people
 * who undo it). Two defences, both shown here on the very CloudTrail events iam-warden's writes produce: the
 * rule patterns in template.yaml do not match them, and a handler that receives one anyway ignores it
 * (loop guard on OWN_ROLE_ARNS) without calling IAM.
 */

/** iam-warden's function roles, as the template passes them in OWN_ROLE_ARNS. */
const OWN_ROLES: Record<RuleName, string> = {
  'access-keys': `arn:aws:iam::${MOTO_ACCOUNT}:role/iam-warden-AccessKeysRole-LOOP`,
  'admin-policy': `arn:aws:iam::${MOTO_ACCOUNT}:role/iam-warden-AdminPolicyRole-LOOP`,
  'inline-policy': `arn:aws:iam::${MOTO_ACCOUNT}:role/iam-warden-InlinePolicyRole-LOOP`,
};
const OWN_ROLE_ARNS = Object.values(OWN_ROLES).join(',');
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
});

/** One IAM write iam-warden made: the command's name and its input, as the SDK sent it. */
interface Write {
  readonly rule: RuleName;
  readonly eventName: string;
  readonly input: Record<string, unknown>;
}

/** An IAM client for moto that keeps every write sent through it. */
function capturing(rule: RuleName, writes: Write[]): IAMClient {
  const client = new IAMClient(localAws());
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const eventName = context.commandName?.replace(/Command$/, '') ?? '';
      if (!/^(Get|List)/.test(eventName)) {
        writes.push({ rule, eventName, input: args.input as Record<string, unknown> });
      }
      return next(args);
    },
    { step: 'initialize', name: 'captureWrites' },
  );
  return client;
}

/**
 * The CloudTrail event a write produces, as EventBridge delivers it: `requestParameters` are the API's
 * parameters in camel case (`UserName` becomes `userName`), and the caller is a session of the function's role.
 */
function cloudTrailEventOf(write: Write): IamEventEnvelope {
  const event = calledByRole(sampleEvent('iam-warden-own-update-access-key'), OWN_ROLES[write.rule]);
  event.detail.eventName = write.eventName;
  event.detail.requestParameters = Object.fromEntries(
    Object.entries(write.input).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]),
  );
  event.detail.responseElements = null;
  return event;
}

const clients = motoClients();
const toDestroy: { destroy(): void }[] = [];
let resources: LocalResources;
const writes: Write[] = [];
const triggers: IamEventEnvelope[] = [];

beforeAll(async () => {
  resources = await freshAccount();
  const { iam } = clients;
  await iam.send(new CreateUserCommand({ UserName: 'loop+=,.@_-keys' }));
  await iam.send(new CreateAccessKeyCommand({ UserName: 'loop+=,.@_-keys' }));
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'loop+=,.@_-keys' }));
  await iam.send(new CreateRoleCommand({ RoleName: 'loop+=,.@_-role', AssumeRolePolicyDocument: TRUST }));
  await iam.send(
    new AttachRolePolicyCommand({ RoleName: 'loop+=,.@_-role', PolicyArn: ADMINISTRATOR_ACCESS }),
  );
  await iam.send(new CreateUserCommand({ UserName: 'loop+=,.@_-inline' }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'loop+=,.@_-inline',
      PolicyName: 'p+=,.@_-',
      PolicyDocument: DOCUMENT,
    }),
  );
  triggers.push(
    createAccessKeyEvent('loop+=,.@_-keys', created.AccessKey?.AccessKeyId ?? ''),
    attachRolePolicyEvent('loop+=,.@_-role'),
    putUserPolicyEvent('loop+=,.@_-inline', 'p+=,.@_-', DOCUMENT),
  );

  // Real remediations against moto, each through its function's handler, keeping every IAM write they make.
  const rules: RuleName[] = ['access-keys', 'admin-policy', 'inline-policy'];
  for (const [index, rule] of rules.entries()) {
    const iamClient = capturing(rule, writes);
    toDestroy.push(iamClient);
    const { invoke } = invoker(
      RULES_BY_FUNCTION[rule],
      resources,
      { ...clients, iam: iamClient },
      { env: { OWN_ROLE_ARNS }, clock: clockDaysAhead(100) },
    );
    const decision: Decision = await invoke(triggers[index]);
    expect(decision.outcome).toBe('remediated');
  }
  await drainTaps(resources);
});

afterAll(() => {
  for (const client of [...Object.values(clients), ...toDestroy]) client.destroy();
});

describe("iam-warden's own changes", () => {
  it('are the three writes of its remediations', () => {
    expect(writes.map((write) => [write.rule, write.eventName])).toEqual([
      ['access-keys', 'UpdateAccessKey'],
      ['admin-policy', 'DetachRolePolicy'],
      ['inline-policy', 'DeleteUserPolicy'],
    ]);
    expect(writes[0]?.input).toMatchObject({ UserName: 'loop+=,.@_-keys', Status: 'Inactive' });
  });

  it("match none of the template's rule patterns, which do match the changes that caused them", () => {
    const route = createRouter();

    for (const write of writes) {
      expect(route(cloudTrailEventOf(write)), write.eventName).toEqual([]);
    }
    expect(triggers.map((trigger) => route(trigger).map((found) => found.functionName))).toEqual([
      ['access-keys'],
      ['admin-policy'],
      ['inline-policy'],
    ]);
  });

  it('are ignored by the loop guard, with no IAM call, when delivered to the function that handles them', async () => {
    // Of the three, only UpdateAccessKey is a name a rule handles (its pattern wants status Active, so EventBridge
    // would not route this one); delivered anyway, the loop guard ignores it before reading anything.
    const update = cloudTrailEventOf(writes[0] as Write);
    expect(createRouter()(update)).toEqual([]);
    const { invoke, iam } = invoker(RULES_BY_FUNCTION['access-keys'], resources, clients, {
      env: { OWN_ROLE_ARNS },
      clock: clockDaysAhead(100),
    });

    const decision = await invoke(update);

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: `iam-warden's own UpdateAccessKey by its role ${OWN_ROLES['access-keys']}`,
    });
    expect(iam.sent).toEqual([]);
    expect(await readNotifications(resources)).toEqual([]);
  });

  it('are refused without any IAM call by every function, whatever reaches it', async () => {
    // Only iam-warden's own kinds of writes: a grant under its roles is a hijack, remediated (see the access-keys
    // and admin-policy tests), never ignored.
    const own = writes.map(cloudTrailEventOf);
    for (const rule of Object.values(RULES_BY_FUNCTION)) {
      // Deployed, each function keeps its own idempotency keys (prefixed with its name); this helper's handlers
      // share one prefix, so idempotency is off here, or the first function's decision would answer the others.
      const { invoke, iam } = invoker(rule, resources, clients, {
        env: { OWN_ROLE_ARNS, IDEMPOTENCY_TABLE: '' },
      });
      for (const event of own) {
        const decision = await invoke(structuredClone(event));
        const handled = rule.eventNames.includes(event.detail.eventName);
        expect(decision.outcome, `${rule.name} ${event.detail.eventName}`).toBe(
          handled ? 'ignored' : 'rejected',
        );
        if (handled) expect(decision.reason).toMatch(/^iam-warden's own \w+ by its role /);
      }
      expect(iam.sent, rule.name).toEqual([]);
    }
    expect(await readNotifications(resources)).toEqual([]);
  });
});

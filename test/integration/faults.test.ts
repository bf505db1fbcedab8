import { Logger } from '@aws-lambda-powertools/logger';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler } from '../../lib/handler.js';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import { iamWardenRetryStrategy } from '../../lib/retry.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';
import type { Rule } from '../../lib/rules/rule.js';
import { ADMINISTRATOR_ACCESS, attachRolePolicyEvent, putUserPolicyEvent } from '../support/events.js';
import { DROP_AFTER_APPLY, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  drainTaps,
  ENFORCE,
  freshAccount,
  lambdaContext,
  motoClients,
  readAudit,
} from '../support/integration.js';
import { localAws, motoEndpoint } from '../support/moto.js';

/**
 * Faults one at a time, on purpose, where the burst test meets them at random: a removal IAM applied but whose
 * answer was lost, throttling beyond what one call may retry, and IAM's eventual consistency.
 */

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }],
});

const clients = motoClients();
let resources: LocalResources;
let proxy: FaultProxy;
let iam: IAMClient;

beforeAll(async () => {
  resources = await freshAccount();
  proxy = await startFaultProxy(motoEndpoint());
  // iam-warden's own strategy, its waits cut to milliseconds.
  iam = new IAMClient({
    ...localAws(),
    endpoint: proxy.endpoint,
    retryStrategy: iamWardenRetryStrategy({ baseDelayMs: 1, throttlingBaseDelayMs: 1, maxDelayMs: 5 }),
  });
});
beforeEach(async () => {
  proxy.configure({ intercept: undefined, throttleRate: 0 });
  proxy.resetCounts();
  await drainTaps(resources);
});
afterAll(async () => {
  iam.destroy();
  await proxy.stop();
  for (const client of Object.values(clients)) client.destroy();
});

/** The real handler, IAM through the proxy, and a `sleep` that only records the waits it is asked for. */
function handler<T>(rule: Rule<T>, onSleep: (ms: number) => Promise<void> = async () => undefined) {
  const deps = {
    ...createDeps(loadConfig({ ...ENFORCE, ...resources.env }), { ...clients, iam }),
    sleep: onSleep,
    logger: new Logger({ serviceName: 'iam-warden', logLevel: 'SILENT' }),
  };
  const run = createHandler(rule, deps);
  return (event: unknown) => run(event, lambdaContext);
}

/** Drop the answer to the first `action` after moto applied it; the SDK's retry then meets the new state. */
function dropFirstAnswerTo(action: string): void {
  let dropped = false;
  proxy.configure({
    intercept: (request) => {
      if (request.action !== action || dropped) return undefined;
      dropped = true;
      return DROP_AFTER_APPLY;
    },
  });
}

describe('a removal IAM applied but whose answer was lost', () => {
  it('counts a DetachRolePolicy retried into NoSuchEntity as done', async () => {
    const role = 'lost+=,.@_-answer';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }));
    dropFirstAnswerTo('DetachRolePolicy');

    const decision = await handler(adminPolicyRule)(attachRolePolicyEvent(role));

    // Sent twice: the first applied (its answer dropped), the retry answered NoSuchEntity.
    expect(proxy.counts.iamActions.DetachRolePolicy).toBe(2);
    expect(proxy.counts.droppedAfterApplyByAction).toEqual({ DetachRolePolicy: 1 });
    expect(decision.outcome).toBe('remediated');
    const { AttachedPolicies } = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: role }),
    );
    expect(AttachedPolicies).toEqual([]);
    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({ status: 'applied' });
    expect((await readNotifications(resources)).map((n) => n.attributes.outcome)).toEqual(['remediated']);
  });

  it('counts a DeleteUserPolicy retried into NoSuchEntity as done, its document saved', async () => {
    const user = 'lost+=,.@_-inline';
    await clients.iam.send(new CreateUserCommand({ UserName: user }));
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: 'p', PolicyDocument: DOCUMENT }),
    );
    dropFirstAnswerTo('DeleteUserPolicy');

    const decision = await handler(inlinePolicyRule)(putUserPolicyEvent(user, 'p', DOCUMENT));

    expect(proxy.counts.iamActions.DeleteUserPolicy).toBe(2);
    expect(decision.outcome).toBe('remediated');
    const { PolicyNames } = await clients.iam.send(new ListUserPoliciesCommand({ UserName: user }));
    expect(PolicyNames).toEqual([]);
    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({
      status: 'applied',
      action: { policyDocument: DOCUMENT },
    });
  });
});

describe('a retry after IAM changed between attempts', () => {
  it('deletes no document its record did not save: the replacement is saved and decided by its own event', async () => {
    const user = 'retry+=,.@_-replaced';
    const replacement = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    });
    await clients.iam.send(new CreateUserCommand({ UserName: user }));
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: 'p', PolicyDocument: DOCUMENT }),
    );
    const event = putUserPolicyEvent(user, 'p', DOCUMENT);
    // The first attempt saves DOCUMENT, then IAM refuses the delete.
    proxy.configure({
      intercept: (request) =>
        request.action === 'DeleteUserPolicy'
          ? { status: 403, code: 'AccessDenied', message: 'not authorized to perform: iam:DeleteUserPolicy' }
          : undefined,
    });
    await expect(handler(inlinePolicyRule)(event)).rejects.toThrow('iam:DeleteUserPolicy');
    proxy.configure({ intercept: undefined });
    // Before Lambda's retry, someone replaces the document under the same name.
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: 'p', PolicyDocument: replacement }),
    );

    const retried = await handler(inlinePolicyRule)(event);

    expect(retried.outcome).toBe('skipped');
    expect(retried.reason).toContain('IAM changed after');
    const { PolicyNames } = await clients.iam.send(new ListUserPoliciesCommand({ UserName: user }));
    expect(PolicyNames).toEqual(['p']);
    expect(await readAudit(clients, resources, retried.remediationId)).toMatchObject({
      status: 'failed',
      action: { policyDocument: DOCUMENT },
    });

    // The replacement's own PutUserPolicy event saves it, then deletes it.
    const replaced = putUserPolicyEvent(user, 'p', replacement);
    replaced.detail.eventID = `${event.detail.eventID}-replaced`;
    const decided = await handler(inlinePolicyRule)(replaced);

    expect(decided.outcome).toBe('remediated');
    expect(await readAudit(clients, resources, decided.remediationId)).toMatchObject({
      status: 'applied',
      action: { policyDocument: replacement },
    });
  });
});

describe('throttling', () => {
  it('retries through a run of throttles, up to 10 attempts per call', async () => {
    const role = 'throttled+=,.@_-role';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }));
    let throttles = 0;
    // Each call is throttled 9 times, then let through: the 10th attempt succeeds.
    proxy.configure({
      intercept: () =>
        throttles++ % 10 < 9 ? { status: 400, code: 'Throttling', message: 'Rate exceeded' } : undefined,
    });

    const decision = await handler(adminPolicyRule)(attachRolePolicyEvent(role));

    expect(decision.outcome).toBe('remediated');
    expect(proxy.counts.intercepted).toBe(9 * 3);
  });

  it('fails the invocation, reported, once a call is throttled 10 times, so that Lambda retries the event', async () => {
    const role = 'always+=,.@_-throttled';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    proxy.configure({ intercept: () => ({ status: 400, code: 'Throttling', message: 'Rate exceeded' }) });

    await expect(handler(adminPolicyRule)(attachRolePolicyEvent(role))).rejects.toMatchObject({
      name: 'Throttling',
    });

    expect(proxy.counts.intercepted).toBe(10);
    expect((await readNotifications(resources)).map((n) => n.attributes.outcome)).toEqual(['failed']);
  });
});

describe("IAM's eventual consistency", () => {
  it('waits for a role that becomes readable a moment after the event', async () => {
    const role = 'late+=,.@_-role';
    const waits: number[] = [];
    // The role appears during the second wait, as a freshly created role does.
    const onSleep = async (ms: number) => {
      waits.push(ms);
      if (waits.length === 2) {
        await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
        await clients.iam.send(
          new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }),
        );
      }
    };

    const decision = await handler(adminPolicyRule, onSleep)(attachRolePolicyEvent(role));

    expect(waits).toEqual([500, 1000]);
    expect(decision.outcome).toBe('remediated');
  });

  it('records the event as "target gone" after about a minute of NoSuchEntity', async () => {
    const waits: number[] = [];
    const decision = await handler(adminPolicyRule, async (ms) => {
      waits.push(ms);
    })(attachRolePolicyEvent('never+=,.@_-created'));

    expect(decision).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('(target gone)') });
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBe(60_000);
    await expect(
      clients.iam.send(new GetRoleCommand({ RoleName: 'never+=,.@_-created' })),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });
});

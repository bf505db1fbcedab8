import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import { accessKeysRule } from '../../lib/rules/access-keys.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  createAccessKeyEvent,
  putUserPolicyEvent,
} from '../support/events.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  clockDaysAhead,
  drainTaps,
  freshAccount,
  invoker,
  motoClients,
  readAudit,
} from '../support/integration.js';
import { localAws, motoEndpoint } from '../support/moto.js';

/**
 * The last word before acting, against moto: the opt-in exemption tag (and failing closed when it cannot be
 * read), the repeat-offender limit, and names using every character IAM allows besides letters and digits.
 */

const EXEMPT_TAG_KEY = 'iam-warden:exempt';
const REPEAT_LIMIT = 2;
const GUARDED = { EXEMPT_TAG_KEY, REPEAT_LIMIT: String(REPEAT_LIMIT) };
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }],
});

const clients = motoClients();
let resources: LocalResources;
let proxy: FaultProxy;
/** IAM through the proxy, which refuses what a test tells it to. */
let proxied: IAMClient;

beforeAll(async () => {
  resources = await freshAccount();
  proxy = await startFaultProxy(motoEndpoint());
  proxied = new IAMClient({ ...localAws(), endpoint: proxy.endpoint });
});
beforeEach(async () => {
  proxy.configure({ intercept: undefined });
  proxy.resetCounts();
  await drainTaps(resources);
});
afterAll(async () => {
  proxied.destroy();
  await proxy.stop();
  for (const client of Object.values(clients)) client.destroy();
});

async function roleWithAdmin(roleName: string, tags: { Key: string; Value: string }[] = []): Promise<void> {
  await clients.iam.send(
    new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST, Tags: tags }),
  );
  await clients.iam.send(
    new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMINISTRATOR_ACCESS }),
  );
}

async function attachedTo(roleName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await clients.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
}

async function userWithInlinePolicy(
  userName: string,
  policyName: string,
  tags: { Key: string; Value: string }[] = [],
) {
  await clients.iam.send(new CreateUserCommand({ UserName: userName, Tags: tags }));
  await clients.iam.send(
    new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: DOCUMENT }),
  );
}

async function inlinePoliciesOf(userName: string): Promise<string[]> {
  const { PolicyNames = [] } = await clients.iam.send(new ListUserPoliciesCommand({ UserName: userName }));
  return PolicyNames;
}

describe('exemption tag', () => {
  it('skips a role carrying the tag, without any IAM write, and says why', async () => {
    await roleWithAdmin('exempt+=,.@_-role', [{ Key: EXEMPT_TAG_KEY, Value: 'true' }]);
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, { env: GUARDED });

    const decision = await invoke(attachRolePolicyEvent('exempt+=,.@_-role'));

    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason: `exempt by tag ${EXEMPT_TAG_KEY}=true`,
    });
    expect(iam.sent).toContain('ListRoleTags');
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo('exempt+=,.@_-role')).toEqual([ADMINISTRATOR_ACCESS]);
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.attributes.outcome)).toEqual(['skipped']);
    expect(notifications[0]?.message).toContain(`exempt by tag ${EXEMPT_TAG_KEY}=true`);
  });

  it('skips a user carrying the tag for both user rules', async () => {
    await userWithInlinePolicy('exempt+=,.@_-user', 'keep+=,.@_-me', [
      { Key: EXEMPT_TAG_KEY, Value: 'true' },
    ]);
    await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'exempt+=,.@_-user' }));
    const created = await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'exempt+=,.@_-user' }));
    const inline = invoker(inlinePolicyRule, resources, clients, { env: GUARDED });
    const keys = invoker(accessKeysRule, resources, clients, { env: GUARDED, clock: clockDaysAhead(100) });

    const decisions = [
      await inline.invoke(putUserPolicyEvent('exempt+=,.@_-user', 'keep+=,.@_-me', DOCUMENT)),
      await keys.invoke(createAccessKeyEvent('exempt+=,.@_-user', created.AccessKey?.AccessKeyId ?? '')),
    ];

    expect(decisions.map((decision) => [decision.outcome, decision.reason])).toEqual([
      ['skipped', `exempt by tag ${EXEMPT_TAG_KEY}=true`],
      ['skipped', `exempt by tag ${EXEMPT_TAG_KEY}=true`],
    ]);
    expect([...inline.iam.writes(), ...keys.iam.writes()]).toEqual([]);
    expect(await inlinePoliciesOf('exempt+=,.@_-user')).toEqual(['keep+=,.@_-me']);
    const { AccessKeyMetadata = [] } = await clients.iam.send(
      new ListAccessKeysCommand({ UserName: 'exempt+=,.@_-user' }),
    );
    expect(AccessKeyMetadata.map((key) => key.Status)).toEqual(['Active', 'Active']);
  });

  it('ignores a tag with another key, and acts', async () => {
    await roleWithAdmin('tagged+=,.@_-role', [{ Key: 'owner', Value: 'team-a' }]);
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, { env: GUARDED });

    const decision = await invoke(attachRolePolicyEvent('tagged+=,.@_-role'));

    expect(decision.outcome).toBe('remediated');
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
  });

  it('fails closed when the tags cannot be read: no write, a FAILED notification, and the error rethrown', async () => {
    await roleWithAdmin('unreadable+=,.@_-role', [{ Key: EXEMPT_TAG_KEY, Value: 'yes' }]);
    proxy.configure({
      intercept: (request) =>
        request.action === 'ListRoleTags'
          ? {
              status: 403,
              code: 'AccessDenied',
              message: `User: arn:aws:sts::123456789012:assumed-role/iam-warden-AdminPolicyRole/x is not authorized to perform: iam:ListRoleTags`,
            }
          : undefined,
    });
    const { invoke, iam } = invoker(
      adminPolicyRule,
      resources,
      { ...clients, iam: proxied },
      { env: GUARDED },
    );

    await expect(invoke(attachRolePolicyEvent('unreadable+=,.@_-role'))).rejects.toMatchObject({
      name: 'AccessDenied',
    });

    expect(iam.sent).toContain('ListRoleTags');
    expect(iam.writes()).toEqual([]);
    expect(proxy.counts.writes).toEqual([]);
    expect(await attachedTo('unreadable+=,.@_-role')).toEqual([ADMINISTRATOR_ACCESS]);
    const notifications = await readNotifications(resources);
    expect(
      notifications.map((notification) => [notification.subject, notification.attributes.outcome]),
    ).toEqual([
      ['iam-warden: FAILED to detach AdministratorAccess from role unreadable+=,.@_-role', 'failed'],
    ]);
    expect(notifications[0]?.message).toContain('could not be read (failing closed)');
    expect(notifications[0]?.message).toContain('AccessDenied');
  });

  it('fails closed for a user whose tags cannot be read', async () => {
    await userWithInlinePolicy('unreadable+=,.@_-user', 'grant');
    proxy.configure({
      intercept: (request) =>
        request.action === 'ListUserTags'
          ? { status: 403, code: 'AccessDenied', message: 'denied' }
          : undefined,
    });
    const { invoke, iam } = invoker(
      inlinePolicyRule,
      resources,
      { ...clients, iam: proxied },
      { env: GUARDED },
    );

    await expect(
      invoke(putUserPolicyEvent('unreadable+=,.@_-user', 'grant', DOCUMENT)),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
    });

    expect(iam.writes()).toEqual([]);
    expect(await inlinePoliciesOf('unreadable+=,.@_-user')).toEqual(['grant']);
    expect(
      (await readNotifications(resources)).map((notification) => notification.attributes.outcome),
    ).toEqual(['failed']);
  });
});

describe('repeat offenders', () => {
  it(`keeps remediating a role a pipeline re-attaches past ${REPEAT_LIMIT} times, escalating once`, async () => {
    const role = 'pipeline+=,.@_-role';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, { env: GUARDED });
    const outcomes: string[] = [];

    for (let time = 0; time <= REPEAT_LIMIT + 1; time++) {
      await clients.iam.send(
        new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }),
      );
      outcomes.push((await invoke(attachRolePolicyEvent(role))).outcome);
    }

    expect(outcomes).toEqual(Array(REPEAT_LIMIT + 2).fill('remediated'));
    expect(iam.writes()).toEqual(Array(REPEAT_LIMIT + 2).fill('DetachRolePolicy'));
    expect(await attachedTo(role)).toEqual([]);
    const notifications = await readNotifications(resources);
    // REPEAT_LIMIT ordinary notifications, the window's one escalation, then the next repeat counted in silence.
    expect(notifications.map((notification) => notification.subject)).toEqual([
      ...Array(REPEAT_LIMIT).fill(`iam-warden: detached AdministratorAccess from role ${role}`),
      `iam-warden: CRITICAL repeat offender: detached AdministratorAccess from role ${role}`,
    ]);
    expect(notifications.at(-1)?.message).toContain(
      `role ${role} was changed back ${REPEAT_LIMIT + 1} times within 24 hours`,
    );
    expect(notifications.at(-1)?.message).toContain(`tag it ${EXEMPT_TAG_KEY}=true`);
  });

  it('counts each resource on its own: another role is still remediated', async () => {
    await roleWithAdmin('neighbour+=,.@_-role');
    const { invoke } = invoker(adminPolicyRule, resources, clients, { env: GUARDED });

    expect((await invoke(attachRolePolicyEvent('neighbour+=,.@_-role'))).outcome).toBe('remediated');
  });
});

describe('names with every character IAM allows (+=,.@_-)', () => {
  it('are remediated, recorded and given an undo command that works in a shell', async () => {
    const user = 'all+=,.@_-chars';
    const policy = 'policy+=,.@_-name';
    await userWithInlinePolicy(user, policy);
    const { invoke } = invoker(inlinePolicyRule, resources, clients);

    const decision = await invoke(putUserPolicyEvent(user, policy, DOCUMENT));

    expect(decision).toMatchObject({ outcome: 'remediated', resource: { type: 'user', name: user } });
    expect(await inlinePoliciesOf(user)).toEqual([]);
    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({
      resourceArn: `arn:aws:iam::123456789012:user/${user}`,
      action: { kind: 'delete-inline-policy', userName: user, policyName: policy, policyDocument: DOCUMENT },
    });
    const [notification] = await readNotifications(resources);
    // `+=,.@_-` need no quoting in a POSIX shell: the names are pasted as they are.
    expect(notification?.message).toContain(
      `aws iam put-user-policy --user-name ${user} --policy-name ${policy}`,
    );
  });
});

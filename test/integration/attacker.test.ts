import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/run.js';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import { accessKeysRule } from '../../lib/rules/access-keys.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  calledByUser,
  createAccessKeyEvent,
  MOTO_ACCOUNT,
  putUserPolicyEvent,
} from '../support/events.js';
import {
  clockDaysAhead,
  drainTaps,
  freshAccount,
  invoker,
  motoClients,
  readAudit,
} from '../support/integration.js';
import { localAws } from '../support/moto.js';

/**
 * Issue "an attacker's view", against moto through the real handlers and the real `iam-warden restore`: each
 * way an attacker with `iam:*` could switch a guard off or walk around it, shown closed.
 */

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
const READ_BUCKET = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }],
});

const clients = motoClients();
const sts = new STSClient(localAws());
let resources: LocalResources;

beforeAll(async () => {
  resources = await freshAccount();
});
beforeEach(() => drainTaps(resources));
afterAll(() => {
  for (const client of [...Object.values(clients), sts]) client.destroy();
});

async function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    env: { ...resources.env, ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clients,
    sts,
  });
  return { status, stdout, stderr };
}

async function attachedToRole(roleName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await clients.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
}

async function attachedToUser(userName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await clients.iam.send(
    new ListAttachedUserPoliciesCommand({ UserName: userName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
}

async function keyStatuses(userName: string): Promise<Record<string, string>> {
  const { AccessKeyMetadata = [] } = await clients.iam.send(
    new ListAccessKeysCommand({ UserName: userName }),
  );
  return Object.fromEntries(AccessKeyMetadata.map((key) => [key.AccessKeyId, key.Status]));
}

async function newKey(userName: string): Promise<string> {
  const { AccessKey } = await clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return AccessKey?.AccessKeyId ?? '';
}

/** An attacker, IAM user `mallory`, re-attaching AdministratorAccess to `roleName`: the event of one attempt. */
function reattachedByMallory(roleName: string) {
  return calledByUser(attachRolePolicyEvent(roleName), 'mallory');
}

describe('the repeat limit is no off switch', () => {
  it('detaches AdministratorAccess after each of 10 re-attachments in an hour, with one CRITICAL escalation', async () => {
    const role = 'attacked-role';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);
    const outcomes: string[] = [];

    for (let time = 0; time < 10; time++) {
      await clients.iam.send(
        new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }),
      );
      outcomes.push((await invoke(reattachedByMallory(role))).outcome);
      expect(await attachedToRole(role)).toEqual([]);
    }

    expect(outcomes).toEqual(Array(10).fill('remediated'));
    expect(iam.writes()).toEqual(Array(10).fill('DetachRolePolicy'));
    const notifications = await readNotifications(resources);
    const critical = notifications.filter((notification) => notification.subject.includes('CRITICAL'));
    expect(critical.map((notification) => notification.subject)).toEqual([
      `iam-warden: CRITICAL repeat offender: detached AdministratorAccess from role ${role}`,
    ]);
    expect(critical[0]?.message).toContain(`arn:aws:iam::${MOTO_ACCOUNT}:user/mallory`);
    expect(critical[0]?.message).toContain('exempt the resource');
    // The default limit is 3: three ordinary notifications, the escalation, then repeats counted in silence.
    expect(notifications).toHaveLength(4);
  });

  it('quarantines the repeating user with the deny-all policy, recorded first, and restore lifts it', async () => {
    const role = 'quarantine-role';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(new CreateUserCommand({ UserName: 'mallory' })).catch(() => undefined);
    const quarantinePolicy = resources.env.QUARANTINE_POLICY_ARN ?? '';
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, {
      env: { REPEAT_OFFENDER_ACTION: 'quarantine', REPEAT_LIMIT: '2' },
    });

    const decisions = [];
    for (let time = 0; time < 3; time++) {
      await clients.iam.send(
        new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }),
      );
      decisions.push(await invoke(reattachedByMallory(role)));
    }

    expect(decisions.map((decision) => decision.quarantine?.outcome)).toEqual([
      undefined,
      undefined,
      'remediated',
    ]);
    expect(iam.writes()).toEqual([
      'DetachRolePolicy',
      'DetachRolePolicy',
      'DetachRolePolicy',
      'AttachUserPolicy',
    ]);
    expect(await attachedToUser('mallory')).toEqual([quarantinePolicy]);
    const quarantineId = decisions[2]?.quarantine?.remediationId;
    expect(await readAudit(clients, resources, quarantineId)).toMatchObject({
      status: 'applied',
      resourceArn: `arn:aws:iam::${MOTO_ACCOUNT}:user/mallory`,
      action: {
        kind: 'quarantine',
        principalType: 'user',
        principalName: 'mallory',
        policyArn: quarantinePolicy,
      },
    });
    const escalation = (await readNotifications(resources)).at(-1);
    expect(escalation?.message).toContain('Quarantine:  quarantined user mallory (deny-all policy attached)');

    const restore = await cli(['restore', quarantineId ?? '']);
    expect(restore.status).toBe(0);
    expect(await attachedToUser('mallory')).toEqual([]);
  });
});

describe('grace after a restore covers the restored document only', () => {
  it('removes an Allow *:* document put under a restored inline policy name during the grace period', async () => {
    const user = 'graced-user';
    await clients.iam.send(new CreateUserCommand({ UserName: user }));
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: 'reports', PolicyDocument: READ_BUCKET }),
    );
    const { invoke } = invoker(inlinePolicyRule, resources, clients);
    const first = await invoke(putUserPolicyEvent(user, 'reports', READ_BUCKET));
    expect(first.outcome).toBe('remediated');
    expect((await cli(['restore', first.remediationId ?? ''])).status).toBe(0);

    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: 'reports', PolicyDocument: ALLOW_ALL }),
    );
    const swapped = await invoke(putUserPolicyEvent(user, 'reports', ALLOW_ALL));

    expect(swapped.outcome).toBe('remediated');
    await expect(
      clients.iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: 'reports' })),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('still only notifies about the restored document itself', async () => {
    const user = 'graced-user-2';
    await clients.iam.send(new CreateUserCommand({ UserName: user }));
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: 'reports', PolicyDocument: READ_BUCKET }),
    );
    const { invoke } = invoker(inlinePolicyRule, resources, clients);
    const first = await invoke(putUserPolicyEvent(user, 'reports', READ_BUCKET));
    expect((await cli(['restore', first.remediationId ?? ''])).status).toBe(0);

    const again = await invoke(putUserPolicyEvent(user, 'reports', READ_BUCKET));

    expect(again).toMatchObject({
      outcome: 'would-remediate',
      reason: expect.stringContaining('restored by'),
    });
  });
});

describe('the root user is known by userIdentity.type, never by a name', () => {
  it("deactivates the old key of an IAM user named root, instead of a 'root user' alert", async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'root' }));
    const oldKey = await newKey('root');
    const created = await newKey('root');
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, { clock: clockDaysAhead(200) });

    const decision = await invoke(createAccessKeyEvent('root', created));

    expect(decision).toMatchObject({ outcome: 'remediated', resource: { type: 'user', name: 'root' } });
    expect(iam.writes()).toEqual(['UpdateAccessKey']);
    expect(await keyStatuses('root')).toEqual({ [oldKey]: 'Inactive', [created]: 'Active' });
  });
});

describe('a key made for someone else is news', () => {
  it('alerts, naming caller and owner, when another user creates a key for a user with no old key', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'victim' }));
    const created = await newKey('victim');
    const { invoke, iam } = invoker(accessKeysRule, resources, clients);

    const decision = await invoke(calledByUser(createAccessKeyEvent('victim', created), 'mallory'));

    expect(decision.outcome).toBe('alert');
    expect(iam.writes()).toEqual([]);
    const [notification] = await readNotifications(resources);
    expect(notification?.subject).toBe(
      'iam-warden: ALERT access key of user victim created by another principal',
    );
    expect(notification?.message).toContain(
      `arn:aws:iam::${MOTO_ACCOUNT}:user/mallory created access key ${created}`,
    );
  });

  it('deactivates it with ForeignKeyAction=deactivate, recorded, and restore reactivates it', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'victim-2' }));
    const created = await newKey('victim-2');
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, {
      env: { FOREIGN_KEY_ACTION: 'deactivate' },
    });

    const decision = await invoke(calledByUser(createAccessKeyEvent('victim-2', created), 'mallory'));

    expect(decision).toMatchObject({ outcome: 'remediated', action: { keys: [{ accessKeyId: created }] } });
    expect(iam.writes()).toEqual(['UpdateAccessKey']);
    expect(await keyStatuses('victim-2')).toEqual({ [created]: 'Inactive' });
    expect((await cli(['restore', decision.remediationId ?? ''])).status).toBe(0);
    expect(await keyStatuses('victim-2')).toEqual({ [created]: 'Active' });
  });

  it('stays silent about a user creating its own key', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'self-made' }));
    const created = await newKey('self-made');
    const { invoke } = invoker(accessKeysRule, resources, clients);

    expect((await invoke(createAccessKeyEvent('self-made', created))).outcome).toBe('ignored');
    expect(await readNotifications(resources)).toEqual([]);
  });
});

describe('an exemption tag needs its value', () => {
  it('detaches from a role tagged with the key and the value false, saying why the tag did not exempt', async () => {
    const role = 'tagged-false';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(
      new TagRoleCommand({ RoleName: role, Tags: [{ Key: 'iam-warden:exempt', Value: 'false' }] }),
    );
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }));
    const { invoke } = invoker(adminPolicyRule, resources, clients, {
      env: { EXEMPT_TAG_KEY: 'iam-warden:exempt' },
    });

    const decision = await invoke(attachRolePolicyEvent(role));

    expect(decision.outcome).toBe('remediated');
    expect(await attachedToRole(role)).toEqual([]);
    const [notification] = await readNotifications(resources);
    expect(notification?.message).toContain(
      'tag iam-warden:exempt=false does not exempt it: only the value "true" does',
    );
  });
});

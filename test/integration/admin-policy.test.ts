import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clients } from '../../lib/deps.js';
import { type LocalResources, readNotifications, readResults } from '../../lib/local/provision.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  calledByRole,
  MOTO_ACCOUNT,
} from '../support/events.js';
import { drainTaps, freshAccount, invoker, motoClients, readAudit } from '../support/integration.js';

const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const OWN_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/iam-warden-AdminPolicyRole-EXAMPLE`;
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const clients = motoClients();
let resources: LocalResources;

beforeAll(async () => {
  resources = await freshAccount();
});
beforeEach(() => drainTaps(resources));
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

/** The organization's management account, trusted by the member-account roles AWS's tools create. */
const MANAGEMENT = '999988887777';
/** StackSets names its execution roles `stacksets-exec-` and 32 hex digits; the account is not reset between tests. */
const STACKSETS_ROLE = 'stacksets-exec-899a82a2cb437e970934262f85c7628a';
const STACKSETS_LOOKALIKE = 'stacksets-exec-0123456789abcdef0123456789abcdef';

function trusting(principal: unknown): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
  });
}

async function roleWith(roleName: string, policyArn = ADMINISTRATOR_ACCESS, trust = TRUST): Promise<void> {
  await clients.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }));
  await clients.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
}

async function attachedTo(roleName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await clients.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
}

describe('admin-policy handler against moto', () => {
  it('detaches AdministratorAccess from a plain role', async () => {
    await roleWith('app-role');
    const event = attachRolePolicyEvent('app-role');
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(event);

    expect(decision).toMatchObject({
      rule: 'admin-policy',
      mode: 'enforce',
      outcome: 'remediated',
      eventId: event.detail.eventID,
      resource: { type: 'role', name: 'app-role' },
      action: { kind: 'detach-policy', roleName: 'app-role', policyArn: ADMINISTRATOR_ACCESS },
    });
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
    expect(await attachedTo('app-role')).toEqual([]);

    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.subject).toBe('iam-warden: detached AdministratorAccess from role app-role');
    expect(notifications[0]?.attributes).toEqual({
      rule: 'admin-policy',
      outcome: 'remediated',
      account: MOTO_ACCOUNT,
    });
    const body = notifications[0]?.message ?? '';
    expect(body).toContain(`  ${ADMINISTRATOR_ACCESS} on role app-role`);
    const { userIdentity, sourceIPAddress } = event.detail;
    expect(body).toContain(`  Principal:  ${userIdentity.arn} (AssumedRole)`);
    expect(body).toContain(`  Source IP:  ${sourceIPAddress}`);
    expect(body).toContain(
      `  aws iam attach-role-policy --role-name app-role --policy-arn ${ADMINISTRATOR_ACCESS}`,
    );

    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({
      rule: 'admin-policy',
      status: 'applied',
      resourceArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/app-role`,
      action: { kind: 'detach-policy', roleName: 'app-role', policyArn: ADMINISTRATOR_ACCESS },
      trigger: { eventId: event.detail.eventID, principalArn: userIdentity.arn, sourceIp: sourceIPAddress },
      notifiedAt: expect.any(String),
    });
    const results = await readResults(resources);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      source: 'iam-warden',
      detail: {
        rule: 'admin-policy',
        outcome: 'remediated',
        remediationId: decision.remediationId,
        account: MOTO_ACCOUNT,
      },
    });
  });

  it('leaves AdministratorAccess on a break-glass role designated by ARN and names what it trusts', async () => {
    const roleArn = `arn:aws:iam::${MOTO_ACCOUNT}:role/ops-break-glass`;
    await roleWith('ops-break-glass');
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, {
      env: { ADMIN_ROLE_PATTERNS: roleArn },
    });

    const decision = await invoke(attachRolePolicyEvent('ops-break-glass'));

    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason: `role ops-break-glass is a designated admin role (matches "${roleArn}"); it trusts Service lambda.amazonaws.com`,
    });
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo('ops-break-glass')).toEqual([ADMINISTRATOR_ACCESS]);
    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.subject).toBe('iam-warden: skipped AttachRolePolicy on role ops-break-glass');
    expect(notifications[0]?.attributes).toEqual({
      rule: 'admin-policy',
      outcome: 'skipped',
      account: MOTO_ACCOUNT,
    });
    expect(notifications[0]?.message).toContain('designated admin role');
    expect(notifications[0]?.message).toContain('it trusts Service lambda.amazonaws.com');
    expect(await readAudit(clients, resources, decision.remediationId)).toBeUndefined();
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ rule: 'admin-policy', outcome: 'skipped' }),
    ]);
  });

  it('detaches AdministratorAccess from a role whose name merely contains break-glass', async () => {
    await roleWith('not-break-glass-really');
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(attachRolePolicyEvent('not-break-glass-really'));

    expect(decision).toMatchObject({
      outcome: 'remediated',
      reason:
        'AdministratorAccess was attached to role not-break-glass-really, which is not a designated admin role',
    });
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
    expect(await attachedTo('not-break-glass-really')).toEqual([]);
  });

  it('leaves AdministratorAccess on the CDK bootstrap execution role, which trusts CloudFormation', async () => {
    const roleName = `cdk-hnb659fds-cfn-exec-role-${MOTO_ACCOUNT}-us-east-1`;
    await roleWith(roleName, ADMINISTRATOR_ACCESS, trusting({ Service: 'cloudformation.amazonaws.com' }));
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(attachRolePolicyEvent(roleName));

    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason: `role ${roleName} is a built-in admin role of CDK bootstrap, trusting only what the tool creates it with; it trusts Service cloudformation.amazonaws.com`,
    });
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo(roleName)).toEqual([ADMINISTRATOR_ACCESS]);
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.subject)).toEqual([
      `iam-warden: skipped AttachRolePolicy on role ${roleName}`,
    ]);
    expect(notifications[0]?.message).toContain('it trusts Service cloudformation.amazonaws.com');
  });

  it('leaves AdministratorAccess on a StackSets execution role trusting the management account service role', async () => {
    const orgAdmin = `arn:aws:iam::${MANAGEMENT}:role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin`;
    await roleWith(STACKSETS_ROLE, ADMINISTRATOR_ACCESS, trusting({ AWS: orgAdmin }));
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(attachRolePolicyEvent(STACKSETS_ROLE));

    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining(`it trusts AWS ${orgAdmin}`),
    });
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo(STACKSETS_ROLE)).toEqual([ADMINISTRATOR_ACCESS]);
  });

  it('detaches AdministratorAccess from a StackSets-named role trusting someone else, and says why', async () => {
    const mallory = `arn:aws:iam::${MANAGEMENT}:user/mallory`;
    await roleWith(STACKSETS_LOOKALIKE, ADMINISTRATOR_ACCESS, trusting({ AWS: mallory }));
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(attachRolePolicyEvent(STACKSETS_LOOKALIKE));

    const why = `the exemption for built-in admin roles of StackSets (service-managed) does not apply: it admits AWS ${mallory}, not only another account's role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin`;
    expect(decision).toMatchObject({ outcome: 'remediated', reason: expect.stringContaining(why) });
    expect(decision.reason).toContain(`it trusts AWS ${mallory}`);
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
    expect(await attachedTo(STACKSETS_LOOKALIKE)).toEqual([]);
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.subject)).toEqual([
      `iam-warden: detached AdministratorAccess from role ${STACKSETS_LOOKALIKE}`,
    ]);
    expect(notifications[0]?.message).toContain(why);
    expect(notifications[0]?.message).toContain(`it trusts AWS ${mallory}`);
  });

  it('leaves AdministratorAccess on a service-linked role and says it cannot be modified', async () => {
    const { Role } = await clients.iam.send(
      new CreateServiceLinkedRoleCommand({ AWSServiceName: 'autoscaling.amazonaws.com' }),
    );
    const roleName = Role?.RoleName ?? '';
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMINISTRATOR_ACCESS }),
    );
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(attachRolePolicyEvent(roleName));

    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('/aws-service-role/'),
    });
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo(roleName)).toContain(ADMINISTRATOR_ACCESS);
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => [notification.subject, notification.attributes])).toEqual([
      [
        `iam-warden: skipped AttachRolePolicy on role ${roleName}`,
        { rule: 'admin-policy', outcome: 'skipped', account: MOTO_ACCOUNT },
      ],
    ]);
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'skipped' }),
    ]);
  });

  it('ignores another managed policy without telling anyone', async () => {
    await roleWith('reader-role', READ_ONLY_ACCESS);
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const decision = await invoke(attachRolePolicyEvent('reader-role', READ_ONLY_ACCESS));

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: `${READ_ONLY_ACCESS} is not AdministratorAccess`,
    });
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo('reader-role')).toEqual([READ_ONLY_ACCESS]);
    expect(await readNotifications(resources)).toEqual([]);
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'ignored' }),
    ]);
  });

  it('leaves AdministratorAccess attached in notify mode and says it would detach it', async () => {
    await roleWith('notify-role');
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, {
      env: { MODE_ADMIN_POLICY: 'notify' },
    });

    const decision = await invoke(attachRolePolicyEvent('notify-role'));

    expect(decision).toMatchObject({ mode: 'notify', outcome: 'would-remediate' });
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo('notify-role')).toEqual([ADMINISTRATOR_ACCESS]);
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => [notification.subject, notification.attributes])).toEqual([
      [
        'iam-warden: would detach AdministratorAccess from role notify-role',
        { rule: 'admin-policy', outcome: 'would-remediate', account: MOTO_ACCOUNT },
      ],
    ]);
    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({
      status: 'notified-only',
      notifiedAt: expect.any(String),
    });
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'would-remediate', mode: 'notify' }),
    ]);
  });

  it("detaches AdministratorAccess attached by iam-warden's own role: a hijack, CRITICAL, not a loop", async () => {
    await roleWith('guarded-role');
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, {
      env: { OWN_ROLE_ARNS: OWN_ROLE_ARN },
    });

    const decision = await invoke(calledByRole(attachRolePolicyEvent('guarded-role'), OWN_ROLE_ARN));

    expect(decision).toMatchObject({ outcome: 'remediated', critical: { title: expect.any(String) } });
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
    expect(await attachedTo('guarded-role')).toEqual([]);
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.subject)).toEqual([
      // SNS subjects stop at 99 characters.
      "iam-warden: CRITICAL AttachRolePolicy by iam-warden's own role: detached AdministratorAccess fro...",
    ]);
    expect(notifications[0]?.message).toContain(`made by iam-warden's own role ${OWN_ROLE_ARN}`);
  });

  it('acts and notifies once for an event delivered twice', async () => {
    await roleWith('twice-role');
    const event = attachRolePolicyEvent('twice-role');
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const first = await invoke(structuredClone(event));
    const second = await invoke(structuredClone(event));

    expect(first).toMatchObject({ outcome: 'remediated' });
    // Powertools idempotency (keyed on detail.eventID) answers the redelivery with the first decision.
    expect(second).toEqual(first);
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
    expect(await attachedTo('twice-role')).toEqual([]);
    expect(
      (await readNotifications(resources)).map((notification) => notification.attributes.outcome),
    ).toEqual(['remediated']);
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'remediated' }),
    ]);
    expect(await readAudit(clients, resources, first.remediationId)).toMatchObject({
      status: 'applied',
      notifiedAt: expect.any(String),
    });
  });

  it('notifies on the retry when publishing failed after the detach, without detaching twice', async () => {
    await roleWith('retried-role');
    const event = attachRolePolicyEvent('retried-role');
    let failNext = true;
    const flakySns: Clients['sns'] = {
      send: ((command: Parameters<SNSClient['send']>[0]) => {
        if (!failNext) return clients.sns.send(command);
        failNext = false;
        return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
      }) as SNSClient['send'],
    };
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients, { sns: flakySns });

    await expect(invoke(structuredClone(event))).rejects.toThrow('Rate exceeded');
    expect(await attachedTo('retried-role')).toEqual([]);
    expect(await readNotifications(resources)).toEqual([]);
    const retried = await invoke(structuredClone(event));

    expect(retried).toMatchObject({ outcome: 'remediated', action: { kind: 'detach-policy' } });
    expect(iam.writes()).toEqual(['DetachRolePolicy']);
    expect((await readNotifications(resources)).map((notification) => notification.subject)).toEqual([
      'iam-warden: detached AdministratorAccess from role retried-role',
    ]);
    expect(await readAudit(clients, resources, retried.remediationId)).toMatchObject({
      status: 'applied',
      notifiedAt: expect.any(String),
    });
  });

  it('notifies once for an event delivered twice without the idempotency table, thanks to the audit record', async () => {
    await roleWith('twice-notify-role');
    const event = attachRolePolicyEvent('twice-notify-role');
    const { invoke } = invoker(adminPolicyRule, resources, clients, {
      env: { MODE_ADMIN_POLICY: 'notify', IDEMPOTENCY_TABLE: '' },
    });

    const first = await invoke(structuredClone(event));
    const second = await invoke(structuredClone(event));

    expect(first).toMatchObject({ outcome: 'would-remediate' });
    expect(second).toMatchObject({
      outcome: 'would-remediate',
      remediationId: first.remediationId,
      alreadyNotified: true,
    });
    expect(
      (await readNotifications(resources)).map((notification) => notification.attributes.outcome),
    ).toEqual(['would-remediate']);
    expect(await readAudit(clients, resources, first.remediationId)).toMatchObject({
      status: 'notified-only',
      notifiedAt: expect.any(String),
    });
  });
});

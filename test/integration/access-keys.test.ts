import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteUserCommand,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalResources, readNotifications, readResults } from '../../lib/local/provision.js';
import { accessKeysRule } from '../../lib/rules/access-keys.js';
import {
  createAccessKeyEvent,
  MOTO_ACCOUNT,
  rootCreateAccessKeyEvent,
  updateAccessKeyEvent,
} from '../support/events.js';
import {
  clockDaysAhead,
  drainTaps,
  freshAccount,
  invoker,
  motoClients,
  readAudit,
} from '../support/integration.js';

const clients = motoClients();
let resources: LocalResources;
// moto cannot backdate keys: judge them 100 days from now, when every key it created is 100 days old.
const in100Days = clockDaysAhead(100);

beforeAll(async () => {
  resources = await freshAccount();
});
beforeEach(() => drainTaps(resources));
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

/** A user with two keys, the older first; both are 100 days old on the injected clock. */
async function userWithTwoKeys(userName: string): Promise<{ oldKey: string; createdKey: string }> {
  await clients.iam.send(new CreateUserCommand({ UserName: userName }));
  const first = await clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const second = await clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  return { oldKey: first.AccessKey?.AccessKeyId ?? '', createdKey: second.AccessKey?.AccessKeyId ?? '' };
}

async function keyStatuses(userName: string): Promise<Record<string, string | undefined>> {
  const { AccessKeyMetadata = [] } = await clients.iam.send(
    new ListAccessKeysCommand({ UserName: userName }),
  );
  return Object.fromEntries(AccessKeyMetadata.map((key) => [key.AccessKeyId, key.Status]));
}

describe('access-keys handler against moto', () => {
  it('deactivates the old key and leaves the key the event created active', async () => {
    const { oldKey, createdKey } = await userWithTwoKeys('ak-enforce');
    const event = createAccessKeyEvent('ak-enforce', createdKey);
    const { invoke } = invoker(accessKeysRule, resources, clients, { clock: in100Days });

    const decision = await invoke(event);

    expect(decision).toMatchObject({
      rule: 'access-keys',
      mode: 'enforce',
      outcome: 'remediated',
      eventId: event.detail.eventID,
      resource: { type: 'user', name: 'ak-enforce' },
      action: { kind: 'deactivate-keys', userName: 'ak-enforce', keys: [{ accessKeyId: oldKey }] },
    });
    expect(await keyStatuses('ak-enforce')).toEqual({ [oldKey]: 'Inactive', [createdKey]: 'Active' });

    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    const [notification] = notifications;
    expect(notification?.subject).toBe('iam-warden: deactivated 1 old access key of user ak-enforce');
    expect(notification?.attributes).toEqual({
      rule: 'access-keys',
      outcome: 'remediated',
      account: MOTO_ACCOUNT,
    });
    const body = notification?.message ?? '';
    expect(body).toContain('iam-warden deactivated 1 old access key of user ak-enforce.');
    expect(body).toMatch(new RegExp(`^ {2}${oldKey}: created \\S+, 100 days old$`, 'm'));
    expect(body).not.toContain(createdKey);
    expect(body).toContain(
      `  Event:      CreateAccessKey ${event.detail.eventID} at ${event.detail.eventTime}`,
    );
    expect(body).toContain(`  Principal:  ${event.detail.userIdentity.arn} (IAMUser)`);
    expect(body).toContain(
      `  aws iam update-access-key --user-name ak-enforce --access-key-id ${oldKey} --status Active`,
    );

    const record = await readAudit(clients, resources, decision.remediationId);
    expect(record).toMatchObject({
      rule: 'access-keys',
      mode: 'enforce',
      status: 'applied',
      resourceArn: `arn:aws:iam::${MOTO_ACCOUNT}:user/ak-enforce`,
      action: { kind: 'deactivate-keys', userName: 'ak-enforce', keys: [{ accessKeyId: oldKey }] },
      trigger: { eventId: event.detail.eventID, eventName: 'CreateAccessKey' },
    });
    expect(record?.notifiedAt).toEqual(expect.any(String));

    const results = await readResults(resources);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      source: 'iam-warden',
      detail: {
        rule: 'access-keys',
        outcome: 'remediated',
        eventId: event.detail.eventID,
        remediationId: decision.remediationId,
        account: MOTO_ACCOUNT,
      },
    });
  });

  it('changes nothing in notify mode and says what it would have done', async () => {
    const { oldKey, createdKey } = await userWithTwoKeys('ak-notify');
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, {
      clock: in100Days,
      env: { MODE_ACCESS_KEYS: 'notify' },
    });

    const decision = await invoke(createAccessKeyEvent('ak-notify', createdKey));

    expect(decision).toMatchObject({ mode: 'notify', outcome: 'would-remediate' });
    expect(iam.writes()).toEqual([]);
    expect(await keyStatuses('ak-notify')).toEqual({ [oldKey]: 'Active', [createdKey]: 'Active' });
    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.subject).toBe('iam-warden: would deactivate 1 old access key of user ak-notify');
    expect(notifications[0]?.attributes).toEqual({
      rule: 'access-keys',
      outcome: 'would-remediate',
      account: MOTO_ACCOUNT,
    });
    expect(notifications[0]?.message).toContain('but the rule is in notify mode: nothing was changed');
    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({
      mode: 'notify',
      status: 'notified-only',
      action: { kind: 'deactivate-keys', keys: [{ accessKeyId: oldKey }] },
      notifiedAt: expect.any(String),
    });
    const results = await readResults(resources);
    expect(results.map((result) => result.detail)).toEqual([
      expect.objectContaining({ rule: 'access-keys', outcome: 'would-remediate', mode: 'notify' }),
    ]);
  });

  it('deactivates an old key again when UpdateAccessKey reactivates it', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'ak-reactivated' }));
    const created = await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'ak-reactivated' }));
    const keyId = created.AccessKey?.AccessKeyId ?? '';
    for (const Status of ['Inactive', 'Active'] as const) {
      await clients.iam.send(
        new UpdateAccessKeyCommand({ UserName: 'ak-reactivated', AccessKeyId: keyId, Status }),
      );
    }
    const event = updateAccessKeyEvent('ak-reactivated', keyId);
    const { invoke } = invoker(accessKeysRule, resources, clients, { clock: in100Days });

    const decision = await invoke(event);

    expect(decision).toMatchObject({
      outcome: 'remediated',
      eventName: 'UpdateAccessKey',
      action: { kind: 'deactivate-keys', keys: [{ accessKeyId: keyId }] },
    });
    expect(await keyStatuses('ak-reactivated')).toEqual({ [keyId]: 'Inactive' });
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.subject)).toEqual([
      'iam-warden: deactivated 1 old access key of user ak-reactivated',
    ]);
    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({
      status: 'applied',
      trigger: { eventId: event.detail.eventID, eventName: 'UpdateAccessKey' },
      notifiedAt: expect.any(String),
    });
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'remediated', eventName: 'UpdateAccessKey' }),
    ]);
  });

  it('raises a critical alert and calls no IAM API when the root user creates its own key', async () => {
    const event = rootCreateAccessKeyEvent('AKIAROOTKEYEXAMPLE01');
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, { clock: in100Days });

    const decision = await invoke(event);

    expect(decision).toMatchObject({ outcome: 'alert', resource: { type: 'root' } });
    expect(decision.remediationId).toBeUndefined();
    expect(iam.sent).toEqual([]);
    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.subject).toBe(
      `iam-warden: CRITICAL CreateAccessKey by the root user in account ${MOTO_ACCOUNT}`,
    );
    expect(notifications[0]?.attributes).toEqual({
      rule: 'access-keys',
      outcome: 'alert',
      account: MOTO_ACCOUNT,
    });
    expect(notifications[0]?.message).toContain('AKIAROOTKEYEXAMPLE01');
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'alert', eventId: event.detail.eventID }),
    ]);
  });

  it('ignores the event as target gone when the user was deleted', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'ak-deleted' }));
    await clients.iam.send(new DeleteUserCommand({ UserName: 'ak-deleted' }));
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, {
      clock: in100Days,
      env: { NOT_FOUND_RETRY_SECONDS: '1' },
    });

    const decision = await invoke(createAccessKeyEvent('ak-deleted', 'AKIAGONEUSEREXAMPLE1'));

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: 'user ak-deleted no longer exists (target gone)',
    });
    expect(iam.writes()).toEqual([]);
    expect(await readNotifications(resources)).toEqual([]);
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'ignored', resource: { type: 'user', name: 'ak-deleted' } }),
    ]);
  });

  it("makes no IAM call for iam-warden's own kind of write (a key set Inactive by its role: the loop guard)", async () => {
    const { oldKey, createdKey } = await userWithTwoKeys('ak-own-role');
    const event = updateAccessKeyEvent('ak-own-role', oldKey, 'iam-warden-own-update-access-key');
    Object.assign(event.detail.requestParameters ?? {}, { status: 'Inactive' });
    const ownRoleArn = String(
      (event.detail.userIdentity.sessionContext as { sessionIssuer: { arn: string } }).sessionIssuer.arn,
    );
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, {
      clock: in100Days,
      env: { OWN_ROLE_ARNS: ownRoleArn },
    });

    const decision = await invoke(event);

    expect(decision).toMatchObject({
      outcome: 'ignored',
      reason: `iam-warden's own UpdateAccessKey by its role ${ownRoleArn}`,
    });
    expect(iam.sent).toEqual([]);
    expect(await keyStatuses('ak-own-role')).toEqual({ [oldKey]: 'Active', [createdKey]: 'Active' });
    expect(await readNotifications(resources)).toEqual([]);
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'ignored', eventName: 'UpdateAccessKey' }),
    ]);
  });

  it("remediates a key reactivated by iam-warden's own role as a CRITICAL hijack, not a loop", async () => {
    const { oldKey, createdKey } = await userWithTwoKeys('ak-hijacked-role');
    const event = updateAccessKeyEvent('ak-hijacked-role', oldKey, 'iam-warden-own-update-access-key');
    const ownRoleArn = String(
      (event.detail.userIdentity.sessionContext as { sessionIssuer: { arn: string } }).sessionIssuer.arn,
    );
    const { invoke, iam } = invoker(accessKeysRule, resources, clients, {
      clock: in100Days,
      env: { OWN_ROLE_ARNS: ownRoleArn },
    });

    const decision = await invoke(event);

    expect(decision).toMatchObject({ outcome: 'remediated', critical: { title: expect.any(String) } });
    // An UpdateAccessKey creates no key: every old key is judged, both here.
    expect(iam.writes()).toEqual(['UpdateAccessKey', 'UpdateAccessKey']);
    expect(await keyStatuses('ak-hijacked-role')).toEqual({ [oldKey]: 'Inactive', [createdKey]: 'Inactive' });
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.subject)).toEqual([
      // SNS subjects stop at 99 characters.
      "iam-warden: CRITICAL UpdateAccessKey by iam-warden's own role: deactivated 2 old access keys of ...",
    ]);
    expect(notifications[0]?.message).toContain(`made by iam-warden's own role ${ownRoleArn}`);
  });
});

import {
  CreateUserCommand,
  GetUserPolicyCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { revertAction } from '../../lib/iam.js';
import { type LocalResources, readNotifications, readResults } from '../../lib/local/provision.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';
import { MOTO_ACCOUNT, putUserPolicyEvent, sampleEvent } from '../support/events.js';
import { drainTaps, freshAccount, invoker, motoClients, readAudit } from '../support/integration.js';

/**
 * Formatted by hand, as people paste policies: tabs, line breaks (one CRLF), and non-ASCII both precomposed
 * (é, U+00E9) and decomposed (e + U+0301), so any re-serialization or Unicode normalization shows.
 */
const ALLOW_DOCUMENT = [
  '{',
  '\t"Version": "2012-10-17",',
  '\t"Statement": [',
  '\t\t{',
  '\t\t\t"Sid": "ReadReports",',
  '\t\t\t"Effect": "Allow",',
  '\t\t\t"Action": ["s3:GetObject"],\r',
  '\t\t\t"Resource": "arn:aws:s3:::reports/*",',
  '\t\t\t"Condition": {"StringEquals": {"aws:PrincipalTag/équipe": "se\u0301curite\u0301"}}',
  '\t\t}',
  '\t]',
  '}',
].join('\n');

/** The real deny-all document of events/put-user-policy.json, as published (tabs and newlines). */
const DENY_DOCUMENT = String(sampleEvent('put-user-policy').detail.requestParameters?.policyDocument);

const clients = motoClients();
let resources: LocalResources;

beforeAll(async () => {
  resources = await freshAccount();
});
beforeEach(() => drainTaps(resources));
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

async function userWithPolicy(userName: string, policyName: string, document: string): Promise<void> {
  await clients.iam.send(new CreateUserCommand({ UserName: userName }));
  await clients.iam.send(
    new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: document }),
  );
}

async function policiesOf(userName: string): Promise<string[]> {
  return (await clients.iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? [];
}

async function documentOf(userName: string, policyName: string): Promise<string> {
  const { PolicyDocument } = await clients.iam.send(
    new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName }),
  );
  return decodeURIComponent(PolicyDocument ?? '');
}

describe('inline-policy handler against moto', () => {
  it('saves the document exactly, deletes the policy, and the saved action puts it back identical', async () => {
    await userWithPolicy('ip-allow', 'ReadReports', ALLOW_DOCUMENT);
    const event = putUserPolicyEvent('ip-allow', 'ReadReports', ALLOW_DOCUMENT);
    const { invoke, iam } = invoker(inlinePolicyRule, resources, clients);

    const decision = await invoke(event);

    expect(decision).toMatchObject({
      rule: 'inline-policy',
      mode: 'enforce',
      outcome: 'remediated',
      eventId: event.detail.eventID,
      resource: { type: 'user', name: 'ip-allow' },
    });
    expect(iam.writes()).toEqual(['DeleteUserPolicy']);
    expect(await policiesOf('ip-allow')).toEqual([]);

    const record = await readAudit(clients, resources, decision.remediationId);
    expect(record).toMatchObject({
      rule: 'inline-policy',
      status: 'applied',
      resourceArn: `arn:aws:iam::${MOTO_ACCOUNT}:user/ip-allow`,
      trigger: { eventId: event.detail.eventID, eventName: 'PutUserPolicy' },
      notifiedAt: expect.any(String),
    });
    expect(record?.action).toEqual({
      kind: 'delete-inline-policy',
      userName: 'ip-allow',
      policyName: 'ReadReports',
      policyDocument: ALLOW_DOCUMENT,
    });

    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.subject).toBe('iam-warden: deleted inline policy ReadReports of user ip-allow');
    expect(notifications[0]?.attributes).toEqual({
      rule: 'inline-policy',
      outcome: 'remediated',
      account: MOTO_ACCOUNT,
    });
    const body = notifications[0]?.message ?? '';
    expect(body).toContain(`  Policy document of ReadReports:\n${ALLOW_DOCUMENT}\n`);
    expect(body).toContain(
      `  aws iam put-user-policy --user-name ip-allow --policy-name ReadReports --policy-document '${ALLOW_DOCUMENT}'`,
    );

    const results = await readResults(resources);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      source: 'iam-warden',
      detail: {
        rule: 'inline-policy',
        outcome: 'remediated',
        remediationId: decision.remediationId,
        account: MOTO_ACCOUNT,
        action: { kind: 'delete-inline-policy', policyDocument: ALLOW_DOCUMENT },
      },
    });

    // Restore from what the audit table holds, not from anything the test kept.
    if (record === undefined) throw new Error('no audit record');
    await revertAction(clients.iam, record.action);
    expect(await policiesOf('ip-allow')).toEqual(['ReadReports']);
    expect(await documentOf('ip-allow', 'ReadReports')).toBe(ALLOW_DOCUMENT);
  });

  it('leaves a deny-only policy in place and says why', async () => {
    await userWithPolicy('ip-deny', 'TestUserDenyAll', DENY_DOCUMENT);
    const { invoke, iam } = invoker(inlinePolicyRule, resources, clients);

    const decision = await invoke(putUserPolicyEvent('ip-deny', 'TestUserDenyAll', DENY_DOCUMENT));

    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason: "inline policy TestUserDenyAll only denies; deleting it would widen ip-deny's access",
    });
    expect(iam.writes()).toEqual([]);
    expect(await documentOf('ip-deny', 'TestUserDenyAll')).toBe(DENY_DOCUMENT);
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => [notification.subject, notification.attributes])).toEqual([
      [
        'iam-warden: skipped PutUserPolicy on user ip-deny',
        { rule: 'inline-policy', outcome: 'skipped', account: MOTO_ACCOUNT },
      ],
    ]);
    expect(await readAudit(clients, resources, decision.remediationId)).toBeUndefined();
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ rule: 'inline-policy', outcome: 'skipped' }),
    ]);
  });

  it('leaves the policy in place in notify mode and shows the document', async () => {
    await userWithPolicy('ip-notify', 'ReadReports', ALLOW_DOCUMENT);
    const { invoke, iam } = invoker(inlinePolicyRule, resources, clients, {
      env: { MODE_INLINE_POLICY: 'notify' },
    });

    const decision = await invoke(putUserPolicyEvent('ip-notify', 'ReadReports', ALLOW_DOCUMENT));

    expect(decision).toMatchObject({ mode: 'notify', outcome: 'would-remediate' });
    expect(iam.writes()).toEqual([]);
    expect(await documentOf('ip-notify', 'ReadReports')).toBe(ALLOW_DOCUMENT);
    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.subject).toBe(
      'iam-warden: would delete inline policy ReadReports of user ip-notify',
    );
    expect(notifications[0]?.message).toContain(ALLOW_DOCUMENT);
    expect(await readAudit(clients, resources, decision.remediationId)).toMatchObject({
      status: 'notified-only',
      action: { policyDocument: ALLOW_DOCUMENT },
    });
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'would-remediate' }),
    ]);
  });

  it('deletes and notifies once for an event delivered twice', async () => {
    await userWithPolicy('ip-twice', 'ReadReports', ALLOW_DOCUMENT);
    const event = putUserPolicyEvent('ip-twice', 'ReadReports', ALLOW_DOCUMENT);
    const { invoke, iam } = invoker(inlinePolicyRule, resources, clients);

    const first = await invoke(structuredClone(event));
    const second = await invoke(structuredClone(event));

    expect(first).toMatchObject({ outcome: 'remediated' });
    expect(second).toEqual(first);
    expect(iam.writes()).toEqual(['DeleteUserPolicy']);
    expect(
      (await readNotifications(resources)).map((notification) => notification.attributes.outcome),
    ).toEqual(['remediated']);
    expect(await readAudit(clients, resources, first.remediationId)).toMatchObject({
      status: 'applied',
      action: { policyDocument: ALLOW_DOCUMENT },
      notifiedAt: expect.any(String),
    });
  });
});

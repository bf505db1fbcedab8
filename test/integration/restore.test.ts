import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../lib/audit.js';
import { runCli } from '../../lib/cli/run.js';
import { AuditWriteError } from '../../lib/errors.js';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import type { Decision } from '../../lib/plan.js';
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
import { localAws } from '../support/moto.js';

/**
 * Round trips through the real handlers and the real `iam-warden restore` command line against moto: what a
 * remediation removes, a restore puts back identical. Each test uses its own entities, so the file provisions
 * the account once.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
/** moto's STS GetCallerIdentity answers for this user: the restorer the records name. */
const MOTO_CALLER = `arn:aws:sts::${MOTO_ACCOUNT}:user/moto`;
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** Every character IAM allows in user, role and policy names: `[\w+=,.@-]`. Policy names take up to 128. */
const EVERY_NAME_CHARACTER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-';
/** A user or role name with every punctuation IAM allows (names take up to 64 characters). */
const legalName = (prefix: string) => `${prefix}+b=c,d.e@f_g-h`;

/** IAM's quota for all of a user's inline policies together: 2,048 characters, white space not counted. */
const USER_INLINE_QUOTA = 2048;
const countedCharacters = (document: string) => document.replace(/[ \t\n\r]/g, '').length;

function allowDocument(extra: string, indent = '\t'): string {
  return [
    '{',
    `${indent}"Version": "2012-10-17",`,
    `${indent}"Statement": [`,
    `${indent}${indent}{`,
    `${indent}${indent}${indent}"Effect": "Allow",`,
    `${indent}${indent}${indent}"Action": "s3:GetObject",`,
    `${indent}${indent}${indent}${extra}`,
    `${indent}${indent}}`,
    `${indent}]`,
    '}',
  ].join('\n');
}

/** The largest inline policy a user can hold: exactly the quota, with white space on top (not counted). */
function largestDocument(): string {
  const frame = allowDocument('"Resource": "arn:aws:s3:::reports/"', '  ');
  const room = USER_INLINE_QUOTA - countedCharacters(frame);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const padding = Array.from({ length: room }, (_, index) => alphabet[index % alphabet.length]).join('');
  return allowDocument(`"Resource": "arn:aws:s3:::reports/${padding}"`, '  ');
}

/** U+0020..U+00FF, the range IAM accepts in documents besides tab, line feed and carriage return. */
const LATIN1 = Array.from({ length: 0xff - 0x20 + 1 }, (_, index) => String.fromCharCode(0x20 + index)).join(
  '',
);

/** Every character of U+0020..U+00FF inside a JSON string: raw, but `"` and `\` escaped as JSON demands. */
function latin1Document(): string {
  const inString = LATIN1.replace(/["\\]/g, (character) => `\\${character}`);
  return allowDocument(
    `"Resource": "*",\n\t\t\t"Condition": {"StringEquals": {"aws:PrincipalTag/team": "${inString}"}}`,
  ).replace('{\n', '{\r\n\t\n');
}

/** Characters that mean something in a URL or a form body, and percent sequences that must stay as typed. */
const URL_SPECIAL = `&+%#?/=' \\"a+b c%41%2B%zz%;:@$,[]{}<>|^\`~!*()`;
function urlDocument(): string {
  return allowDocument(
    `"Resource": "arn:aws:s3:::bucket/a&b+c%20d#e?f=g'h",\n\t\t\t"Condition": {"StringLike": {"s3:prefix": "${URL_SPECIAL}"}}`,
  );
}

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

interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `iam-warden <args>` as the bin runs it, on moto, with the provisioned environment. */
async function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliRun> {
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

/** The restore command the remediation's notification tells people to run, as arguments. */
async function restoreCommandOf(remediationId: string | undefined): Promise<string[]> {
  const notifications = await readNotifications(resources);
  const remediated = notifications.filter((notification) => notification.attributes.outcome === 'remediated');
  expect(remediated).toHaveLength(1);
  const body = remediated[0]?.message ?? '';
  expect(body).toContain(`Remediation: ${remediationId}`);
  const command = /^ {2}npx iam-warden restore (\S+)$/m.exec(body);
  expect(command?.[1]).toBe(remediationId);
  return ['restore', command?.[1] ?? ''];
}

async function auditEntry(id: string): Promise<AuditEntry | undefined> {
  return (await readAudit(clients, resources, id)) as AuditEntry | undefined;
}

const restoreIdOf = (remediationId: string | undefined) => `rst-${remediationId?.slice(4)}`;

async function inlinePolicies(userName: string): Promise<Record<string, string>> {
  const { PolicyNames = [] } = await clients.iam.send(new ListUserPoliciesCommand({ UserName: userName }));
  const documents: Record<string, string> = {};
  for (const policyName of PolicyNames) {
    const { PolicyDocument = '' } = await clients.iam.send(
      new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName }),
    );
    documents[policyName] = decodeURIComponent(PolicyDocument);
  }
  return documents;
}

async function userWithPolicy(userName: string, policyName: string, document: string): Promise<void> {
  await clients.iam.send(new CreateUserCommand({ UserName: userName }));
  await clients.iam.send(
    new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: document }),
  );
}

/** Remediate an inline policy through the real handler; returns the remediation ID. */
async function remediateInline(userName: string, policyName: string, document: string): Promise<string> {
  const { invoke, iam } = invoker(inlinePolicyRule, resources, clients);
  const decision = await invoke(putUserPolicyEvent(userName, policyName, document));
  expect(decision.outcome).toBe('remediated');
  expect(iam.writes()).toEqual(['DeleteUserPolicy']);
  expect(await inlinePolicies(userName)).toEqual({});
  return decision.remediationId ?? '';
}

async function keysOf(userName: string) {
  const { AccessKeyMetadata = [] } = await clients.iam.send(
    new ListAccessKeysCommand({ UserName: userName }),
  );
  return AccessKeyMetadata.map(({ AccessKeyId, Status, CreateDate }) => ({
    AccessKeyId,
    Status,
    CreateDate,
  }));
}

async function attachedTo(roleName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await clients.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '').sort();
}

describe('inline policy: remediate, then restore the identical document', () => {
  it.each([
    [
      'an indented document with CRLF and non-ASCII',
      'ip-plain',
      'ReadReports',
      allowDocument('"Resource": "arn:aws:s3:::r/é"').replace('\n', '\r\n'),
    ],
    ['the largest inline policy IAM allows a user', 'ip-largest', 'Largest', largestDocument()],
    ['every character U+0020..U+00FF', 'ip-latin1', 'Latin1', latin1Document()],
    ['characters that need URL-encoding', 'ip-url', 'UrlSpecial', urlDocument()],
    [
      'user and policy names with every IAM-legal character',
      legalName('ip'),
      EVERY_NAME_CHARACTER,
      allowDocument('"Resource": "*"'),
    ],
  ])('puts back %s, byte for byte', async (_what, userName, policyName, document) => {
    await userWithPolicy(userName, policyName, document);
    const original = await inlinePolicies(userName);
    expect(original).toEqual({ [policyName]: document });

    const remediationId = await remediateInline(userName, policyName, document);
    const restore = await cli(await restoreCommandOf(remediationId));

    expect(restore).toMatchObject({ status: 0, stderr: '' });
    expect(restore.stdout).toContain(`Restored ${remediationId} (inline-policy, user ${userName};`);
    expect(restore.stdout).toContain(
      `  put back:     re-put inline policy ${policyName} of user ${userName}: the saved document, ${document.length} characters, byte for byte\n`,
    );
    const restored = await inlinePolicies(userName);
    expect(restored).toEqual(original);
    expect(restored[policyName]).toBe(document);
    expect(JSON.parse(restored[policyName] ?? '')).toEqual(JSON.parse(document));
  });

  it('builds its largest document at exactly the quota, and its Latin-1 one with every character', () => {
    expect(countedCharacters(largestDocument())).toBe(USER_INLINE_QUOTA);
    const parsed = JSON.parse(latin1Document()) as {
      Statement: [{ Condition: { StringEquals: Record<string, string> } }];
    };
    expect(parsed.Statement[0].Condition.StringEquals['aws:PrincipalTag/team']).toBe(LATIN1);
    expect(JSON.parse(urlDocument()).Statement[0].Condition.StringLike['s3:prefix']).toBe(
      `&+%#?/=' "a+b c%41%2B%zz%;:@$,[]{}<>|^\`~!*()`,
    );
  });

  it('records the restore and stamps the remediation with it', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-records', 'Records', document);
    const remediationId = await remediateInline('ip-records', 'Records', document);

    await cli(['restore', remediationId]);

    expect(await auditEntry(remediationId)).toMatchObject({
      kind: 'remediation',
      status: 'applied',
      restoredBy: restoreIdOf(remediationId),
    });
    const restore = await auditEntry(restoreIdOf(remediationId));
    expect(restore).toMatchObject({
      kind: 'restore',
      resourceArn: `arn:aws:iam::${MOTO_ACCOUNT}:user/ip-records`,
      restores: remediationId,
      restoredBy: MOTO_CALLER,
    });
    const graceMs =
      restore?.kind === 'restore' ? Date.parse(restore.graceUntil) - Date.parse(restore.createdAt) : 0;
    expect(graceMs).toBe(24 * HOUR_MS);
  });

  it('with --dry-run says what it would put back and changes and records nothing', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-dry', 'Dry', document);
    const remediationId = await remediateInline('ip-dry', 'Dry', document);

    const dry = await cli(['restore', remediationId, '--dry-run']);

    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(`Dry run, nothing changed: would restore ${remediationId}`);
    expect(dry.stdout).toContain('  put back:     re-put inline policy Dry of user ip-dry');
    expect(await inlinePolicies('ip-dry')).toEqual({});
    expect(await auditEntry(restoreIdOf(remediationId))).toBeUndefined();
    expect(await auditEntry(remediationId)).not.toHaveProperty('restoredBy');
  });
});

describe('access keys: remediate, then restore', () => {
  // moto cannot backdate keys: judge them 100 days from now, when every key it created is 100 days old. The
  // restore is recorded at the same time (--now), as a CLI run "as of" that time would be.
  const at100Days = () => new Date(Date.now() + 100 * DAY_MS);

  async function remediatedKeys(userName: string) {
    await clients.iam.send(new CreateUserCommand({ UserName: userName }));
    const first = await clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const second = await clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const oldKey = first.AccessKey?.AccessKeyId ?? '';
    const original = await keysOf(userName);
    expect(original.map((key) => key.Status)).toEqual(['Active', 'Active']);
    const { invoke } = invoker(accessKeysRule, resources, clients, { clock: clockDaysAhead(100) });
    const decision = await invoke(createAccessKeyEvent(userName, second.AccessKey?.AccessKeyId ?? ''));
    expect(decision.outcome).toBe('remediated');
    expect((await keysOf(userName)).find((key) => key.AccessKeyId === oldKey)?.Status).toBe('Inactive');
    return { original, oldKey, remediationId: decision.remediationId ?? '' };
  }

  it('reactivates the deactivated key: the keys are as they were', async () => {
    const userName = legalName('ak');
    const { original, oldKey, remediationId } = await remediatedKeys(userName);

    const restore = await cli([
      ...(await restoreCommandOf(remediationId)),
      '--now',
      at100Days().toISOString(),
    ]);

    expect(restore).toMatchObject({ status: 0, stderr: '' });
    expect(restore.stdout).toContain(
      `  put back:     reactivated access key ${oldKey} of user ${userName}\n`,
    );
    expect(await keysOf(userName)).toEqual(original);
  });

  it('refuses when a deactivated key was deleted, and changes nothing', async () => {
    const { oldKey, remediationId } = await remediatedKeys('ak-deleted');
    await clients.iam.send(new DeleteAccessKeyCommand({ UserName: 'ak-deleted', AccessKeyId: oldKey }));
    const before = await keysOf('ak-deleted');

    const restore = await cli(['restore', remediationId]);

    expect(restore.status).toBe(1);
    expect(restore.stderr).toBe(
      `iam-warden: refused: cannot restore ${remediationId}: access key ${oldKey} of user ak-deleted was deleted; it cannot be reactivated. Nothing was changed.\n`,
    );
    expect(await keysOf('ak-deleted')).toEqual(before);
    expect(await auditEntry(restoreIdOf(remediationId))).toBeUndefined();
  });

  it('only notifies about the restorer reactivating the key during the grace period, then acts again', async () => {
    const userName = 'ak-grace';
    const { oldKey, remediationId } = await remediatedKeys(userName);
    await cli(['restore', remediationId, '--now', at100Days().toISOString()]);
    await drainTaps(resources);

    // The restore's own UpdateAccessKey(Active), as CloudTrail would deliver it.
    const during = invoker(accessKeysRule, resources, clients, { clock: clockDaysAhead(100) });
    const decision = await during.invoke(updateAccessKeyEvent(userName, oldKey));

    expect(decision).toMatchObject({ outcome: 'would-remediate', mode: 'notify' });
    expect(decision.reason).toContain(`restored by ${MOTO_CALLER}`);
    expect(during.iam.writes()).toEqual([]);
    expect((await keysOf(userName)).map((key) => key.Status)).toEqual(['Active', 'Active']);

    const after = invoker(accessKeysRule, resources, clients, { clock: clockDaysAhead(100 + 25 / 24) });
    const later = await after.invoke(updateAccessKeyEvent(userName, oldKey));

    expect(later).toMatchObject({ outcome: 'remediated', mode: 'enforce' });
    expect((await keysOf(userName)).find((key) => key.AccessKeyId === oldKey)?.Status).toBe('Inactive');
  });
});

describe('admin policy: remediate, then restore', () => {
  async function remediatedRole(roleName: string) {
    await clients.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
    for (const policyArn of [READ_ONLY_ACCESS, ADMINISTRATOR_ACCESS]) {
      await clients.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
    }
    const original = await attachedTo(roleName);
    const event = attachRolePolicyEvent(roleName);
    const { invoke } = invoker(adminPolicyRule, resources, clients);
    const decision = await invoke(event);
    expect(decision.outcome).toBe('remediated');
    expect(await attachedTo(roleName)).toEqual([READ_ONLY_ACCESS]);
    return { original, event, decision, remediationId: decision.remediationId ?? '' };
  }

  it('re-attaches AdministratorAccess, found by the CloudTrail event ID', async () => {
    const roleName = legalName('ap');
    const { original, event, remediationId } = await remediatedRole(roleName);
    await restoreCommandOf(remediationId);

    const restore = await cli(['restore', '--event-id', event.detail.eventID]);

    expect(restore).toMatchObject({ status: 0, stderr: '' });
    expect(restore.stdout).toContain(`Restored ${remediationId} (admin-policy, role ${roleName};`);
    expect(restore.stdout).toContain(
      `  put back:     re-attached ${ADMINISTRATOR_ACCESS} to role ${roleName}\n`,
    );
    expect(await attachedTo(roleName)).toEqual(original);
  });

  it('refuses to restore twice', async () => {
    const { remediationId } = await remediatedRole('ap-twice');
    expect((await cli(['restore', remediationId])).status).toBe(0);

    const again = await cli(['restore', remediationId]);

    expect(again.status).toBe(1);
    expect(again.stderr).toBe(
      `iam-warden: refused: cannot restore ${remediationId}: ${remediationId} was restored already (${restoreIdOf(remediationId)}). Nothing was changed.\n`,
    );
  });

  it('only notifies about the restorer re-attaching it during the grace period; a redelivery changes nothing', async () => {
    const { event, decision, remediationId } = await remediatedRole('ap-grace');
    await cli(['restore', remediationId]);
    await drainTaps(resources);
    const { invoke, iam } = invoker(adminPolicyRule, resources, clients);

    const restorersEvent = await invoke(attachRolePolicyEvent('ap-grace'));
    const redelivered = await invoke(structuredClone(event));

    expect(restorersEvent).toMatchObject({ outcome: 'would-remediate', mode: 'notify' });
    // Idempotency hands a redelivery the first delivery's decision, without acting again.
    expect(redelivered).toEqual(decision);
    expect(iam.writes()).toEqual([]);
    expect(await attachedTo('ap-grace')).toEqual([ADMINISTRATOR_ACCESS, READ_ONLY_ACCESS].sort());
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.subject)).toEqual([
      'iam-warden: would detach AdministratorAccess from role ap-grace',
    ]);
  });
});

describe("restore --event-id is unambiguous, and restores only in the credentials' account", () => {
  async function attachedToUser(userName: string): Promise<string[]> {
    const { AttachedPolicies = [] } = await clients.iam.send(
      new ListAttachedUserPoliciesCommand({ UserName: userName }),
    );
    return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
  }

  it("lists a repeat offender's event's two records (the detach, the quarantine) and restores neither until given an ID", async () => {
    const role = 'ev-repeated-role';
    const repeater = 'ev-mallory';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(new CreateUserCommand({ UserName: repeater }));
    const quarantinePolicy = resources.env.QUARANTINE_POLICY_ARN ?? '';
    const { invoke } = invoker(adminPolicyRule, resources, clients, {
      env: { REPEAT_OFFENDER_ACTION: 'quarantine', REPEAT_LIMIT: '2' },
    });
    let last = attachRolePolicyEvent(role);
    let decision: Decision | undefined;
    for (let time = 0; time < 3; time++) {
      await clients.iam.send(
        new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }),
      );
      last = calledByUser(attachRolePolicyEvent(role), repeater);
      decision = await invoke(last);
    }
    const detachId = decision?.remediationId ?? '';
    const quarantineId = decision?.quarantine?.remediationId ?? '';
    expect(decision?.quarantine?.outcome).toBe('remediated');
    expect(await attachedToUser(repeater)).toEqual([quarantinePolicy]);

    const ambiguous = await cli(['restore', '--event-id', last.detail.eventID]);

    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stdout).toBe('');
    const lines = ambiguous.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `iam-warden: event ${last.detail.eventID} has 2 remediations; restore one by its remediation ID (iam-warden restore <ID>); nothing was changed:`,
    );
    expect(lines.filter((line) => line.startsWith('iam-warden:'))).toHaveLength(1);
    expect(lines.slice(2).map((line) => line.trim().split(/\s+/).slice(0, 3))).toEqual([
      [detachId, 'admin-policy', `arn:aws:iam::${MOTO_ACCOUNT}:role/${role}`],
      [quarantineId, 'admin-policy', `arn:aws:iam::${MOTO_ACCOUNT}:user/${repeater}`],
    ]);
    expect(lines[2]).toContain(`detached ${ADMINISTRATOR_ACCESS} from role ${role}`);
    expect(lines[3]).toContain(`quarantined user ${repeater}`);
    // Nothing was put back: the role still lacks AdministratorAccess, the repeater is still fenced off.
    expect(await attachedTo(role)).toEqual([]);
    expect(await attachedToUser(repeater)).toEqual([quarantinePolicy]);
    expect(await auditEntry(detachId)).not.toHaveProperty('restoredBy');
    expect(await auditEntry(quarantineId)).not.toHaveProperty('restoredBy');

    const chosen = await cli(['restore', quarantineId]);

    expect(chosen.status).toBe(0);
    expect(await attachedToUser(repeater)).toEqual([]);
    expect(await attachedTo(role)).toEqual([]);
  });

  it('refuses a remediation recorded for another account than the credentials, by ID and by event ID, changing nothing', async () => {
    const role = 'ev-other-account';
    const other = '210987654321';
    await clients.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: ADMINISTRATOR_ACCESS }));
    // An event of another account, as a central deployment receives them: recorded under that account.
    const event = attachRolePolicyEvent(role);
    event.account = other;
    event.detail.recipientAccountId = other;
    const { invoke } = invoker(adminPolicyRule, resources, clients);
    const decision = await invoke(event);
    expect(decision.outcome).toBe('remediated');
    const id = decision.remediationId ?? '';
    expect(await auditEntry(id)).toMatchObject({ resourceArn: `arn:aws:iam::${other}:role/${role}` });

    for (const args of [[id], [id, '--dry-run'], ['--event-id', event.detail.eventID]]) {
      const refused = await cli(['restore', ...args]);

      expect(refused).toEqual({
        status: 1,
        stdout: '',
        stderr: `iam-warden: refused: cannot restore ${id}: ${id} is a remediation in account ${other}, and these credentials act in account ${MOTO_ACCOUNT}: restoring would change the wrong account. Run the restore with credentials for account ${other}. Nothing was changed.\n`,
      });
    }
    expect(await attachedTo(role)).toEqual([]);
    expect(await auditEntry(id)).not.toHaveProperty('restoredBy');
    expect(await auditEntry(restoreIdOf(id))).toBeUndefined();
  });
});

describe('inline policy restores that would be unsafe', () => {
  it('refuses when the user was deleted', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-gone', 'Gone', document);
    const remediationId = await remediateInline('ip-gone', 'Gone', document);
    await clients.iam.send(new DeleteUserCommand({ UserName: 'ip-gone' }));

    const restore = await cli(['restore', remediationId]);

    expect(restore.status).toBe(1);
    expect(restore.stderr).toBe(
      `iam-warden: refused: cannot restore ${remediationId}: user ip-gone no longer exists. Nothing was changed.\n`,
    );
    expect(await auditEntry(restoreIdOf(remediationId))).toBeUndefined();
    expect(await auditEntry(remediationId)).not.toHaveProperty('restoredBy');
  });

  it('refuses when a different policy of the same name was put meanwhile, and leaves that one alone', async () => {
    const document = allowDocument('"Resource": "*"');
    const newer = allowDocument('"Resource": "arn:aws:s3:::newer/*"');
    await userWithPolicy('ip-newer', 'Shared', document);
    const remediationId = await remediateInline('ip-newer', 'Shared', document);
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: 'ip-newer', PolicyName: 'Shared', PolicyDocument: newer }),
    );

    const restore = await cli(['restore', remediationId]);

    expect(restore.status).toBe(1);
    expect(restore.stderr).toContain(
      'user ip-newer has an inline policy Shared again, with a different document; restoring would overwrite it',
    );
    expect(await inlinePolicies('ip-newer')).toEqual({ Shared: newer });
  });

  it('refuses an ID nothing was recorded under', async () => {
    const restore = await cli(['restore', 'rem-00000000000000000000']);

    expect(restore).toMatchObject({
      status: 1,
      stderr:
        'iam-warden: refused: no remediation recorded for rem-00000000000000000000. Nothing was changed.\n',
    });
  });
});

describe('grace period after an inline policy restore', () => {
  it('only notifies about the next PutUserPolicy while it lasts, and remediates again after it', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-grace', 'Graced', document);
    const remediationId = await remediateInline('ip-grace', 'Graced', document);
    await cli(['restore', remediationId]);
    await drainTaps(resources);

    // The restore's own PutUserPolicy, as CloudTrail would deliver it.
    const during = invoker(inlinePolicyRule, resources, clients);
    const decision = await during.invoke(putUserPolicyEvent('ip-grace', 'Graced', document));

    expect(decision).toMatchObject({ outcome: 'would-remediate', mode: 'notify' });
    expect(during.iam.writes()).toEqual([]);
    expect(await inlinePolicies('ip-grace')).toEqual({ Graced: document });
    expect(await auditEntry(decision.remediationId ?? '')).toMatchObject({ status: 'notified-only' });
    const notifications = await readNotifications(resources);
    expect(notifications.map((notification) => notification.attributes.outcome)).toEqual(['would-remediate']);
    expect(notifications[0]?.message).toContain(`restored by ${MOTO_CALLER}`);

    const after = invoker(inlinePolicyRule, resources, clients, {
      clock: () => new Date(Date.now() + 25 * HOUR_MS),
    });
    const later = await after.invoke(putUserPolicyEvent('ip-grace', 'Graced', document));

    expect(later).toMatchObject({ outcome: 'remediated', mode: 'enforce' });
    expect(await inlinePolicies('ip-grace')).toEqual({});
  });

  it('covers only what was put back: another inline policy on the user is deleted during it', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-scoped-grace', 'Graced', document);
    const remediationId = await remediateInline('ip-scoped-grace', 'Graced', document);
    await cli(['restore', remediationId]);
    await clients.iam.send(
      new PutUserPolicyCommand({
        UserName: 'ip-scoped-grace',
        PolicyName: 'Other',
        PolicyDocument: document,
      }),
    );

    const other = putUserPolicyEvent('ip-scoped-grace', 'Other', document);
    other.detail.eventID = `${other.detail.eventID}-other`;
    const decision = await invoker(inlinePolicyRule, resources, clients).invoke(other);

    expect(decision).toMatchObject({ outcome: 'remediated', mode: 'enforce' });
    expect(await inlinePolicies('ip-scoped-grace')).toEqual({ Graced: document });
  });

  it('lasts RESTORE_GRACE_HOURS', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-short-grace', 'Short', document);
    const remediationId = await remediateInline('ip-short-grace', 'Short', document);
    await cli(['restore', remediationId], { RESTORE_GRACE_HOURS: '1' });

    const { invoke } = invoker(inlinePolicyRule, resources, clients, {
      clock: () => new Date(Date.now() + 2 * HOUR_MS),
    });
    const decision = await invoke(putUserPolicyEvent('ip-short-grace', 'Short', document));

    expect(decision.outcome).toBe('remediated');
  });
});

describe('when the audit record cannot be written', () => {
  it('changes nothing in IAM and notifies the failure (audit table missing)', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-no-table', 'Kept', document);
    const { invoke, iam } = invoker(inlinePolicyRule, resources, clients, {
      env: { AUDIT_TABLE: 'iam-warden-audit-does-not-exist' },
    });

    await expect(invoke(putUserPolicyEvent('ip-no-table', 'Kept', document))).rejects.toThrow(
      'Requested resource not found',
    );

    expect(iam.writes()).toEqual([]);
    expect(await inlinePolicies('ip-no-table')).toEqual({ Kept: document });
    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.subject).toMatch(/^iam-warden: FAILED to .* user ip-no-table$/);
    expect(notifications[0]?.attributes.outcome).toBe('failed');
    expect(notifications[0]?.message).toContain('ResourceNotFoundException');
  });

  it('changes nothing in IAM and notifies the failure (the table reads, the record write is denied)', async () => {
    // moto has no way to deny one call, so this client denies every write to the audit table as IAM would deny
    // a role without dynamodb:PutItem on it; reads, and the idempotency table (the same client), go to moto.
    const denied = motoClients();
    const send = denied.dynamo.send.bind(denied.dynamo);
    denied.dynamo.send = ((command: unknown, ...rest: unknown[]) =>
      command instanceof PutItemCommand && command.input.TableName === resources.env.AUDIT_TABLE
        ? Promise.reject(
            Object.assign(new Error('not authorized to perform: dynamodb:PutItem'), {
              name: 'AccessDeniedException',
            }),
          )
        : (send as (...args: unknown[]) => Promise<unknown>)(command, ...rest)) as typeof denied.dynamo.send;
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-no-write', 'Kept', document);
    const { invoke, iam } = invoker(inlinePolicyRule, resources, denied);

    await expect(invoke(putUserPolicyEvent('ip-no-write', 'Kept', document))).rejects.toThrow(
      AuditWriteError,
    );

    expect(iam.writes()).toEqual([]);
    expect(await inlinePolicies('ip-no-write')).toEqual({ Kept: document });
    const notifications = await readNotifications(resources);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({
      subject: 'iam-warden: FAILED to delete inline policy Kept of user ip-no-write',
      attributes: { outcome: 'failed' },
    });
    expect(notifications[0]?.message).toContain('not changed because the before-state could not be recorded');
    for (const client of Object.values(denied)) client.destroy();
  });
});

describe('history', () => {
  it('lists the remediation and its restore for the resource, newest first', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-history', 'Listed', document);
    const remediationId = await remediateInline('ip-history', 'Listed', document);
    await cli(['restore', remediationId]);

    const table = await cli(['history', '--resource', 'user/ip-history']);
    const json = await cli([
      'history',
      '--resource',
      `arn:aws:iam::${MOTO_ACCOUNT}:user/team/ip-history`,
      '--json',
    ]);

    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^TIME +ID +RULE +STATUS +RESOURCE +WHAT$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^\\S+Z  ${restoreIdOf(remediationId)}  inline-policy  restore +user/ip-history  put back ${remediationId}, by ${MOTO_CALLER}; iam-warden only notifies until \\S+Z$`,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^\\S+Z  ${remediationId}  inline-policy  restored +user/ip-history  deleted inline policy Listed of user ip-history`,
      ),
    );
    expect(lines[3]).toBe(`1 remediation, 1 restore for arn:aws:iam::${MOTO_ACCOUNT}:user/ip-history.`);
    const entries = json.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntry);
    expect(entries.map((entry) => [entry.kind, entry.id])).toEqual([
      ['restore', restoreIdOf(remediationId)],
      ['remediation', remediationId],
    ]);
    expect(entries[1]).toMatchObject({ action: { kind: 'delete-inline-policy', policyDocument: document } });
  });

  it('lists the whole account since a time', async () => {
    const document = allowDocument('"Resource": "*"');
    await userWithPolicy('ip-history-all', 'Listed', document);
    const remediationId = await remediateInline('ip-history-all', 'Listed', document);
    await cli(['restore', remediationId]);

    const all = await cli(['history', '--since', '1h', '--json']);
    const none = await cli(['history', '--since', '2999-01-01']);

    const ids = all.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as AuditEntry).id);
    expect(ids).toEqual(expect.arrayContaining([remediationId, restoreIdOf(remediationId)]));
    expect(ids.indexOf(restoreIdOf(remediationId))).toBeLessThan(ids.indexOf(remediationId));
    expect(none).toMatchObject({ status: 0, stdout: 'No audit records since 2999-01-01T00:00:00.000Z.\n' });
  });
});

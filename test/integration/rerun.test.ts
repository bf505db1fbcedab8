import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/run.js';
import { type LocalResources, readNotifications, readResults } from '../../lib/local/provision.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  type IamEventEnvelope,
  MOTO_ACCOUNT,
  rootCreateAccessKeyEvent,
} from '../support/events.js';
import { drainTaps, freshAccount, invoker, motoClients, readAudit } from '../support/integration.js';
import { localAws } from '../support/moto.js';

/**
 * Running the same events again, on moto: a back-test in notify mode does not block enforcing them later, a
 * back-test run twice does not page anyone twice, and `--no-notify` publishes nothing.
 */

const BIN = fileURLToPath(new URL('../../bin/iam-warden.mjs', import.meta.url));
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const clients = motoClients();
const sts = new STSClient(localAws());
let resources: LocalResources;
let dir: string;

beforeAll(async () => {
  resources = await freshAccount();
  dir = await mkdtemp(join(tmpdir(), 'iam-warden-rerun-'));
});
beforeEach(() => drainTaps(resources));
afterAll(async () => {
  for (const client of Object.values(clients)) client.destroy();
  sts.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI in-process against moto, with the provisioned environment (and `env` on top). */
async function cli(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    env: { ...resources.env, ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clients,
    sts,
  });
  const rows = () =>
    stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status, stdout, stderr, rows };
}

async function writeEvents(name: string, events: IamEventEnvelope[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ Records: events.map((event) => event.detail) }));
  return path;
}

async function roleWithAdmin(roleName: string): Promise<void> {
  await clients.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
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

const subjects = async () => (await readNotifications(resources)).map((message) => message.subject);

/** One event of each kind people are told of without a remediation: an alert and a skip, with their IDs. */
function alertAndSkip(prefix: string, breakGlassRole: string): IamEventEnvelope[] {
  const alert = rootCreateAccessKeyEvent(`AKIA${prefix.toUpperCase()}ROOTKEY0001`);
  alert.detail.eventID = `${prefix}-root-key`;
  const skip = attachRolePolicyEvent(breakGlassRole);
  skip.detail.eventID = `${prefix}-break-glass`;
  return [alert, skip];
}

describe('a back-test in notify mode, then in enforce mode', () => {
  it('remediates on the enforcing replay what the notify replay recorded, and keeps the notify decision in the record', async () => {
    await roleWithAdmin('backtested-role');
    const event = attachRolePolicyEvent('backtested-role');
    event.detail.eventID = 'backtested-role-attach';
    const file = await writeEvents('backtest.json', [event]);

    const notified = await cli(['replay', file, '--json', '--mode', 'notify']);
    expect(notified.rows()).toEqual([expect.objectContaining({ outcome: 'would-remediate' })]);
    expect(await attachedTo('backtested-role')).toEqual([ADMINISTRATOR_ACCESS]);
    const notifyRecord = await readAudit(clients, resources, String(notified.rows()[0]?.remediationId));
    expect(notifyRecord).toMatchObject({ status: 'notified-only', notifiedAt: expect.any(String) });

    const enforced = await cli(['replay', file, '--json', '--mode', 'enforce']);

    expect(enforced.status).toBe(0);
    expect(enforced.rows()).toEqual([
      expect.objectContaining({
        outcome: 'remediated',
        remediationId: notified.rows()[0]?.remediationId,
        alreadyNotified: false,
      }),
    ]);
    expect(await attachedTo('backtested-role')).toEqual([]);
    expect(await subjects()).toEqual([
      'iam-warden: would detach AdministratorAccess from role backtested-role',
      'iam-warden: detached AdministratorAccess from role backtested-role',
    ]);
    // One record, restorable under the same ID, that still tells of the notify decision before it.
    expect(await readAudit(clients, resources, String(enforced.rows()[0]?.remediationId))).toMatchObject({
      mode: 'enforce',
      status: 'applied',
      notifiedAt: expect.any(String),
      notifiedOnly: {
        createdAt: notifyRecord?.createdAt,
        notifiedAt: notifyRecord?.notifiedAt,
        reason: notifyRecord?.reason,
      },
    });

    // Enforcing again is a duplicate: nothing is done or sent twice.
    const again = await cli(['replay', file, '--json', '--mode', 'enforce']);
    expect(again.rows()).toEqual([expect.objectContaining({ outcome: 'remediated', alreadyNotified: true })]);
    expect(await subjects()).toEqual([]);
  });

  it('lets a function switched to enforce act on an event it was given in notify mode, idempotency table and all', async () => {
    await roleWithAdmin('switched-role');
    const event = attachRolePolicyEvent('switched-role');
    event.detail.eventID = 'switched-role-attach';
    const notify = invoker(adminPolicyRule, resources, clients, { env: { MODE_ADMIN_POLICY: 'notify' } });
    const enforce = invoker(adminPolicyRule, resources, clients, { env: { MODE_ADMIN_POLICY: 'enforce' } });

    expect(await notify.invoke(structuredClone(event))).toMatchObject({ outcome: 'would-remediate' });
    // The same delivery again in notify mode is answered from the idempotency table.
    expect(await notify.invoke(structuredClone(event))).toMatchObject({ outcome: 'would-remediate' });
    expect(notify.iam.sent).toHaveLength(2);

    expect(await enforce.invoke(structuredClone(event))).toMatchObject({ outcome: 'remediated' });
    expect(enforce.iam.writes()).toEqual(['DetachRolePolicy']);
    expect(await attachedTo('switched-role')).toEqual([]);
  });
});

describe('a back-test run again', () => {
  const breakGlass = `arn:aws:iam::${MOTO_ACCOUNT}:role/rerun-break-glass`;

  it('prints every decision again, marked already notified, and publishes none of them again', async () => {
    await roleWithAdmin('rerun-role');
    await roleWithAdmin('rerun-break-glass');
    const remediation = attachRolePolicyEvent('rerun-role');
    remediation.detail.eventID = 'rerun-role-attach';
    const file = await writeEvents('rerun.json', [
      remediation,
      ...alertAndSkip('rerun', 'rerun-break-glass'),
    ]);
    const env = { ADMIN_ROLE_PATTERNS: breakGlass };

    const first = await cli(['replay', file, '--json', '--mode', 'notify'], env);
    const outcomes = first.rows().map((row) => row.outcome);
    expect(outcomes).toEqual(['would-remediate', 'alert', 'skipped']);
    expect(first.rows().map((row) => row.alreadyNotified)).toEqual([false, false, false]);
    expect(await subjects()).toHaveLength(3);
    expect(await readResults(resources)).toHaveLength(3);

    const second = await cli(['replay', file, '--mode', 'notify'], env);

    expect(second.status).toBe(0);
    expect(await subjects()).toEqual([]);
    const rows = second.stdout
      .split('\n')
      .filter((line) => line.includes('already notified, not sent again'));
    expect(rows).toEqual([
      expect.stringMatching(
        /rerun-role-attach +AttachRolePolicy +admin-policy +would remediate +already notified, not sent again: would detach AdministratorAccess from role rerun-role/,
      ),
      expect.stringMatching(
        /rerun-root-key +CreateAccessKey +access-keys +ALERT +already notified, not sent again: /,
      ),
      expect.stringMatching(
        /rerun-break-glass +AttachRolePolicy +admin-policy +skipped +already notified, not sent again: role rerun-break-glass is a designated admin role/,
      ),
      '3 events: 1 would remediate, 1 alert, 1 skipped; 3 already notified, not sent again',
    ]);
    // Machines still get each decision, marked as one people were told of already.
    expect((await readResults(resources)).map((result) => result.detail)).toEqual([
      expect.objectContaining({ outcome: 'would-remediate', alreadyNotified: true }),
      expect.objectContaining({ outcome: 'alert', alreadyNotified: true }),
      expect.objectContaining({ outcome: 'skipped', alreadyNotified: true }),
    ]);
  });
});

describe('--no-notify', () => {
  const breakGlass = `arn:aws:iam::${MOTO_ACCOUNT}:role/quiet-break-glass`;

  it('publishes nothing, neither to the topic nor to the bus, and people are told on a later run', async () => {
    await roleWithAdmin('quiet-role');
    await roleWithAdmin('quiet-break-glass');
    const remediation = attachRolePolicyEvent('quiet-role');
    remediation.detail.eventID = 'quiet-role-attach';
    const file = await writeEvents('quiet.json', [
      remediation,
      ...alertAndSkip('quiet', 'quiet-break-glass'),
    ]);
    const env = { ADMIN_ROLE_PATTERNS: breakGlass };

    const quiet = await cli(['replay', file, '--mode', 'notify', '--no-notify'], env);

    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toContain('nothing is published (--no-notify)');
    expect(quiet.stdout).toMatch(/quiet-role-attach +AttachRolePolicy +admin-policy +would remediate/);
    expect(quiet.stdout).toMatch(/quiet-root-key +CreateAccessKey +access-keys +ALERT/);
    expect(quiet.stdout).toMatch(/quiet-break-glass +AttachRolePolicy +admin-policy +skipped/);
    expect(await subjects()).toEqual([]);
    expect(await readResults(resources)).toEqual([]);

    const told = await cli(['replay', file, '--json', '--mode', 'notify'], env);
    expect(told.rows().map((row) => [row.outcome, row.alreadyNotified])).toEqual([
      ['would-remediate', false],
      ['alert', false],
      ['skipped', false],
    ]);
    expect(await subjects()).toHaveLength(3);
  });

  it('publishes nothing from invoke and the sweep either, through the real bin', async () => {
    await roleWithAdmin('quiet-bin-role');
    const event = attachRolePolicyEvent('quiet-bin-role');
    event.detail.eventID = 'quiet-bin-role-attach';
    const file = await writeEvents('quiet-bin.json', [event]);
    const run = (args: string[]) =>
      promisify(execFile)('node', [BIN, ...args], {
        // Only what the CLI needs: nothing of this machine's AWS profile or credentials.
        env: { PATH: process.env.PATH ?? '', ...resources.env },
        timeout: 60_000,
      });

    const invoked = await run(['invoke', 'admin-policy', file, '--mode', 'notify', '--no-notify', '--json']);
    expect(JSON.parse(invoked.stdout)).toMatchObject({ outcome: 'would-remediate' });
    const swept = await run(['sweep', '--mode', 'notify', '--no-notify', '--json']);
    expect(JSON.parse(swept.stdout)).toMatchObject({ wouldRemediate: expect.any(Number) });
    expect(JSON.parse(swept.stdout).wouldRemediate).toBeGreaterThan(0);

    expect(await subjects()).toEqual([]);
    expect(await readResults(resources)).toEqual([]);
    expect(await attachedTo('quiet-bin-role')).toEqual([ADMINISTRATOR_ACCESS]);
  });
});

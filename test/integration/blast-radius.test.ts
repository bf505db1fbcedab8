import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/run.js';
import { type LocalResources, type Notification, readNotifications } from '../../lib/local/provision.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import type { SweepReport } from '../../lib/sweep.js';
import { ADMINISTRATOR_ACCESS, attachRolePolicyEvent, calledByUser } from '../support/events.js';
import { drainTaps, freshAccount, invoker, motoClients } from '../support/integration.js';

/**
 * The sweep's blast-radius cap (MaxActionsPerRun) on moto, through the real `iam-warden sweep` command line and
 * the real admin-policy handler: a backlog is worked within the cap and finished on a person's confirmation;
 * a flood followed by a grant cannot use the cap to keep the grant.
 */

const DAY_MS = 86_400_000;
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

interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `iam-warden <args>` as the bin runs it, on moto, with the provisioned environment and `env` on top. */
async function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    env: { ...resources.env, ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clients,
  });
  return { status, stdout, stderr };
}

/** An enforcing sweep as of `now`, as JSON (moto cannot backdate keys: they are judged as of then). */
async function sweep(extra: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const run = await cli(['sweep', '--mode', 'enforce', '--rate', '100', '--json', ...extra], env);
  expect(run.stderr).toBe('');
  return { status: run.status, report: JSON.parse(run.stdout) as SweepReport };
}

/** Users with one active access key each; returns their names. */
async function usersWithKeys(prefix: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(2, '0')}`);
  for (const name of names) {
    await clients.iam.send(new CreateUserCommand({ UserName: name }));
    await clients.iam.send(new CreateAccessKeyCommand({ UserName: name }));
  }
  return names;
}

async function keyStatus(userName: string): Promise<string | undefined> {
  const { AccessKeyMetadata = [] } = await clients.iam.send(
    new ListAccessKeysCommand({ UserName: userName }),
  );
  return AccessKeyMetadata[0]?.Status;
}

async function attached(roleName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await clients.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
}

async function adminRole(name: string): Promise<void> {
  await clients.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await clients.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: ADMINISTRATOR_ACCESS }));
}

const capped = (notifications: readonly Notification[]) =>
  notifications.filter((notification) => notification.attributes.outcome === 'capped');
const later = () => new Date(Date.now() + 100 * DAY_MS).toISOString();

describe('a backlog of 30 old keys, MaxActionsPerRun 25 (the default)', () => {
  it('deactivates 25, leaves 5 with one CRITICAL summary listing all 30; sweep --confirm does the rest', async () => {
    const users = await usersWithKeys('bl', 30);

    const first = await sweep(['--now', later()]);

    expect(first.status).toBe(0);
    expect(first.report).toMatchObject({ remediated: 25, capped: 5, failed: 0, maxActionsPerRun: 25 });
    const statuses = await Promise.all(users.map(keyStatus));
    expect(statuses.filter((status) => status === 'Inactive')).toHaveLength(25);
    const waiting = users.filter((_, index) => statuses[index] === 'Active');
    expect(waiting).toHaveLength(5);
    const notifications = await readNotifications(resources);
    expect(notifications.filter((n) => n.attributes.outcome === 'remediated')).toHaveLength(25);
    const summaries = capped(notifications);
    expect(summaries).toHaveLength(1);
    const [summary] = summaries;
    expect(summary?.subject).toBe(
      'iam-warden: CRITICAL sweep capped at 25 changes: 5 of 30 wait for a person (123456789012)',
    );
    expect(summary?.attributes).toMatchObject({ rule: 'sweep', outcome: 'capped' });
    // Every standing change found: the 5 waiting (what would be done) and the 25 made (their remediation IDs).
    const body = summary?.message ?? '';
    for (const name of waiting) {
      expect(body).toMatch(
        new RegExp(`^ {2}deactivate 1 old access key of user ${name} \\(AKIA\\w+, 100 days old\\)$`, 'm'),
      );
    }
    for (const name of users.filter((user) => !waiting.includes(user))) {
      expect(body).toMatch(
        new RegExp(`^ {2}deactivated 1 old access key of user ${name} .*: rem-[0-9a-f]{20}$`, 'm'),
      );
    }
    expect(body).toContain('npx iam-warden sweep --confirm');

    const confirmed = await sweep(['--now', later(), '--confirm']);

    expect(confirmed.status).toBe(0);
    expect(confirmed.report).toMatchObject({ remediated: 5, capped: 0 });
    // No cap for a confirmed run (JSON leaves the undefined cap out).
    expect(confirmed.report.maxActionsPerRun).toBeUndefined();
    expect(await Promise.all(users.map(keyStatus))).toEqual(users.map(() => 'Inactive'));
    const afterConfirm = await readNotifications(resources);
    expect(capped(afterConfirm)).toEqual([]);
    expect(afterConfirm.filter((n) => n.attributes.outcome === 'remediated')).toHaveLength(5);
  });
});

describe('a flood followed by a grant', () => {
  it('undoes every grant on the event path whatever the cap, after a sweep used it all up', async () => {
    const env = { MAX_ACTIONS_PER_RUN: '1' };
    // The flood: standing offenders enough to exhaust the sweep's cap.
    await usersWithKeys('fl', 10);
    const flooded = await sweep(['--now', later()], env);
    expect(flooded.report).toMatchObject({ remediated: 1, capped: 9 });
    // Then grants, one after another, each delivered to the admin-policy function.
    const { invoke } = invoker(adminPolicyRule, resources, clients, {
      env: { ...env, MODE_ADMIN_POLICY: 'enforce' },
    });
    const roles = Array.from({ length: 5 }, (_, index) => `fl-granted-${index}`);
    const outcomes: string[] = [];
    for (const role of roles) {
      await adminRole(role);
      outcomes.push((await invoke(calledByUser(attachRolePolicyEvent(role), 'mallory'))).outcome);
    }

    expect(outcomes).toEqual(roles.map(() => 'remediated'));
    for (const role of roles) expect(await attached(role)).toEqual([]);
  });

  it('undoes, in the sweep, grants on roles created in the last day past the cap: they are fresh', async () => {
    // Grants the event path never saw (delivery is best effort), on roles created just now.
    const roles = Array.from({ length: 3 }, (_, index) => `fl-unseen-${index}`);
    for (const role of roles) await adminRole(role);

    const run = await sweep([], { MAX_ACTIONS_PER_RUN: '1' });

    expect(run.status).toBe(0);
    expect(run.report).toMatchObject({ remediated: 3, capped: 0 });
    for (const role of roles) expect(await attached(role)).toEqual([]);
    expect(capped(await readNotifications(resources))).toEqual([]);
  });
});

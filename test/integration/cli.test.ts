import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/run.js';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  createAccessKeyEvent,
  putUserPolicyEvent,
  sampleEvent,
  updateAccessKeyEvent,
} from '../support/events.js';
import { drainTaps, freshAccount, motoClients } from '../support/integration.js';
import { localAws } from '../support/moto.js';

const DAY_MS = 86_400_000;
const BIN = fileURLToPath(new URL('../../bin/iam-warden.mjs', import.meta.url));
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});

const clients = motoClients();
const sts = new STSClient(localAws());
let resources: LocalResources;
let dir: string;

beforeAll(async () => {
  resources = await freshAccount();
  dir = await mkdtemp(join(tmpdir(), 'iam-warden-cli-'));
});
beforeEach(() => drainTaps(resources));
afterAll(async () => {
  for (const client of Object.values(clients)) client.destroy();
  sts.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** Run the CLI in-process against moto, with the provisioned environment, as a user would run it. */
async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    env: resources.env,
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

async function writeJson(name: string, content: unknown, gzip = false): Promise<string> {
  const path = join(dir, name);
  const text = JSON.stringify(content);
  await writeFile(path, gzip ? gzipSync(text) : text);
  return path;
}

/** A user with an access key created now, and a second one "created by" the returned event's record. */
async function userWithKeys(userName: string): Promise<{ oldKey: string; freshKey: string }> {
  await clients.iam.send(new CreateUserCommand({ UserName: userName }));
  const keys: string[] = [];
  for (let index = 0; index < 2; index++) {
    const { AccessKey } = await clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    keys.push(AccessKey?.AccessKeyId ?? '');
  }
  return { oldKey: keys[0] ?? '', freshKey: keys[1] ?? '' };
}

async function keyStatuses(userName: string): Promise<Record<string, string | undefined>> {
  const { AccessKeyMetadata = [] } = await clients.iam.send(
    new ListAccessKeysCommand({ UserName: userName }),
  );
  return Object.fromEntries(AccessKeyMetadata.map((key) => [key.AccessKeyId, key.Status]));
}

async function inlinePolicies(userName: string): Promise<string[]> {
  const { PolicyNames = [] } = await clients.iam.send(new ListUserPoliciesCommand({ UserName: userName }));
  return PolicyNames;
}

async function userWithInlinePolicy(userName: string, policyName: string): Promise<void> {
  await clients.iam.send(new CreateUserCommand({ UserName: userName }));
  await clients.iam.send(
    new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: DOCUMENT }),
  );
}

/** Keys created now are this old as of `--now`: moto cannot backdate keys. */
const asOf = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

describe('iam-warden invoke against moto', () => {
  it('runs the real handler on one event and prints its decision', async () => {
    await clients.iam.send(
      new CreateRoleCommand({ RoleName: 'invoke-role', AssumeRolePolicyDocument: TRUST }),
    );
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'invoke-role', PolicyArn: ADMINISTRATOR_ACCESS }),
    );
    const event = await writeJson('invoke.json', attachRolePolicyEvent('invoke-role'));

    const result = await cli(['invoke', 'admin-policy', event, '--mode', 'enforce']);

    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      rule: 'admin-policy',
      outcome: 'remediated',
      action: { kind: 'detach-policy', roleName: 'invoke-role', policyArn: ADMINISTRATOR_ACCESS },
    });
    const { AttachedPolicies = [] } = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: 'invoke-role' }),
    );
    expect(AttachedPolicies).toEqual([]);
    expect(await readNotifications(resources)).toEqual([
      expect.objectContaining({ subject: 'iam-warden: detached AdministratorAccess from role invoke-role' }),
    ]);
  });

  it('judges keys as of --now, and never touches the key the event created', async () => {
    const { oldKey, freshKey } = await userWithKeys('invoke-keys');
    const event = await writeJson('invoke-keys.json', createAccessKeyEvent('invoke-keys', freshKey));

    const today = await cli(['invoke', 'access-keys', event, '--json']);
    expect(JSON.parse(today.stdout)).toMatchObject({ outcome: 'ignored' });

    const later = await cli([
      'invoke',
      'access-keys',
      event,
      '--json',
      '--now',
      asOf(120),
      '--mode',
      'enforce',
    ]);
    expect(later.status).toBe(0);
    expect(JSON.parse(later.stdout)).toMatchObject({
      outcome: 'remediated',
      action: {
        kind: 'deactivate-keys',
        keys: [expect.objectContaining({ accessKeyId: oldKey, ageDays: 120 })],
      },
    });
    expect(await keyStatuses('invoke-keys')).toEqual({ [oldKey]: 'Inactive', [freshKey]: 'Active' });
  });
});

describe('iam-warden replay against moto', () => {
  it('replays a gzipped CloudTrail log of matching, non-matching and malformed records', async () => {
    const { oldKey, freshKey } = await userWithKeys('log-keys');
    await userWithInlinePolicy('log-inline', 'LogPolicy');
    const created = createAccessKeyEvent('log-keys', freshKey);
    const put = putUserPolicyEvent('log-inline', 'LogPolicy', DOCUMENT);
    const deactivated = updateAccessKeyEvent('log-keys', oldKey, 'update-access-key-inactive');
    const log = await writeJson(
      'CloudTrail_us-east-1_20250601T0000Z.json.gz',
      {
        Records: [
          created.detail,
          sampleEvent('s3-put-object').detail,
          { eventVersion: '1.08', eventTime: '2025-06-01T00:00:00Z' },
          put.detail,
          'not a record',
          deactivated.detail,
        ],
      },
      true,
    );

    const result = await cli(['replay', log, '--json', '--now', asOf(120), '--mode', 'enforce']);

    expect(result.status).toBe(1);
    // Each invalid record is reported once, in its row, not again on stderr.
    expect(result.stderr).toBe('');
    expect(result.rows().filter((row) => row.outcome === 'invalid')).toEqual([
      expect.objectContaining({ error: 'not a CloudTrail record (it needs eventName and eventSource)' }),
      expect.objectContaining({ error: 'not a CloudTrail record (it needs eventName and eventSource)' }),
    ]);
    expect(
      result.rows().map(({ source, eventId, function: fn, outcome }) => [source, eventId, fn, outcome]),
    ).toEqual([
      [`${log}#Records[0]`, created.detail.eventID, 'access-keys', 'remediated'],
      [`${log}#Records[1]`, expect.any(String), null, 'not-matched'],
      [`${log}#Records[2]`, '-', null, 'invalid'],
      [`${log}#Records[3]`, put.detail.eventID, 'inline-policy', 'remediated'],
      [`${log}#Records[4]`, '-', null, 'invalid'],
      [`${log}#Records[5]`, deactivated.detail.eventID, null, 'not-matched'],
    ]);
    expect(await keyStatuses('log-keys')).toEqual({ [oldKey]: 'Inactive', [freshKey]: 'Active' });
    expect(await inlinePolicies('log-inline')).toEqual([]);
    const subjects = (await readNotifications(resources)).map((notification) => notification.subject);
    expect(subjects).toEqual([
      'iam-warden: deactivated 1 old access key of user log-keys',
      'iam-warden: deleted inline policy LogPolicy of user log-inline',
    ]);
  });

  it('goes on past a file that is not JSON in a directory and exits 1', async () => {
    const sub = join(dir, 'mixed');
    await userWithInlinePolicy('dir-inline', 'DirPolicy');
    await mkdir(sub);
    await writeFile(join(sub, 'a-broken.json'), '{"Records": [');
    await writeJson('mixed/b-event.json', putUserPolicyEvent('dir-inline', 'DirPolicy', DOCUMENT));

    const result = await cli(['replay', sub, '--mode', 'enforce']);

    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/INVALID INPUT +not JSON: /);
    expect(result.stdout).toMatch(
      /PutUserPolicy +inline-policy +remediated +deleted inline policy DirPolicy/,
    );
    expect(result.stdout.trim().split('\n').at(-1)).toBe('1 event: 1 remediated; 1 invalid input');
    expect(await inlinePolicies('dir-inline')).toEqual([]);
  });

  it('changes nothing with --mode notify and notifies what it would have done', async () => {
    await userWithInlinePolicy('notify-inline', 'NotifyPolicy');
    const event = await writeJson(
      'notify.json',
      putUserPolicyEvent('notify-inline', 'NotifyPolicy', DOCUMENT),
    );

    const result = await cli(['replay', event, '--json', '--mode', 'notify']);

    expect(result.status).toBe(0);
    expect(result.rows()).toEqual([expect.objectContaining({ outcome: 'would-remediate', mode: 'notify' })]);
    expect(await inlinePolicies('notify-inline')).toEqual(['NotifyPolicy']);
    expect(await readNotifications(resources)).toEqual([
      expect.objectContaining({
        subject: 'iam-warden: would delete inline policy NotifyPolicy of user notify-inline',
        attributes: expect.objectContaining({ outcome: 'would-remediate' }),
      }),
    ]);
  });
});

describe('iam-warden replay after a restore', () => {
  it('says "grace period" in the row of an event the grace period turned into a notification', async () => {
    await clients.iam.send(
      new CreateRoleCommand({ RoleName: 'grace-role', AssumeRolePolicyDocument: TRUST }),
    );
    await clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'grace-role', PolicyArn: ADMINISTRATOR_ACCESS }),
    );
    const first = await writeJson('grace-1.json', attachRolePolicyEvent('grace-role'));
    const remediated = await cli(['replay', first, '--json', '--mode', 'enforce']);
    const [row] = remediated.rows();
    expect(row).toMatchObject({ outcome: 'remediated' });
    expect((await cli(['restore', String(row?.remediationId)])).status).toBe(0);

    // The restorer's own re-attach, seen as a new event while the grace period holds.
    const again = attachRolePolicyEvent('grace-role');
    again.detail.eventID = 'grace-role-reattached';
    const second = await writeJson('grace-2.json', again);
    const result = await cli(['replay', second, '--mode', 'enforce']);

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /AttachRolePolicy +admin-policy +would remediate +would detach AdministratorAccess from role grace-role \(grace period: restored by \S+ at \S+; iam-warden only notifies about it until \S+\)/,
    );
    const { AttachedPolicies = [] } = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: 'grace-role' }),
    );
    expect(AttachedPolicies.map((policy) => policy.PolicyArn)).toEqual([ADMINISTRATOR_ACCESS]);
  });
});

describe('the iam-warden bin', () => {
  it('runs with the standard SDK environment pointing at moto', async () => {
    await userWithInlinePolicy('bin-inline', 'BinPolicy');
    const event = await writeJson('bin.json', putUserPolicyEvent('bin-inline', 'BinPolicy', DOCUMENT));

    const { stdout } = await promisify(execFile)(
      'node',
      [BIN, 'replay', event, '--json', '--mode', 'enforce'],
      // Only what the CLI needs: nothing of this machine's AWS profile or credentials.
      { env: { PATH: process.env.PATH ?? '', ...resources.env }, timeout: 60_000 },
    );

    expect(JSON.parse(stdout)).toMatchObject({ function: 'inline-policy', outcome: 'remediated' });
    expect(await inlinePolicies('bin-inline')).toEqual([]);
  });

  it('changes nothing in IAM when neither MODE_* nor --mode chooses enforce', async () => {
    await userWithInlinePolicy('bin-default', 'DefaultPolicy');
    const event = await writeJson(
      'bin-default.json',
      putUserPolicyEvent('bin-default', 'DefaultPolicy', DOCUMENT),
    );
    expect(Object.keys(resources.env).filter((name) => name.startsWith('MODE_'))).toEqual([]);

    const { stdout, stderr } = await promisify(execFile)('node', [BIN, 'replay', event, '--json'], {
      env: { PATH: process.env.PATH ?? '', ...resources.env },
      timeout: 60_000,
    });

    expect(JSON.parse(stdout)).toMatchObject({
      function: 'inline-policy',
      mode: 'notify',
      outcome: 'would-remediate',
    });
    expect(stderr).not.toContain('enforce mode');
    expect(await inlinePolicies('bin-default')).toEqual(['DefaultPolicy']);
  });

  it('exits 2 with one line and a hint for a bad command line', async () => {
    const run = promisify(execFile)('node', [BIN, 'replay'], { env: { PATH: process.env.PATH ?? '' } });
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr: "iam-warden: missing required argument 'file-or-dir' (see iam-warden replay --help)\n",
    });
  });
});

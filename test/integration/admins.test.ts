import {
  AddUserToGroupCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/run.js';
import type { LocalResources } from '../../lib/local/provision.js';
import { freshAccount, motoClients } from '../support/integration.js';

const clients = motoClients();
let resources: LocalResources;

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const doc = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
const ALL = doc({ Effect: 'Allow', Action: '*:*', Resource: '*' });

async function policy(name: string, document: string): Promise<string> {
  const out = await clients.iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: document }));
  return out.Policy?.Arn ?? '';
}

beforeAll(async () => {
  resources = await freshAccount();
  const iam = clients.iam;
  for (const user of ['adm-star', 'adm-iamfull', 'adm-member', 'adm-old', 'adm-nobody']) {
    await iam.send(new CreateUserCommand({ UserName: user }));
  }
  for (const role of ['adm-notaction', 'adm-inline']) {
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
  }
  await iam.send(
    new AttachUserPolicyCommand({ UserName: 'adm-star', PolicyArn: await policy('adm-star', ALL) }),
  );
  await iam.send(
    new AttachUserPolicyCommand({
      UserName: 'adm-iamfull',
      PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess',
    }),
  );
  const notAction = await policy('adm-notaction', doc({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'adm-notaction', PolicyArn: notAction }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'adm-inline',
      PolicyName: 'grow',
      PolicyDocument: doc({ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: '*' }),
    }),
  );
  await iam.send(new CreateGroupCommand({ GroupName: 'adm-group' }));
  await iam.send(
    new PutGroupPolicyCommand({ GroupName: 'adm-group', PolicyName: 'all', PolicyDocument: ALL }),
  );
  await iam.send(new AddUserToGroupCommand({ GroupName: 'adm-group', UserName: 'adm-member' }));
  // Admin in v1, which is no longer the default: not admin now.
  const old = await policy('adm-old', ALL);
  await iam.send(
    new CreatePolicyVersionCommand({
      PolicyArn: old,
      PolicyDocument: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
      SetAsDefault: true,
    }),
  );
  await iam.send(new AttachUserPolicyCommand({ UserName: 'adm-old', PolicyArn: old }));
});
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

describe('iam-warden admins', () => {
  it('maps exactly the seeded admin-equivalent principals', async () => {
    let stdout = '';
    let stderr = '';
    const status = await runCli(['admins', '--json'], {
      env: resources.env,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      clients,
    });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((row) => String(row.name).startsWith('adm-'))
      .map((row) => ({ type: row.type, name: row.name, verdict: row.verdict, designated: row.designated }));
    expect(rows).toEqual([
      { type: 'group', name: 'adm-group', verdict: 'admin', designated: false },
      { type: 'user', name: 'adm-star', verdict: 'admin', designated: false },
      { type: 'user', name: 'adm-iamfull', verdict: 'escalation', designated: false },
      { type: 'user', name: 'adm-member', verdict: 'admin', designated: false },
      { type: 'role', name: 'adm-notaction', verdict: 'escalation', designated: false },
      { type: 'role', name: 'adm-inline', verdict: 'escalation', designated: false },
    ]);
  });
});

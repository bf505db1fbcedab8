import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { createClients } from '../aws.js';
import { MissingToolError } from '../errors.js';
import { type MotoServer, startMoto } from '../local/moto.js';
import { localClientConfig, provisionLocal, readNotifications } from '../local/provision.js';
import { runCli } from './run.js';

/**
 * `npm run demo`: the real handlers on a throwaway moto_server. Seeds a small account with what the sample
 * events in `events/` name, replays them through the CLI exactly as a user would, then shows the
 * notifications as the topic's subscriber received them, the audit records and IAM as it is afterwards.
 * It never reaches AWS: every client is pinned to the emulator's endpoint with dummy credentials.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EVENTS_DIR = join(ROOT, 'events');
const MAX_KEY_AGE_DAYS = 90;
/** `npm run demo -- --keep`: leave moto up, seeded and remediated, for trying the CLI by hand. */
const KEEP = process.argv.includes('--keep');
const DAY_MS = 86_400_000;
const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
/** The example roles `events/iam-warden-own-update-access-key.json` was made by (see sam-env.json). */
const OWN_ROLE_ARNS = ['AccessKeysRole', 'AdminPolicyRole', 'InlinePolicyRole']
  .map((role) => `arn:aws:iam::123456789012:role/iam-warden-${role}-EXAMPLE`)
  .join(',');
const BREAK_GLASS_ROLE = 'break-glass-admin';
/** Break-glass roles are the customer's to designate, by ARN (moto's account is 123456789012). */
const ADMIN_ROLE_PATTERNS = `arn:aws:iam::123456789012:role/${BREAK_GLASS_ROLE}`;
/** The role `--keep` gives AdministratorAccess to, for a first remediation to try by hand. */
const FRESH_ROLE = 'demo-fresh-role';
/** Replayed as a copy naming the key moto created for it (see `derivedEvents`). */
const CREATE_ACCESS_KEY_SAMPLE = 'create-access-key.json';

type Json = Record<string, unknown>;

const out = (text = '') => process.stdout.write(`${text}\n`);

async function readSample(name: string): Promise<Json> {
  return JSON.parse(await readFile(join(EVENTS_DIR, name), 'utf8')) as Json;
}

function requestParameters(event: Json): Json {
  return (event.detail as Json).requestParameters as Json;
}

interface Seeded {
  /** Every access key created, by user, with what it stands for. */
  readonly keys: Map<string, { id: string; note: string }[]>;
  readonly users: readonly string[];
  readonly roles: readonly string[];
  /** The key user1's CreateAccessKey event is made to name. */
  readonly freshKeyId: string;
}

/** Users, keys, inline policies and roles, named as in `events/`, so the replay acts on real entities. */
async function seedAccount(iam: IAMClient): Promise<Seeded> {
  const keys = new Map<string, { id: string; note: string }[]>();
  const createKey = async (userName: string, note: string) => {
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const id = AccessKey?.AccessKeyId ?? '';
    keys.set(userName, [...(keys.get(userName) ?? []), { id, note }]);
    return id;
  };
  const users = ['user1', 'tracy_stone', 'example-user', 'test-user', 'compromised_user'];
  for (const userName of users) await iam.send(new CreateUserCommand({ UserName: userName }));
  await createKey('user1', 'old');
  const freshKeyId = await createKey('user1', 'fresh: the key events/create-access-key.json creates');
  await createKey('tracy_stone', 'old');
  await createKey('example-user', 'old');
  // The inline policies exactly as the PutUserPolicy samples put them.
  for (const sample of [
    'put-user-policy.json',
    'put-user-policy-allow.json',
    'put-user-policy-aws-quarantine.json',
  ]) {
    const { userName, policyName, policyDocument } = requestParameters(await readSample(sample));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: String(userName),
        PolicyName: String(policyName),
        PolicyDocument: String(policyDocument),
      }),
    );
  }
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  const roles = ['new-role', BREAK_GLASS_ROLE];
  for (const roleName of roles) {
    await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMINISTRATOR_ACCESS }));
  }
  return { keys, users, roles, freshKeyId };
}

/**
 * The two events the demo adds to the samples it replays: user1's CreateAccessKey naming the key moto actually
 * created (moto cannot be told a key ID), and AdministratorAccess attached to a break-glass role (designated by
 * its ARN in ADMIN_ROLE_PATTERNS, which iam-warden leaves alone).
 */
async function derivedEvents(directory: string, seeded: Seeded): Promise<string[]> {
  const created = await readSample(CREATE_ACCESS_KEY_SAMPLE);
  const accessKey = ((created.detail as Json).responseElements as Json).accessKey as Json;
  accessKey.accessKeyId = seeded.freshKeyId;
  const breakGlass = await readSample('attach-role-policy-admin.json');
  requestParameters(breakGlass).roleName = BREAK_GLASS_ROLE;
  (breakGlass.detail as Json).eventID = 'de000000-b7ea-4c1a-8000-000000000001';
  breakGlass.id = 'de000000-b7ea-4c1a-8000-000000000002';
  const files = [
    [CREATE_ACCESS_KEY_SAMPLE, created],
    ['attach-role-policy-break-glass.json', breakGlass],
  ] as const;
  for (const [name, event] of files) await writeFile(join(directory, name), JSON.stringify(event, null, 2));
  return files.map(([name]) => join(directory, name));
}

interface IamState {
  readonly keys: Map<string, Map<string, string>>;
  readonly inline: Map<string, string[]>;
  readonly attached: Map<string, string[]>;
}

async function readIamState(iam: IAMClient, seeded: Seeded): Promise<IamState> {
  const state: IamState = { keys: new Map(), inline: new Map(), attached: new Map() };
  for (const userName of seeded.users) {
    const { AccessKeyMetadata = [] } = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
    state.keys.set(
      userName,
      new Map(AccessKeyMetadata.map((key) => [key.AccessKeyId ?? '', key.Status ?? ''])),
    );
    const { PolicyNames = [] } = await iam.send(new ListUserPoliciesCommand({ UserName: userName }));
    state.inline.set(userName, PolicyNames);
  }
  for (const roleName of seeded.roles) {
    const { AttachedPolicies = [] } = await iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
    );
    state.attached.set(
      roleName,
      AttachedPolicies.map((policy) => policy.PolicyName ?? ''),
    );
  }
  return state;
}

function printIamChanges(seeded: Seeded, before: IamState, after: IamState): void {
  const label = (text: string) => text.padEnd(24);
  for (const userName of seeded.users) {
    const lines: string[] = [];
    for (const { id, note } of seeded.keys.get(userName) ?? []) {
      const was = before.keys.get(userName)?.get(id);
      const now = after.keys.get(userName)?.get(id);
      const change = was === now ? `${now} (unchanged)` : `${was} -> ${now}`;
      lines.push(`access key ${id}  ${change.padEnd(20)} ${note}`);
    }
    for (const policy of before.inline.get(userName) ?? []) {
      const kept = after.inline.get(userName)?.includes(policy);
      lines.push(
        `inline policy ${policy}: ${kept ? 'still there' : 'deleted (its document is in the audit table)'}`,
      );
    }
    lines.forEach((line, index) => {
      out(`  ${label(index === 0 ? `user ${userName}` : '')}${line}`);
    });
  }
  for (const roleName of seeded.roles) {
    const was = before.attached.get(roleName) ?? [];
    const now = after.attached.get(roleName) ?? [];
    const text = was.map((policy) => `${policy}: ${now.includes(policy) ? 'still attached' : 'detached'}`);
    out(`  ${label(`role ${roleName}`)}${text.join(', ') || 'no managed policies'}`);
  }
}

function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : `${prefix}${line}`))
    .join('\n');
}

/** Run one CLI command in-process, as `npx iam-warden` runs it, printing the command line first. */
async function cli(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  clients: ReturnType<typeof createClients>,
  shown: string = argv.join(' '),
): Promise<number> {
  out(`$ npx iam-warden ${shown}`);
  ran.push(`npx iam-warden ${shown}`);
  return runCli(argv, { env, stdout: process.stdout, stderr: process.stderr, clients });
}

/** The commands the demo ran, for its closing lines. */
const ran: string[] = [];

async function runDemo(moto: MotoServer, workDir: string, startedAt: number): Promise<number> {
  const resources = await provisionLocal({ endpoint: moto.endpoint });
  const clientConfig = localClientConfig({ endpoint: moto.endpoint });
  const iam = new IAMClient(clientConfig);
  const clients = createClients(clientConfig);
  out(`Started moto_server on ${moto.endpoint} and created the notification topic, audit table and queues.`);

  const seeded = await seedAccount(iam);
  out('Seeded an account with the users and roles the sample events name:');
  for (const [userName, keys] of seeded.keys) {
    out(
      `  user ${userName.padEnd(18)} ${keys.map((key) => `${key.id} (${key.note.split(':')[0]})`).join(', ')}`,
    );
  }
  out(
    '  user test-user          inline policies TestUserDenyAll (deny only) and TestUserReadReports (allow)',
  );
  out("  user compromised_user   AWS's compromised-key quarantine inline policy");
  out('  role new-role           AdministratorAccess attached (a plain role)');
  out(
    `  role ${BREAK_GLASS_ROLE.padEnd(18)} AdministratorAccess attached (designated by ARN: ADMIN_ROLE_PATTERNS=${ADMIN_ROLE_PATTERNS})`,
  );

  const asOf = new Date(Date.now() + (MAX_KEY_AGE_DAYS + 30) * DAY_MS);
  const before = await readIamState(iam, seeded);
  // The replay reads one directory: the samples of events/ and the two events the demo makes.
  const replayDir = join(workDir, 'events');
  await mkdir(replayDir);
  const samples = (await readdir(EVENTS_DIR)).filter(
    (name) => name.endsWith('.json') && name !== CREATE_ACCESS_KEY_SAMPLE,
  );
  for (const name of samples) await copyFile(join(EVENTS_DIR, name), join(replayDir, name));
  await derivedEvents(replayDir, seeded);
  out();
  out(`The demo's files are in ${workDir} (deleted when it ends, kept with --keep).`);
  out(
    `${replayDir} holds the ${samples.length} samples of events/ but ${CREATE_ACCESS_KEY_SAMPLE}, and two more:`,
  );
  out(
    `  ${CREATE_ACCESS_KEY_SAMPLE}: the sample naming ${seeded.freshKeyId}, the key moto created for user1`,
  );
  out('    (moto cannot choose key IDs; a key the event itself created is never touched, whatever its age);');
  out(`  attach-role-policy-break-glass.json: AdministratorAccess attached to ${BREAK_GLASS_ROLE}.`);
  out(
    'moto cannot backdate access keys either: the keys above are seconds old, so the replay evaluates as of',
  );
  out(`${asOf.toISOString()} (MAX_KEY_AGE_DAYS ${MAX_KEY_AGE_DAYS} + 30 days), when they are 120 days old.`);
  out(
    "Every command runs with the emulator's TOPIC_ARN, AUDIT_TABLE and AWS_ENDPOINT_URL (--keep prints them).",
  );
  out();
  const env = {
    ...resources.env,
    MAX_KEY_AGE_DAYS: String(MAX_KEY_AGE_DAYS),
    OWN_ROLE_ARNS,
    ADMIN_ROLE_PATTERNS,
  };
  const status = await cli(
    ['replay', replayDir, '--now', asOf.toISOString(), '--mode', 'enforce'],
    env,
    clients,
  );
  out();
  out('"not matched" rows reached no function, and say why: a call that failed (CloudTrail errorCode), a');
  out('policy other than AdministratorAccess, or an event no rule takes (CreateUser, S3 calls...).');

  const notifications = await readNotifications(resources);
  out();
  out(`Notifications, as the topic's subscriber received them (${notifications.length}):`);
  for (const notification of notifications) {
    out();
    out(`  ${'-'.repeat(100)}`);
    out(`  Subject: ${notification.subject}`);
    out(
      `  Attributes: ${Object.entries(notification.attributes)
        .map(([name, value]) => `${name}=${value}`)
        .join(', ')}`,
    );
    out();
    out(indent(notification.message));
  }

  out();
  out('The audit table: the before-state of every change, saved before it was made.');
  await cli(['history'], env, clients);

  out();
  out('IAM after the replay:');
  printIamChanges(seeded, before, await readIamState(iam, seeded));
  out();
  out('Commands run:');
  for (const command of ran) out(`  ${command}`);
  if (KEEP) await keepRunning(env, workDir, iam, asOf, startedAt);
  iam.destroy();
  return status;
}

/**
 * `--keep`: something new to try, not the samples again (they would be reported as already handled): a role
 * that got AdministratorAccess just now, and its event, which a replay in enforce mode remediates.
 */
async function freshEvent(workDir: string, iam: IAMClient): Promise<{ file: string; eventId: string }> {
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  await iam.send(new CreateRoleCommand({ RoleName: FRESH_ROLE, AssumeRolePolicyDocument: trust }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: FRESH_ROLE, PolicyArn: ADMINISTRATOR_ACCESS }));
  const event = await readSample('attach-role-policy-admin.json');
  requestParameters(event).roleName = FRESH_ROLE;
  const eventId = randomUUID();
  (event.detail as Json).eventID = eventId;
  (event.detail as Json).eventTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  event.id = randomUUID();
  event.time = (event.detail as Json).eventTime;
  const file = join(workDir, 'attach-role-policy-fresh.json');
  await writeFile(file, JSON.stringify(event, null, 2));
  return { file, eventId };
}

async function keepRunning(
  env: Readonly<Record<string, string>>,
  workDir: string,
  iam: IAMClient,
  asOf: Date,
  startedAt: number,
): Promise<void> {
  const fresh = await freshEvent(workDir, iam);
  out();
  out(
    `Ready in ${seconds(startedAt)}. moto_server stays up (--keep), and the demo's files stay in ${workDir}.`,
  );
  out(`It also attached AdministratorAccess to role ${FRESH_ROLE} just now, with its event in`);
  out(`${fresh.file}. In another shell, paste these lines to run the CLI against the emulator:`);
  for (const [name, value] of Object.entries(env)) out(`  export ${name}='${value}'`);
  out(`  npx iam-warden replay ${fresh.file} --mode enforce   # detaches it: a new remediation`);
  out(`  npx iam-warden history --resource role/${FRESH_ROLE}`);
  out(`  npx iam-warden restore --event-id ${fresh.eventId} --dry-run   # then without --dry-run`);
  out(`  npx iam-warden sweep --mode notify --now ${asOf.toISOString()}   # what the daily sweep finds`);
  out('Press Ctrl-C to stop it.');
  // A listener alone does not keep Node running (moto's process is unref'd): a timer does, until Ctrl-C.
  const alive = setInterval(() => undefined, 60_000);
  await new Promise((resolve) => process.once('SIGINT', resolve));
  clearInterval(alive);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  // As bin/iam-warden.mjs: the SDK's documented switch for its Node.js 20 end-of-support notice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Timed from the start, moto's start and stop included: the README states what this prints.
  const startedAt = Date.now();
  out('iam-warden demo: the real handlers against moto, an AWS emulator. No AWS account is used.');
  let moto: MotoServer;
  try {
    moto = await startMoto();
  } catch (error) {
    if (error instanceof MissingToolError) {
      process.stderr.write(`iam-warden demo: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const workDir = await mkdtemp(join(tmpdir(), 'iam-warden-demo-'));
  let status: number;
  try {
    status = await runDemo(moto, workDir, startedAt);
  } finally {
    await moto.stop();
    await rm(workDir, { recursive: true, force: true });
    out(`Stopped moto_server and deleted ${workDir}.`);
  }
  out(`Done in ${seconds(startedAt)}. Replay exit status: ${status}.`);
  return status;
}

process.exitCode = await main();

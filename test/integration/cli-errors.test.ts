import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalResources } from '../../lib/local/provision.js';
import { putUserPolicyEvent, sampleEvent } from '../support/events.js';
import { freshAccount, motoClients } from '../support/integration.js';

/**
 * The real `bin/iam-warden.mjs` in a child process, as a person runs it: every error is one `iam-warden:`
 * line with its cause and what to do, never a stack trace; exit 2 for the command line or configuration,
 * 1 for work that failed.
 */

const BIN = fileURLToPath(new URL('../../bin/iam-warden.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EVENT = join(ROOT, 'events', 'attach-role-policy-admin.json');
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});

interface Result {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the bin with only `env` (and PATH): nothing of this machine's AWS profile or credentials. */
function bin(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000, cwd: ROOT },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ status: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
  });
}

/** One line, starting `iam-warden: `, with no stack frame in it. */
function expectOneLine(stderr: string): void {
  expect(stderr).toMatch(/^iam-warden: [^\n]+\n$/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** A loopback port nothing listens on: opened, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const clients = motoClients();
let resources: LocalResources;
let dir: string;

beforeAll(async () => {
  resources = await freshAccount();
  dir = await mkdtemp(join(tmpdir(), 'iam-warden-cli-errors-'));
});
afterAll(async () => {
  for (const client of Object.values(clients)) client.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('every subcommand with bad arguments', () => {
  it.each([
    [['frob'], "unknown command 'frob'"],
    [['help', 'frob'], "unknown command 'frob'"],
    [['invoke'], "missing required argument 'function'"],
    [['invoke', 'sweep', EVENT], "argument 'function'. Allowed choices are"],
    [['replay'], "missing required argument 'file-or-dir'"],
    [['replay', EVENT, '--mode', 'loud'], '--mode loud: the mode must be one of off, notify, enforce'],
    [['sweep', '--rate', '0'], '--rate 0: give a number of IAM calls per second'],
    [['sweep', 'extra'], 'too many arguments'],
    [['restore'], 'restore needs a remediation ID (rem-...) or --event-id <id>'],
    [['restore', 'rem-1'], 'rem-1 is not a remediation ID'],
    [['history', '--since', 'last week'], '--since last week: give an ISO 8601 time'],
    [['history', '--resource'], "option '--resource <resource>' argument missing"],
    [['redrive'], "missing required argument 'queue-url'"],
    [['redrive', 'iam-warden-failed-events'], 'iam-warden-failed-events is not a queue URL'],
    [['redrive', 'https://sqs.us-east-1.amazonaws.com/1/q', '--limit', 'many'], '--limit must be a whole'],
  ])('%j prints one line with the cause and a hint, and exits 2', async (args, cause) => {
    const result = await bin(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expectOneLine(result.stderr);
    expect(result.stderr).toContain(cause);
    const command = args[0] === 'help' || args[0]?.startsWith('-') || args[0] === 'frob' ? '' : ` ${args[0]}`;
    expect(result.stderr).toContain(`(see iam-warden${command} --help)`);
  });

  it.each([
    ['invoke', ['invoke', 'admin-policy', EVENT]],
    ['replay', ['replay', EVENT]],
    ['sweep', ['sweep']],
    ['restore', ['restore', 'rem-0123456789abcdef0123']],
    ['history', ['history']],
    ['redrive', ['redrive', 'https://sqs.us-east-1.amazonaws.com/123456789012/q']],
  ])('%s without the configuration prints one line naming what to set, and exits 2', async (_name, args) => {
    const result = await bin(args, { AWS_REGION: 'us-east-1' });
    expect(result.status).toBe(2);
    expectOneLine(result.stderr);
    expect(result.stderr).toMatch(/TOPIC_ARN: not set|AUDIT_TABLE: not set/);
    expect(result.stderr).toMatch(/outputs/);
  });
});

describe('redrive of a queue that is not there', () => {
  it('says the queue does not exist and what to give instead, on one line, and exits 2', async () => {
    const missing = `${resources.env.AWS_ENDPOINT_URL}/123456789012/no-such-queue`;
    const result = await bin(['redrive', missing], resources.env);
    expect(result.status).toBe(2);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain('the queue does not exist');
    expect(result.stderr).toContain('FailedEventsQueueUrl');
  });
});

describe('an endpoint that cannot be reached', () => {
  it.each([
    ['replay', ['replay', EVENT, '--mode', 'notify']],
    ['history', ['history']],
    ['sweep', ['sweep', '--mode', 'notify']],
  ])('%s fails with one line naming the endpoint, and exits 1', async (_name, args) => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const result = await bin(args, { ...resources.env, AWS_ENDPOINT_URL: endpoint });
    expect(result.status).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toBe(
      `iam-warden: cannot reach 127.0.0.1:${port}: connection refused. Is the endpoint running? Check AWS_ENDPOINT_URL ${endpoint}\n`,
    );
  });

  it('an unresolvable host name fails with one line saying so', async () => {
    const endpoint = 'http://iam-warden-test.invalid:4566';
    const result = await bin(['history'], { ...resources.env, AWS_ENDPOINT_URL: endpoint });
    expect(result.status).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain('iam-warden-test.invalid: the name does not resolve (DNS)');
  });
});

describe('a run that goes well', () => {
  it('prints nothing on stderr: no SDK warning about the Node.js version', async () => {
    await clients.iam.send(new CreateUserCommand({ UserName: 'quiet-user' }));
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: 'quiet-user', PolicyName: 'Quiet', PolicyDocument: DOCUMENT }),
    );
    const event = join(dir, 'quiet.json');
    await writeFile(event, JSON.stringify(putUserPolicyEvent('quiet-user', 'Quiet', DOCUMENT)));
    const s3 = join(dir, 's3.json');
    await writeFile(s3, JSON.stringify(sampleEvent('s3-put-object')));

    const result = await bin(['replay', event, s3, '--mode', 'notify'], resources.env);

    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/PutUserPolicy +inline-policy +would remediate/);
  });
});

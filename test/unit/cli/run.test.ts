import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteUserPolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ServiceFailureException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { USAGE } from '../../../lib/cli/args.js';
import { runCli } from '../../../lib/cli/run.js';
import { sampleEvent, TEST_ENV, testClients } from '../../support/deps.js';
import { itemsOutput } from '../../support/dynamo.js';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}';

let dir: string;

beforeEach(async () => {
  iam.reset();
  sns.reset();
  events.reset();
  dynamo.reset();
  iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: encodeURIComponent(DOCUMENT) });
  iam.on(DeleteUserPolicyCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  // An empty audit table: every write succeeds, every read finds nothing.
  dynamo.onAnyCommand().resolves({});
  dynamo.on(QueryCommand).resolves(itemsOutput([]));
  dir = await mkdtemp(join(tmpdir(), 'iam-warden-run-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function run(argv: string[], env: Record<string, string | undefined> = TEST_ENV) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clients: testClients(),
  });
  return {
    status,
    stdout,
    stderr,
    json: () =>
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
  };
}

describe('runCli usage', () => {
  it('prints the usage and exits 0 for --help', async () => {
    const result = await run(['--help']);
    expect(result).toMatchObject({ status: 0, stdout: USAGE, stderr: '' });
  });

  it('prints the problem and the usage and exits 2 for a bad command line', async () => {
    const result = await run(['replay']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`iam-warden: replay takes at least one file or directory\n\n${USAGE}`);
  });

  it('names the missing variables and where to get them, and exits 2, when the environment lacks them', async () => {
    const result = await run(['replay', 'events'], { ...TEST_ENV, TOPIC_ARN: undefined });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('TOPIC_ARN');
    expect(result.stderr).toContain('NotificationTopicArn');
    expect(iam).not.toHaveReceivedAnyCommand();
  });
});

describe('runCli replay', () => {
  it('runs matching events through their function and reports the others as not matched', async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const s3 = await file('s3.json', sampleEvent('s3-put-object'));
    const result = await run(['replay', put, s3, '--json']);
    expect(result.status).toBe(0);
    expect(result.json()).toEqual([
      expect.objectContaining({
        source: put,
        eventName: 'PutUserPolicy',
        function: 'inline-policy',
        mode: 'enforce',
        outcome: 'remediated',
        actionSummary: 'deleted inline policy TestUserReadReports of user test-user (document saved first)',
        remediationId: expect.stringMatching(/^rem-/),
      }),
      expect.objectContaining({ source: s3, eventName: 'PutObject', function: null, outcome: 'not-matched' }),
    ]);
    expect(iam).toHaveReceivedCommandWith(DeleteUserPolicyCommand, {
      UserName: 'test-user',
      PolicyName: 'TestUserReadReports',
    });
  });

  it('changes nothing in notify mode and says what it would have done', async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const result = await run(['replay', put, '--json', '--mode', 'notify']);
    expect(result.json()).toEqual([
      expect.objectContaining({ outcome: 'would-remediate', mode: 'notify', function: 'inline-policy' }),
    ]);
    expect(iam).not.toHaveReceivedCommand(DeleteUserPolicyCommand);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      Subject: expect.stringContaining('would delete inline policy TestUserReadReports'),
    });
  });

  it('judges key ages as of --now', async () => {
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        {
          UserName: 'example-user',
          AccessKeyId: 'AKIAOLD',
          Status: 'Active',
          CreateDate: new Date('2025-05-01'),
        },
      ],
    });
    iam.on(UpdateAccessKeyCommand).resolves({});
    const event = await file('update.json', sampleEvent('update-access-key-active'));

    const early = await run(['replay', event, '--json', '--now', '2025-06-01T00:00:00Z']);
    // The root user reactivated another user's key: news, but not old enough to deactivate yet.
    expect(early.json()[0]).toMatchObject({ outcome: 'alert' });
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);

    const late = await run(['replay', event, '--json', '--now', '2025-09-01']);
    expect(late.json()[0]).toMatchObject({ outcome: 'remediated' });
    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      AccessKeyId: 'AKIAOLD',
      Status: 'Inactive',
    });
  });

  it('reports a failing event as failed, goes on with the next and exits 1', async () => {
    iam
      .on(DeleteUserPolicyCommand)
      .rejectsOnce(new ServiceFailureException({ message: 'boom', $metadata: {} }));
    const first = await file('a.json', sampleEvent('put-user-policy-allow'));
    const second = sampleEvent('put-user-policy-allow');
    second.detail.eventID = 'another-event';
    const result = await run(['replay', first, await file('b.json', second), '--json']);
    expect(result.status).toBe(1);
    expect(result.json()).toEqual([
      expect.objectContaining({
        function: 'inline-policy',
        outcome: 'failed',
        error: 'ServiceFailureException: boom',
        reason: expect.stringContaining('Lambda would retry the event'),
      }),
      expect.objectContaining({ outcome: 'remediated', eventId: 'another-event' }),
    ]);
  });

  it('warns on stderr when the configuration, not --mode, enforces', async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const configured = await run(['replay', put, '--json', '--mode', 'admin-policy=notify'], {
      ...TEST_ENV,
      MODE_INLINE_POLICY: undefined,
    });
    expect(configured.stderr).toBe(
      'iam-warden: access-keys, inline-policy are in enforce mode (MODE_* or its default): IAM is changed where a rule calls for it. Pass --mode notify to only report, --mode enforce to silence this.\n',
    );
    const invoked = await run(['invoke', 'inline-policy', put, '--mode', 'access-keys=notify']);
    expect(invoked.stderr).toMatch(/^iam-warden: inline-policy is in enforce mode/);
    const chosen = await run(['replay', put, '--json', '--mode', 'enforce']);
    expect(chosen.stderr).toBe('');
  });

  it('names bad inputs on stderr, replays the rest and exits 1', async () => {
    const bad = await file('bad.json', 'not json');
    const log = await file('log.json', { Records: [{ eventName: 'x' }, sampleEvent('create-user').detail] });
    const result = await run(['replay', bad, log, '--json']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`iam-warden: ${bad}: not JSON`);
    expect(result.stderr).toContain(`iam-warden: ${log}#Records[0]: not a CloudTrail record`);
    expect(result.json().map((row: { outcome: string }) => row.outcome)).toEqual([
      'invalid',
      'invalid',
      'not-matched',
    ]);
  });

  it("writes the functions' logs to stderr with --verbose, keeping stdout for the report", async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const quiet = await run(['replay', put, '--json', '--mode', 'enforce']);
    expect(quiet.stderr).toBe('');
    const verbose = await run(['replay', put, '--json', '--mode', 'enforce', '--verbose']);
    expect(verbose.json()).toEqual([expect.objectContaining({ outcome: 'remediated' })]);
    expect(verbose.stderr).toContain('"message":"decision"');
  });

  it('prints a table grouped by file, with a summary', async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const log = await file('log.json', {
      Records: [sampleEvent('create-user').detail, sampleEvent('put-user-policy').detail],
    });
    const result = await run([
      'replay',
      put,
      log,
      '--now',
      '2025-06-01T00:00:00Z',
      '--mode',
      'inline-policy=notify',
    ]);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      "Replaying through template.yaml's rules, as of 2025-06-01T00:00:00.000Z; modes: access-keys=enforce, admin-policy=enforce, inline-policy=notify",
    );
    expect(lines[2]).toMatch(/^ {2}EVENT ID +EVENT NAME +FUNCTION +OUTCOME +DETAILS$/);
    expect(lines[3]).toBe(put);
    expect(lines[4]).toMatch(
      /^ {2}55dfc19e-\S+ PutUserPolicy +inline-policy +would remediate +would delete inline policy TestUserReadReports/,
    );
    expect(lines[5]).toBe(log);
    expect(lines[6]).toMatch(/^ {2}\S+ +CreateUser +- +not matched +no rule in template.yaml matches$/);
    expect(lines[7]).toMatch(/^ {2}\S+ +PutUserPolicy +inline-policy +would remediate/);
    expect(lines.at(-2)).toBe('3 events: 2 would remediate, 1 not matched');
  });
});

describe('runCli invoke', () => {
  it('runs the handler on one event and prints its decision', async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const result = await run(['invoke', 'inline-policy', put]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      rule: 'inline-policy',
      outcome: 'remediated',
      action: { kind: 'delete-inline-policy', policyDocument: DOCUMENT },
    });
  });

  it('runs the named function even when no rule would route the event to it, as sam local invoke does', async () => {
    const result = await run([
      'invoke',
      'inline-policy',
      await file('s3.json', sampleEvent('s3-put-object')),
    ]);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'rejected' });
  });

  it('exits 1 with the error when the handler throws', async () => {
    iam.on(DeleteUserPolicyCommand).rejects(new ServiceFailureException({ message: 'boom', $metadata: {} }));
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const result = await run(['invoke', 'inline-policy', put, '--mode', 'enforce']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`iam-warden: inline-policy failed on ${put}: ServiceFailureException: boom\n`);
  });

  it('refuses a file with more than one event', async () => {
    const log = await file('log.json', {
      Records: [sampleEvent('create-user').detail, sampleEvent('create-user').detail],
    });
    const result = await run(['invoke', 'access-keys', log]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('holds 2 events; invoke takes one (use replay)');
    expect(iam).not.toHaveReceivedAnyCommand();
  });

  it('names an unreadable event file', async () => {
    const result = await run(['invoke', 'access-keys', join(dir, 'nope.json')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/nope\.json: cannot read: ENOENT/);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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
import { helpText, runCli } from '../../../lib/cli/run.js';
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
  it('prints the help and exits 0 for --help, help, and no arguments', async () => {
    for (const argv of [['--help'], ['help'], []]) {
      const result = await run(argv);
      expect(result).toMatchObject({ status: 0, stdout: helpText(), stderr: '' });
    }
    expect(helpText()).toMatch(/^Usage: iam-warden \[options\] \[command\]/);
    for (const command of ['invoke', 'replay', 'sweep', 'restore', 'history', 'redrive', 'help [command]']) {
      expect(helpText()).toContain(`  ${command}`);
    }
  });

  it("prints a command's help for <command> --help and help <command>", async () => {
    for (const command of ['invoke', 'replay', 'sweep', 'restore', 'history', 'redrive']) {
      const flag = await run([command, '--help']);
      const asked = await run(['help', command]);
      expect(flag).toMatchObject({ status: 0, stdout: helpText(command), stderr: '' });
      expect(asked).toMatchObject({ status: 0, stdout: helpText(command), stderr: '' });
      expect(flag.stdout).toMatch(new RegExp(`^Usage: iam-warden ${command} `));
    }
  });

  it('prints the version for --version', async () => {
    const result = await run(['--version']);
    expect(result).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/),
      stderr: '',
    });
  });

  it('prints one line with the problem and a hint, and exits 2, for a bad command line', async () => {
    const result = await run(['replay']);
    expect(result).toMatchObject({
      status: 2,
      stdout: '',
      stderr: "iam-warden: missing required argument 'file-or-dir' (see iam-warden replay --help)\n",
    });
    const typo = await run(['replya', 'x']);
    expect(typo.stderr).toBe(
      "iam-warden: unknown command 'replya' (Did you mean replay?) (see iam-warden --help)\n",
    );
  });

  it('names the missing variables and where to get them on one line, and exits 2, when the environment lacks them', async () => {
    const result = await run(['replay', 'events'], { ...TEST_ENV, TOPIC_ARN: undefined });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^iam-warden: invalid iam-warden configuration: TOPIC_ARN: not set\. .*NotificationTopicArn.*\n$/,
    );
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(iam).not.toHaveReceivedAnyCommand();
  });

  it('reports an unexpected error on one line, without its stack unless --verbose, and exits 1', async () => {
    const router = () => {
      throw new TypeError('router broke');
    };
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    let stderr = '';
    const context = {
      env: TEST_ENV,
      stdout: { write: () => undefined },
      stderr: { write: (text: string) => (stderr += text) },
      clients: testClients(),
      router,
    };
    expect(await runCli(['replay', put, '--json', '--mode', 'enforce'], context)).toBe(1);
    expect(stderr).toBe(
      'iam-warden: replay failed: TypeError: router broke (unexpected: --verbose prints its stack trace)\n',
    );
    stderr = '';
    expect(await runCli(['replay', put, '--json', '--mode', 'enforce', '--verbose'], context)).toBe(1);
    expect(stderr).toContain('TypeError: router broke\n    at ');
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

  it('publishes nothing with --no-notify, to the topic or the bus, and says so; the decisions still print', async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));

    const replayed = await run(['replay', put, '--mode', 'notify', '--no-notify']);
    const invoked = await run(['invoke', 'inline-policy', put, '--mode', 'notify', '--no-notify']);

    expect(replayed.status).toBe(0);
    expect(replayed.stdout.split('\n')[0]).toMatch(/; nothing is published \(--no-notify\)$/);
    expect(replayed.stdout).toMatch(
      /PutUserPolicy +inline-policy +would remediate +would delete inline policy/,
    );
    expect(JSON.parse(invoked.stdout)).toMatchObject({ outcome: 'would-remediate' });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
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
    const configured = await run(['replay', put, '--json', '--mode', 'admin-policy=notify'], TEST_ENV);
    expect(configured.stderr).toBe(
      'iam-warden: access-keys, inline-policy are in enforce mode (set by MODE_*): IAM is changed where a rule calls for it. Pass --mode notify to only report, --mode enforce to silence this.\n',
    );
    const invoked = await run(['invoke', 'inline-policy', put, '--mode', 'access-keys=notify']);
    expect(invoked.stderr).toMatch(/^iam-warden: inline-policy is in enforce mode/);
    const chosen = await run(['replay', put, '--json', '--mode', 'enforce']);
    expect(chosen.stderr).toBe('');
  });

  it('only reports, and says nothing of enforce, when neither MODE_* nor --mode chooses a mode', async () => {
    const put = await file('put.json', sampleEvent('put-user-policy-allow'));
    const result = await run(['replay', put, '--json'], {
      ...TEST_ENV,
      MODE_ACCESS_KEYS: undefined,
      MODE_ADMIN_POLICY: undefined,
      MODE_INLINE_POLICY: undefined,
    });
    expect(result.stderr).toBe('');
    expect(result.json()).toEqual([
      expect.objectContaining({ function: 'inline-policy', mode: 'notify', outcome: 'would-remediate' }),
    ]);
    expect(iam).not.toHaveReceivedCommand(DeleteUserPolicyCommand);
  });

  it('reports bad inputs in their rows only, replays the rest and exits 1', async () => {
    const bad = await file('bad.json', 'not json');
    const log = await file('log.json', { Records: [{ eventName: 'x' }, sampleEvent('create-user').detail] });
    const result = await run(['replay', bad, log, '--json', '--mode', 'notify']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.json()).toEqual([
      expect.objectContaining({
        source: bad,
        outcome: 'invalid',
        error: expect.stringMatching(/^not JSON: /),
      }),
      expect.objectContaining({
        source: `${log}#Records[0]`,
        outcome: 'invalid',
        error: expect.stringContaining('not a CloudTrail record'),
      }),
      expect.objectContaining({ outcome: 'not-matched' }),
    ]);
  });

  it('names a bad file once, in its heading, with the JSON error on one line of its row', async () => {
    const bad = await file('bad.json', '{\n  "Records": [\n    {"eventName": "x",,}\n  ]\n}\n');
    const result = await run(['replay', bad, '--mode', 'notify']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('');
    const mentions = result.stdout.split('\n').filter((line) => line.includes(bad));
    expect(mentions).toEqual([bad]);
    const row = result.stdout.split('\n')[result.stdout.split('\n').indexOf(bad) + 1];
    expect(row).toMatch(/^ {2}- +- +- +INVALID INPUT +not JSON: /);
    expect(result.stdout).toContain('; 1 invalid input');
  });

  it('counts the files a directory holds that are not event files in the summary', async () => {
    const sub = join(dir, 'trail');
    await mkdir(sub);
    await file('trail/a.json', sampleEvent('s3-put-object'));
    await file('trail/notes.txt', 'not an event');
    await file('trail/digest.csv', 'a,b');
    const result = await run(['replay', sub, '--mode', 'notify']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(
      '1 event: 1 not matched; 2 files skipped (not .json or .json.gz)',
    );
  });

  it('sums up per function and outcome, and names the principals behind what would be remediated', async () => {
    const put = sampleEvent('put-user-policy-allow');
    const again = sampleEvent('put-user-policy-allow');
    again.detail.eventID = 'again';
    const log = await file('log.json', {
      Records: [put.detail, again.detail, sampleEvent('create-user').detail],
    });
    const result = await run(['replay', log, '--mode', 'notify']);
    const principal = put.detail.userIdentity.arn;
    const lines = result.stdout.trim().split('\n');
    const start = lines.indexOf('By function:');
    expect(lines.slice(start)).toEqual([
      'By function:',
      '  inline-policy  2 would remediate',
      '  (no rule)      1 not matched',
      'Principals behind what was or would be remediated:',
      `      2  ${principal}`,
      '3 events: 2 would remediate, 1 not matched',
    ]);
  });

  it('draws progress on a terminal standard error only when the report goes elsewhere', async () => {
    const sub = join(dir, 'many');
    await mkdir(sub);
    for (const name of ['a', 'b', 'c']) await file(`many/${name}.json`, sampleEvent('s3-put-object'));
    const draw = async (isTTY: boolean, stdoutIsTerminal: boolean) => {
      let drawn = '';
      const progress = Object.assign(
        new Writable({
          write(chunk, _encoding, done) {
            drawn += String(chunk);
            done();
          },
        }),
        { isTTY, columns: 120 },
      );
      const status = await runCli(['replay', sub, '--json', '--mode', 'notify'], {
        env: TEST_ENV,
        stdout: { write: () => undefined },
        stderr: { write: () => undefined },
        clients: testClients(),
        progress,
        stdoutIsTerminal,
      });
      expect(status).toBe(0);
      return drawn;
    };
    expect(await draw(true, false)).toMatch(/replay \|.*\| \d\/3 files \| \d events/);
    expect(await draw(true, true)).toBe('');
    expect(await draw(false, false)).toBe('');
  });

  it('says why an event reached no function: a failed call, another policy, or no rule for it', async () => {
    const failed = await file('failed.json', sampleEvent('attach-role-policy-failed'));
    const other = await file('other.json', sampleEvent('attach-role-policy-other-policy'));
    const s3 = await file('s3.json', sampleEvent('s3-put-object'));
    const result = await run(['replay', failed, other, s3, '--json', '--mode', 'notify']);
    expect(result.json().map((row: { reason: string }) => row.reason)).toEqual([
      expect.stringMatching(/^the call failed \(\w+\): the rules take successful calls only$/),
      expect.stringMatching(
        /^rule AttachAdministratorAccess takes AttachRolePolicy only with detail\.requestParameters\.policyArn .*; this one has "arn:aws:iam::aws:policy\//,
      ),
      'no rule in template.yaml takes PutObject (s3.amazonaws.com)',
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
      "Replaying through template.yaml's rules, as of 2025-06-01T00:00:00.000Z; modes: access-keys=enforce, admin-policy=enforce, inline-policy=notify; IDEMPOTENCY_TABLE unset: alerts, skips and failures are published again on every run",
    );
    expect(lines[2]).toMatch(/^ {2}EVENT ID +EVENT NAME +FUNCTION +OUTCOME +DETAILS$/);
    expect(lines[3]).toBe(put);
    expect(lines[4]).toMatch(
      /^ {2}55dfc19e-\S+ PutUserPolicy +inline-policy +would remediate +would delete inline policy TestUserReadReports/,
    );
    expect(lines[5]).toBe(log);
    expect(lines[6]).toMatch(
      /^ {2}\S+ +CreateUser +- +not matched +no rule in template.yaml takes CreateUser \(iam.amazonaws.com\)$/,
    );
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

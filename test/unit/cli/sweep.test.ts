import { Writable } from 'node:stream';
import { DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CliContext, helpText, runCli } from '../../../lib/cli/run.js';
import { formatSweepReport, parseSweepArgs } from '../../../lib/cli/sweep.js';
import { UsageError } from '../../../lib/errors.js';
import type { Decision } from '../../../lib/plan.js';
import type { SweepReport } from '../../../lib/sweep.js';
import { DAY_MS, TEST_ENV, testClients } from '../../support/deps.js';
import { itemsOutput, putItems } from '../../support/dynamo.js';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const WALL = new Date('2025-06-01T12:00:00.000Z');
/** The key is 40 days old on the wall clock: old only when judged 100 days later. */
const CREATED = new Date(WALL.getTime() - 40 * DAY_MS);

function buffer() {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    text: () => text,
  };
}

function context() {
  const stdout = buffer();
  const stderr = buffer();
  return {
    stdout,
    stderr,
    context: { env: TEST_ENV, stdout, stderr, clients: testClients(), clock: () => WALL },
  };
}

beforeEach(() => {
  for (const mock of [iam, sns, events, dynamo]) mock.reset();
  const csv = [
    'user,arn,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated',
    `alice,arn:aws:iam::123456789012:user/alice,true,${CREATED.toISOString()},false,N/A`,
  ].join('\n');
  iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  iam
    .on(GetCredentialReportCommand)
    .resolves({ Content: new TextEncoder().encode(csv), GeneratedTime: WALL });
  iam.on(GetAccountAuthorizationDetailsCommand).resolves({
    UserDetailList: [
      {
        UserName: 'alice',
        Arn: 'arn:aws:iam::123456789012:user/alice',
        UserId: 'A',
        Path: '/',
        CreateDate: CREATED,
      },
    ],
    RoleDetailList: [],
    IsTruncated: false,
  });
  iam.on(ListAccessKeysCommand).resolves({
    AccessKeyMetadata: [
      { UserName: 'alice', AccessKeyId: 'AKIAALICE', CreateDate: CREATED, Status: 'Active' },
    ],
  });
  iam.on(UpdateAccessKeyCommand).resolves({});
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({});
  dynamo.on(QueryCommand).resolves(itemsOutput([]));
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});

describe('parseSweepArgs', () => {
  it('reads modes for every function or one, the time, the rate and the run ID', () => {
    expect(
      parseSweepArgs([
        '--mode',
        'notify',
        '--mode',
        'admin-policy=enforce',
        '--now',
        '2025-09-09T00:00:00Z',
        '--rate',
        '2.5',
        '--run-id',
        'again-1',
        '--json',
      ]),
    ).toEqual({
      modes: { 'access-keys': 'notify', 'admin-policy': 'enforce', 'inline-policy': 'notify' },
      now: new Date('2025-09-09T00:00:00Z'),
      rate: 2.5,
      runId: 'again-1',
      json: true,
      verbose: false,
      notify: true,
      confirm: false,
    });
    expect(parseSweepArgs(['--no-notify'])).toMatchObject({ notify: false });
  });

  it('reads --confirm', () => {
    expect(parseSweepArgs(['--confirm'])).toMatchObject({ confirm: true });
  });

  it.each([
    [['--mode', 'loud'], '--mode loud'],
    [['--mode', 'keys=notify'], 'keys is not a function'],
    [['--now', 'yesterday'], '--now yesterday'],
    [['--rate', '0'], '--rate 0'],
    [['--rate', 'fast'], '--rate fast'],
    [['--run-id', 'a b'], '--run-id a b'],
    [['--bogus'], 'bogus'],
    [['extra'], 'too many arguments'],
  ])('rejects %j', (args, message) => {
    expect(() => parseSweepArgs(args)).toThrow(UsageError);
    expect(() => parseSweepArgs(args)).toThrow(message);
  });
});

/** `iam-warden sweep <args>` through the CLI's program. */
function sweepCommand(args: string[], ctx: CliContext): Promise<number> {
  return runCli(['sweep', ...args], ctx);
}

/** A stream that says it is a terminal (or not), recording what is drawn on it. */
function terminal(isTTY: boolean) {
  let drawn = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        drawn += String(chunk);
        done();
      },
    }),
    { isTTY, columns: 120 },
  );
  return { stream, drawn: () => drawn };
}

describe('iam-warden sweep', () => {
  it('runs the sweep as of --now in the mode given, and prints what it did', async () => {
    const { stdout, context: ctx } = context();
    const now = new Date(WALL.getTime() + 100 * DAY_MS);

    const status = await sweepCommand(['--mode', 'notify', '--now', now.toISOString()], ctx);

    expect(status).toBe(0);
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    const out = stdout.text();
    expect(out).toContain(
      `Sweep cli-${WALL.toISOString()} as of ${now.toISOString()}; modes: access-keys=notify`,
    );
    expect(out).toMatch(/would-remediate +access-keys +user alice: active access key older than 90 days/);
    expect(out).toContain('remediated 0, would remediate 1,');
    expect(out).toContain('IAM calls: 4 (');
    expect(putItems(dynamo)[0]).toMatchObject({
      trigger: { eventId: `sweep:cli-${WALL.toISOString()}:access-keys:alice` },
    });
    // A run named just now has no earlier attempt to look up.
    expect(dynamo).not.toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byRun' });
  });

  it('publishes nothing with --no-notify, not even the key warnings, and still prints what it decided', async () => {
    const { stdout, context: ctx } = context();
    const now = new Date(WALL.getTime() + 100 * DAY_MS);
    const warned = { ...ctx, env: { ...TEST_ENV, EARLY_WARNING_DAYS: '80' } };

    const status = await sweepCommand(
      ['--mode', 'notify', '--now', now.toISOString(), '--no-notify'],
      warned,
    );
    const warning = await sweepCommand(['--mode', 'notify', '--now', WALL.toISOString(), '--no-notify'], {
      ...warned,
      env: { ...warned.env, MAX_KEY_AGE_DAYS: '50', EARLY_WARNING_DAYS: '10' },
    });

    expect([status, warning]).toEqual([0, 0]);
    expect(stdout.text()).toMatch(/would-remediate +access-keys +user alice/);
    expect(stdout.text()).toMatch(/warnings 1/);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('prints the whole report as JSON with --json, uses the run ID given and judges keys as of now', async () => {
    const { stdout, context: ctx } = context();

    const status = await sweepCommand(['--json', '--run-id', 'resume-me'], ctx);

    expect(status).toBe(0);
    const report = JSON.parse(stdout.text()) as SweepReport;
    expect(report).toMatchObject({
      runId: 'resume-me',
      startedAt: WALL.toISOString(),
      users: 1,
      candidates: { 'access-keys': 0 },
      remediated: 0,
      iamCallsTotal: 3,
    });
    expect(report.decisions).toEqual([]);
    // A run named on the command line may be one that ran before: its leftovers are looked up.
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byRun' });
  });

  describe('past MAX_ACTIONS_PER_RUN', () => {
    /** Three users with a key that is old when judged 100 days later. */
    function threeOldKeys(): void {
      const users = ['alice', 'bob', 'carol'];
      const csv = [
        'user,arn,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated',
        ...users.map(
          (name) => `${name},arn:aws:iam::123456789012:user/${name},true,${CREATED.toISOString()},false,N/A`,
        ),
      ].join('\n');
      iam
        .on(GetCredentialReportCommand)
        .resolves({ Content: new TextEncoder().encode(csv), GeneratedTime: WALL });
      iam.on(GetAccountAuthorizationDetailsCommand).resolves({
        UserDetailList: users.map((name) => ({
          UserName: name,
          Arn: `arn:aws:iam::123456789012:user/${name}`,
          UserId: name,
          Path: '/',
          CreateDate: CREATED,
        })),
        RoleDetailList: [],
        IsTruncated: false,
      });
      for (const name of users) {
        iam.on(ListAccessKeysCommand, { UserName: name }).resolves({
          AccessKeyMetadata: [
            {
              UserName: name,
              AccessKeyId: `AKIA${name.toUpperCase()}`,
              CreateDate: CREATED,
              Status: 'Active',
            },
          ],
        });
      }
    }
    const later = new Date(WALL.getTime() + 100 * DAY_MS).toISOString();

    it('makes the cap, lists the rest as capped, says how to confirm, and exits 0', async () => {
      threeOldKeys();
      const { stdout, context: ctx } = context();

      const status = await sweepCommand(['--now', later], {
        ...ctx,
        env: { ...TEST_ENV, MAX_ACTIONS_PER_RUN: '2' },
      });

      expect(status).toBe(0);
      expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 2);
      const out = stdout.text();
      expect(
        out.match(/^ {2}capped +access-keys +user \w+: .*capped: this run made MaxActionsPerRun \(2\)/gm),
      ).toHaveLength(1);
      expect(out).toContain('1 capped');
      expect(out).toContain(', capped 1\n');
      expect(out).toContain(
        '1 standing change waits for a person: this run made MAX_ACTIONS_PER_RUN (2) standing changes, and sent one CRITICAL summary listing them all. Check the list, then make the rest with iam-warden sweep --confirm (or raise MaxActionsPerRun).',
      );
    });

    it('makes every standing change with --confirm', async () => {
      threeOldKeys();
      const { stdout, context: ctx } = context();

      const status = await sweepCommand(['--now', later, '--confirm'], {
        ...ctx,
        env: { ...TEST_ENV, MAX_ACTIONS_PER_RUN: '2' },
      });

      expect(status).toBe(0);
      expect(iam).toHaveReceivedCommandTimes(UpdateAccessKeyCommand, 3);
      expect(stdout.text()).not.toContain('capped');
    });
  });

  it('exits 1 when an offender failed', async () => {
    iam.on(UpdateAccessKeyCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const { context: ctx } = context();

    const status = await sweepCommand(['--now', new Date(WALL.getTime() + 100 * DAY_MS).toISOString()], ctx);

    expect(status).toBe(1);
  });

  it('exits 1 and says why when the sweep cannot read the account', async () => {
    iam
      .on(GetAccountAuthorizationDetailsCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDenied' }));
    const { stderr, context: ctx } = context();

    expect(await sweepCommand([], ctx)).toBe(1);
    expect(stderr.text()).toBe(
      'iam-warden: access denied: no. Run with credentials allowed to do this (README: Command line)\n',
    );
  });

  it('exits 2 with one line on a bad command line, and on a bad configuration', async () => {
    const bad = context();
    expect(await sweepCommand(['--mode', 'loud'], bad.context)).toBe(2);
    expect(bad.stderr.text()).toBe(
      'iam-warden: --mode loud: the mode must be one of off, notify, enforce (see iam-warden sweep --help)\n',
    );

    const unconfigured = context();
    expect(await sweepCommand([], { ...unconfigured.context, env: {} })).toBe(2);
    expect(unconfigured.stderr.text()).toContain('TOPIC_ARN');
    expect(iam).not.toHaveReceivedCommand(GenerateCredentialReportCommand);
  });

  it("is the CLI's sweep command", async () => {
    const { stdout, context: ctx } = context();

    expect(await runCli(['sweep', '--json', '--run-id', 'from-cli'], ctx)).toBe(0);
    expect(JSON.parse(stdout.text())).toMatchObject({ runId: 'from-cli', users: 1 });
  });

  it('prints its usage with --help', async () => {
    const { stdout, context: ctx } = context();

    expect(await sweepCommand(['--help'], ctx)).toBe(0);
    expect(stdout.text()).toBe(helpText('sweep'));
    expect(stdout.text()).toContain('--run-id <id>');
  });

  it('draws its progress on a terminal, and nothing on a pipe', async () => {
    const tty = terminal(true);
    const onTerminal = context();
    expect(await sweepCommand(['--json'], { ...onTerminal.context, progress: tty.stream })).toBe(0);
    expect(tty.drawn()).toMatch(/sweep \| \d+ IAM calls \| \d+ decisions/);
    expect(JSON.parse(onTerminal.stdout.text())).toMatchObject({ users: 1 });

    const pipe = terminal(false);
    const onPipe = context();
    expect(await sweepCommand(['--json'], { ...onPipe.context, progress: pipe.stream })).toBe(0);
    expect(pipe.drawn()).toBe('');
  });
});

describe('formatSweepReport', () => {
  function decision(rule: Decision['rule'], outcome: Decision['outcome'], name: string): Decision {
    return {
      rule,
      mode: 'notify',
      outcome,
      reason: `${outcome} ${name}`,
      eventId: `sweep:r:${rule}:${name}`,
      eventName: 'ScheduledSweep',
      resource: { type: rule === 'admin-policy' ? 'role' : 'user', name },
    };
  }

  it("counts each function's decisions so they agree with the lines listed, candidates apart", () => {
    const decisions = [
      decision('admin-policy', 'skipped', 'break-glass'),
      decision('inline-policy', 'skipped', 'deny-only'),
      decision('inline-policy', 'skipped', 'quarantine'),
      decision('access-keys', 'would-remediate', 'alice'),
      decision('access-keys', 'ignored', 'bob'),
    ];
    const report = {
      runId: 'r',
      startedAt: WALL.toISOString(),
      reportGeneratedAt: WALL.toISOString(),
      durationMs: 1000,
      readMs: 500,
      users: 3,
      roles: 1,
      candidates: { 'admin-policy': 0, 'inline-policy': 0, 'access-keys': 2 },
      remediated: 0,
      wouldRemediate: 1,
      skipped: 3,
      alerts: 0,
      ignored: 1,
      failed: 0,
      deferred: 0,
      capped: 0,
      maxActionsPerRun: 25,
      warnings: 0,
      unreadableReportLines: 0,
      iamCalls: { ListAccessKeys: 2 },
      iamCallsTotal: 2,
      decisions,
    } as SweepReport;

    const lines = formatSweepReport(report, {
      'access-keys': 'notify',
      'admin-policy': 'notify',
      'inline-policy': 'notify',
    }).split('\n');

    expect(lines.slice(2, 5)).toEqual([
      '  admin-policy   1 decision: 1 skipped (0 candidates to act on)',
      '  inline-policy  2 decisions: 2 skipped (0 candidates to act on)',
      '  access-keys    2 decisions: 1 would remediate, 1 ignored (compliant when read again; not listed) (2 candidates to act on)',
    ]);
    const listed = lines.filter((line) => /^ {2}(skipped|would-remediate|ignored) /.test(line));
    expect(listed).toHaveLength(4);
  });
});

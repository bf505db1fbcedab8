import { execFileSync } from 'node:child_process';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type Change, parseIamEvent } from '../../lib/event.js';
import {
  DOCUMENT_MAX_IN_MESSAGE,
  formatNotification,
  publishNotification,
  putResultEvent,
  resultDetail,
  shellQuote,
  undoCommands,
} from '../../lib/notify.js';
import { type Action, type Decision, OUTCOMES, type Outcome } from '../../lib/plan.js';
import { sampleEvent, TOPIC_ARN, testDeps } from '../support/deps.js';

const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);

beforeEach(() => {
  sns.reset();
  events.reset();
});

/** What a POSIX shell makes of a command line: each argument the `aws` command would receive. */
function shellArgs(commandLine: string): string[] {
  const script = `aws() { for arg in "$@"; do printf '%s\\0' "$arg"; done; }; ${commandLine}`;
  const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

function change(name = 'create-access-key'): Change {
  return parseIamEvent(sampleEvent(name));
}

const LONG_USER = `u${'x'.repeat(63)}`;
const LONG_ROLE = `r${'y'.repeat(63)}`;
const LONG_POLICY = `p${'z'.repeat(127)}`;
const ALLOW_DOCUMENT =
  '{\n\t"Version": "2012-10-17",\n\t"Statement": [{"Sid": "It\'s", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::example-reports-bucket/*"]}]\n}';

const KEYS: Action = {
  kind: 'deactivate-keys',
  userName: 'user1',
  keys: [{ accessKeyId: 'AKIAOLDKEY', createDate: '2024-01-01T00:00:00.000Z', ageDays: 517 }],
};
const DETACH: Action = {
  kind: 'detach-policy',
  roleName: 'new-role',
  policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
};
const DELETE: Action = {
  kind: 'delete-inline-policy',
  userName: 'test-user',
  policyName: 'TestUserReadReports',
  policyDocument: ALLOW_DOCUMENT,
};

function decision(outcome: Outcome, action: Action | undefined, overrides: Partial<Decision> = {}): Decision {
  const resource =
    action === undefined
      ? { type: 'user' as const, name: 'user1' }
      : action.kind === 'detach-policy'
        ? { type: 'role' as const, name: action.roleName }
        : action.kind === 'quarantine'
          ? { type: action.principalType, name: action.principalName }
          : { type: 'user' as const, name: action.userName };
  return {
    rule:
      action?.kind === 'detach-policy'
        ? 'admin-policy'
        : action?.kind === 'delete-inline-policy'
          ? 'inline-policy'
          : 'access-keys',
    mode: outcome === 'would-remediate' ? 'notify' : 'enforce',
    outcome,
    reason: 'the reason people need',
    eventId: '12345',
    eventName: 'CreateAccessKey',
    resource,
    ...(action === undefined ? {} : { action, remediationId: 'rem-0123456789abcdef0123' }),
    ...(outcome === 'failed' ? { error: 'AccessDenied: not allowed' } : {}),
    ...overrides,
  };
}

describe('shellQuote', () => {
  it.each([
    "it's",
    "'",
    "''",
    "a'b'c'",
    '"double"',
    '$(touch /tmp/iam-warden-pwned)',
    '`id`',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal the shell must not expand
    '$HOME ${PATH}',
    'two words',
    'tab\there',
    'new\nline',
    '*',
    '?',
    '[a-z]',
    'semi;colon',
    'pipe|and&',
    '<in >out',
    'back\\slash',
    '!history',
    '#comment',
    '~',
    'héllo wörld',
    '',
    '-n',
    '--',
    ALLOW_DOCUMENT,
  ])('round-trips %j through sh', (value) => {
    const out = execFileSync('sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });

    expect(out).toBe(value);
  });

  it.each(['user1', 'deploy+ci=prod,eu.west@team_a-1', 'arn:aws:iam::aws:policy/AdministratorAccess'])(
    'leaves %s unquoted, as it needs no quoting',
    (value) => {
      expect(shellQuote(value)).toBe(value);
    },
  );
});

describe('undoCommands', () => {
  it('reactivates each deactivated key', () => {
    const action: Action = {
      ...KEYS,
      keys: [
        ...(KEYS.kind === 'deactivate-keys' ? KEYS.keys : []),
        { accessKeyId: 'AKIASECOND', createDate: 'd', ageDays: 100 },
      ],
    };

    expect(undoCommands(action)).toEqual([
      'aws iam update-access-key --user-name user1 --access-key-id AKIAOLDKEY --status Active',
      'aws iam update-access-key --user-name user1 --access-key-id AKIASECOND --status Active',
    ]);
  });

  it('attaches the policy again', () => {
    expect(undoCommands(DETACH)).toEqual([
      'aws iam attach-role-policy --role-name new-role --policy-arn arn:aws:iam::aws:policy/AdministratorAccess',
    ]);
  });

  it('puts the exact document back, as the shell passes it to the CLI', () => {
    const [command] = undoCommands(DELETE);
    if (command === undefined) throw new Error('no undo command');

    expect(shellArgs(command)).toEqual([
      'iam',
      'put-user-policy',
      '--user-name',
      'test-user',
      '--policy-name',
      'TestUserReadReports',
      '--policy-document',
      ALLOW_DOCUMENT,
    ]);
  });

  it('passes names with shell metacharacters through unchanged', () => {
    const action: Action = { ...DELETE, userName: "o'brien", policyName: 'a b;$(id)' };
    const [command] = undoCommands(action);
    if (command === undefined) throw new Error('no undo command');

    expect(shellArgs(command).slice(2, 6)).toEqual(['--user-name', "o'brien", '--policy-name', 'a b;$(id)']);
  });

  it('gives no CLI command for a document too long to put in a message', () => {
    expect(undoCommands({ ...DELETE, policyDocument: 'x'.repeat(DOCUMENT_MAX_IN_MESSAGE + 1) })).toEqual([]);
  });
});

describe('formatNotification', () => {
  const actions: (Action | undefined)[] = [
    { ...KEYS, userName: LONG_USER },
    { ...DETACH, roleName: LONG_ROLE },
    { ...DELETE, userName: LONG_USER, policyName: LONG_POLICY },
    undefined,
  ];
  const cases = OUTCOMES.flatMap((outcome) =>
    actions.map((action) => [outcome, action?.kind ?? 'no action', action] as const),
  );

  it.each(cases)(
    'keeps the %s subject (%s) under 100 printable ASCII characters on one line',
    (outcome, _kind, action) => {
      const { subject } = formatNotification(decision(outcome, action), change());

      expect(subject.length).toBeLessThan(100);
      expect(subject).toMatch(/^[\x20-\x7e]+$/);
      expect(subject.startsWith('iam-warden: ')).toBe(true);
    },
  );

  it('replaces line breaks and non-ASCII characters in the subject', () => {
    const { subject } = formatNotification(
      decision('skipped', undefined, { resource: { type: 'user', name: 'évil\r\nBcc: x' } }),
      change(),
    );

    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toContain('?vil??Bcc: x');
  });

  it('says what happened to what in the subject', () => {
    expect(formatNotification(decision('remediated', KEYS), change()).subject).toBe(
      'iam-warden: deactivated 1 old access key of user user1',
    );
    expect(formatNotification(decision('would-remediate', DETACH), change()).subject).toBe(
      'iam-warden: would detach AdministratorAccess from role new-role',
    );
    expect(formatNotification(decision('failed', DELETE), change()).subject).toBe(
      'iam-warden: FAILED to delete inline policy TestUserReadReports of user test-user',
    );
    expect(
      formatNotification(decision('alert', undefined, { resource: { type: 'root', name: 'root' } }), change())
        .subject,
    ).toBe('iam-warden: CRITICAL CreateAccessKey by the root user in account 123456789');
    expect(formatNotification(decision('skipped', undefined), change()).subject).toBe(
      'iam-warden: skipped CreateAccessKey on user user1',
    );
  });

  it('gives a person everything to judge and undo a remediation', () => {
    const trigger = change();
    const { body } = formatNotification(decision('remediated', KEYS), trigger);

    for (const expected of [
      'arn:aws:iam::123456789:user/user1',
      'Source IP:  cloudformation.amazonaws.com',
      'User agent: cloudformation.amazonaws.com',
      'CreateAccessKey 12345 at 2022-09-27 17:09:18',
      'Account:    123456789, region us-east-1',
      'Resource:    user user1',
      'Reason:      the reason people need',
      'Rule:        access-keys (mode: enforce)',
      'Outcome:     remediated',
      'AKIAOLDKEY: created 2024-01-01T00:00:00.000Z, 517 days old',
      'npx iam-warden restore rem-0123456789abcdef0123',
      '  aws iam update-access-key --user-name user1 --access-key-id AKIAOLDKEY --status Active',
    ]) {
      expect(body).toContain(expected);
    }
  });

  it('shows the exact command that puts a deleted inline policy back', () => {
    const { body } = formatNotification(decision('remediated', DELETE), change('put-user-policy-allow'));
    const line = body.split('\n').findIndex((text) => text.startsWith('  aws iam put-user-policy'));
    const command = body.split('\n').slice(line).join('\n').trim();

    expect(shellArgs(command).at(-1)).toBe(ALLOW_DOCUMENT);
    expect(body).toContain(
      'Principal:  arn:aws:sts::123456789012:assumed-role/a-role/user.name (AssumedRole)',
    );
  });

  it('says nothing was changed in notify mode, and gives no undo', () => {
    const { body } = formatNotification(decision('would-remediate', DETACH), change());

    expect(body).toContain('would have detached AdministratorAccess from role new-role');
    expect(body).toContain('nothing was changed');
    expect(body).not.toContain('To undo');
  });

  it('shows the error of a failure', () => {
    expect(formatNotification(decision('failed', DETACH), change()).body).toContain(
      'Error:       AccessDenied: not allowed',
    );
  });

  it('says "not recorded" for a missing source IP or user agent', () => {
    const trigger = change();
    const { body } = formatNotification(decision('skipped', undefined), {
      ...trigger,
      actor: { ...trigger.actor, sourceIp: undefined, userAgent: undefined },
    });

    expect(body).toContain('Source IP:  not recorded');
    expect(body).toContain('User agent: not recorded');
  });

  it('truncates a long policy document in the message only', () => {
    const policyDocument = `{"Statement":[${'{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},'.repeat(2000)}]}`;
    expect(policyDocument.length).toBeGreaterThan(DOCUMENT_MAX_IN_MESSAGE);
    const action: Action = { ...DELETE, policyDocument };
    const remediated = decision('remediated', action);

    const { body } = formatNotification(remediated, change());

    expect(body).not.toContain(policyDocument);
    expect(body).toContain(policyDocument.slice(0, DOCUMENT_MAX_IN_MESSAGE));
    expect(body).toContain(
      `[... ${policyDocument.length - DOCUMENT_MAX_IN_MESSAGE} more characters; the audit record holds all of it]`,
    );
    expect(body).toContain('npx iam-warden restore rem-0123456789abcdef0123');
    expect(body).not.toContain('aws iam put-user-policy');
    expect(remediated.action).toEqual(action);
    expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024);
  });

  it('keeps a document of exactly the limit whole, with its CLI undo', () => {
    const policyDocument = `{"Statement":[],"Pad":"${'x'.repeat(DOCUMENT_MAX_IN_MESSAGE - 25)}"}`;
    expect(policyDocument.length).toBe(DOCUMENT_MAX_IN_MESSAGE);

    const { body } = formatNotification(decision('remediated', { ...DELETE, policyDocument }), change());

    expect(body).toContain(policyDocument);
    expect(body).toContain('aws iam put-user-policy');
    expect(Buffer.byteLength(body)).toBeLessThan(256 * 1024);
  });

  it.each(OUTCOMES)('sets the rule, outcome and account attributes (%s)', (outcome) => {
    const { attributes } = formatNotification(decision(outcome, DETACH), change());

    expect(attributes).toEqual({ rule: 'admin-policy', outcome, account: '123456789' });
  });
});

describe('publishNotification', () => {
  it('publishes subject, body and string attributes to the topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notification = formatNotification(decision('remediated', KEYS), change());

    await publishNotification(testDeps(), notification);

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: notification.subject,
      Message: notification.body,
      MessageAttributes: {
        rule: { DataType: 'String', StringValue: 'access-keys' },
        outcome: { DataType: 'String', StringValue: 'remediated' },
        account: { DataType: 'String', StringValue: '123456789' },
      },
    });
  });

  it('propagates a failed publish', async () => {
    sns.on(PublishCommand).rejects(new Error('AuthorizationError'));

    await expect(
      publishNotification(testDeps(), formatNotification(decision('alert', undefined), change())),
    ).rejects.toThrow('AuthorizationError');
  });
});

describe('resultDetail', () => {
  it('is the decision with the account, region and principal of the change', () => {
    const remediated = decision('remediated', KEYS);

    expect(resultDetail(remediated, change())).toEqual({
      ...remediated,
      account: '123456789',
      region: 'us-east-1',
      principalArn: 'arn:aws:iam::123456789:user/user1',
    });
  });

  it('truncates a long policy document, leaving the decision whole', () => {
    const policyDocument = 'x'.repeat(DOCUMENT_MAX_IN_MESSAGE + 10);
    const remediated = decision('remediated', { ...DELETE, policyDocument });

    const detail = resultDetail(remediated, change()) as { action: { policyDocument: string } };

    expect(detail.action.policyDocument.startsWith('x'.repeat(DOCUMENT_MAX_IN_MESSAGE))).toBe(true);
    expect(detail.action.policyDocument).toContain('[... 10 more characters');
    expect(remediated.action).toMatchObject({ policyDocument });
  });

  it('describes a rejected event that has no change', () => {
    expect(resultDetail(decision('rejected', undefined), undefined)).toMatchObject({
      outcome: 'rejected',
      account: undefined,
      principalArn: undefined,
    });
  });
});

describe('with notifications off (--no-notify)', () => {
  it('publishes nothing to the topic and puts nothing on the bus', async () => {
    const deps = testDeps();
    const quiet = { ...deps, config: { ...deps.config, notifications: 'off' as const } };
    const remediated = decision('remediated', KEYS);

    await publishNotification(quiet, formatNotification(remediated, change()));
    await putResultEvent(quiet, remediated, change());

    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('putResultEvent', () => {
  it('puts one iam-warden event on the configured bus', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const remediated = decision('remediated', DETACH, {
      resource: { type: 'role', name: 'new-role', arn: 'arn:aws:iam::123456789012:role/new-role' },
    });

    await putResultEvent(testDeps(), remediated, change());

    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      Source: 'iam-warden',
      DetailType: 'iam-warden decision',
      EventBusName: 'iam-warden-test-bus',
      Resources: ['arn:aws:iam::123456789012:role/new-role'],
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toEqual(
      JSON.parse(JSON.stringify(resultDetail(remediated, change()))),
    );
  });

  it('logs, without throwing, an entry EventBridge rejects', async () => {
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const deps = testDeps();
    const error = vi.spyOn(deps.logger, 'error');

    await putResultEvent(deps, decision('ignored', undefined), change());

    expect(error).toHaveBeenCalledWith('result event rejected by EventBridge', {
      eventId: '12345',
      errorCode: 'InternalFailure',
    });
  });
});

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Deps } from './deps.js';
import type { Trigger } from './event.js';
import type { Action, Decision, Resource } from './plan.js';

/** SNS subjects must be ASCII, without line breaks, and shorter than 100 characters. */
const SUBJECT_MAX = 99;
/**
 * Policy documents longer than this are cut in messages (never in the audit record), keeping each message far
 * below SNS's and EventBridge's 256 KB limits.
 */
export const DOCUMENT_MAX_IN_MESSAGE = 64 * 1024;
/**
 * What a message body or a result event's detail may weigh, in UTF-8 bytes: SNS and EventBridge refuse more
 * than 256 KB, and a refusal would fail the invocation, so Lambda would retry a decision already made (and a
 * malformed event, rejected on purpose, would end in the DLQ). Event fields are attacker-chosen and unbounded
 * (a user agent, a crafted event name), so every message is cut to fit, whatever it holds.
 */
export const MESSAGE_MAX_BYTES = 200 * 1024;
/** In a detail too heavy for `MESSAGE_MAX_BYTES`, each string is cut to this many characters. */
const FIELD_MAX_IN_HEAVY_DETAIL = 1024;
const CUT_NOTE = '\n[... cut to fit the message size limit; the audit record and the logs hold all of it]';

export interface Notification {
  readonly subject: string;
  readonly body: string;
  readonly attributes: Readonly<Record<'rule' | 'outcome' | 'account', string>>;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** An action in words: the verb (present and past) and its object. */
export function phrase(action: Action): { verb: string; past: string; object: string } {
  switch (action.kind) {
    case 'deactivate-keys':
      return {
        verb: 'deactivate',
        past: 'deactivated',
        object: `${plural(action.keys.length, 'old access key')} of user ${action.userName}`,
      };
    case 'detach-policy':
      return { verb: 'detach', past: 'detached', object: `AdministratorAccess from role ${action.roleName}` };
    case 'quarantine':
      return {
        verb: 'quarantine',
        past: 'quarantined',
        object: `${action.principalType} ${action.principalName} (deny-all policy attached)`,
      };
    case 'delete-inline-policy':
      return {
        verb: 'delete',
        past: 'deleted',
        object: `inline policy ${action.policyName} of user ${action.userName}`,
      };
  }
}

function describeResource(resource: Resource | undefined): string {
  if (resource === undefined) return 'unknown resource';
  if (resource.type === 'root') return 'the root user';
  return `${resource.type} ${resource.name}`;
}

/** Quote a value for a POSIX shell, only when it needs it. */
export function shellQuote(value: string): string {
  return /^[\w+=,.@/:-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The AWS CLI commands that put back what an action changed, one per line. */
export function undoCommands(action: Action): string[] {
  switch (action.kind) {
    case 'deactivate-keys':
      return action.keys.map(
        (key) =>
          `aws iam update-access-key --user-name ${shellQuote(action.userName)} --access-key-id ${key.accessKeyId} --status Active`,
      );
    case 'detach-policy':
      return [
        `aws iam attach-role-policy --role-name ${shellQuote(action.roleName)} --policy-arn ${action.policyArn}`,
      ];
    case 'quarantine':
      return [
        `aws iam detach-${action.principalType}-policy --${action.principalType}-name ${shellQuote(action.principalName)} --policy-arn ${action.policyArn}`,
      ];
    case 'delete-inline-policy':
      if (action.policyDocument.length > DOCUMENT_MAX_IN_MESSAGE) return [];
      return [
        `aws iam put-user-policy --user-name ${shellQuote(action.userName)} --policy-name ${shellQuote(action.policyName)} --policy-document ${shellQuote(action.policyDocument)}`,
      ];
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}\n[... ${text.length - max} more characters; the audit record holds all of it]`;
}

/** Cut text to at most `maxBytes` of UTF-8, on a character boundary, saying that it was cut. */
export function fitBytes(text: string, maxBytes: number = MESSAGE_MAX_BYTES): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const room = maxBytes - Buffer.byteLength(CUT_NOTE);
  // A character is at most 3 UTF-8 bytes per UTF-16 unit, so this many units always fit; then grow greedily.
  let end = Math.floor(room / 3);
  while (end < text.length && Buffer.byteLength(text.slice(0, end + 1024)) <= room) end += 1024;
  // Never end inside a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}${CUT_NOTE}`;
}

/** Every string in a JSON value cut to `max` characters. */
function clipStrings(value: unknown, max: number): unknown {
  if (typeof value === 'string') return value.length <= max ? value : `${value.slice(0, max)}[...]`;
  if (Array.isArray(value)) return value.map((item) => clipStrings(item, max));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clipStrings(item, max)]));
  }
  return value;
}

/** Keep a subject within SNS's rules: printable ASCII, one line, under 100 characters. */
function toSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/** The subject: what happened to what; led by CRITICAL and its title when people must look now. */
function subjectOf(decision: Decision, account: string): string {
  const plain = plainSubject(decision, account);
  if (decision.critical === undefined) return plain;
  return `iam-warden: CRITICAL ${decision.critical.title}: ${plain.replace(/^iam-warden: (CRITICAL )?/, '')}`;
}

function plainSubject(decision: Decision, account: string): string {
  const { action } = decision;
  const words = action ? phrase(action) : undefined;
  switch (decision.outcome) {
    case 'remediated':
      return `iam-warden: ${words?.past} ${words?.object}`;
    case 'would-remediate':
      return `iam-warden: would ${words?.verb} ${words?.object}`;
    case 'failed':
      return words
        ? `iam-warden: FAILED to ${words.verb} ${words.object}`
        : `iam-warden: FAILED to evaluate ${decision.eventName} on ${describeResource(decision.resource)}`;
    case 'alert':
      return decision.resource?.type === 'root'
        ? decision.eventName === 'ScheduledSweep'
          ? // The sweep (lib/sweep.ts) found a root key; no root user call caused this.
            `iam-warden: CRITICAL the root user has an active access key in account ${account}`
          : `iam-warden: CRITICAL ${decision.eventName} by the root user in account ${account}`
        : `iam-warden: ALERT ${decision.summary ?? `${decision.eventName} on ${describeResource(decision.resource)}`}`;
    default:
      return `iam-warden: ${decision.outcome} ${decision.eventName} on ${describeResource(decision.resource)}`;
  }
}

/** The body's first paragraph: CRITICAL's story first when there is one. */
function headline(decision: Decision): string {
  const plain = plainHeadline(decision);
  return decision.critical === undefined ? plain : `CRITICAL: ${decision.critical.detail}\n\n${plain}`;
}

function plainHeadline(decision: Decision): string {
  const words = decision.action ? phrase(decision.action) : undefined;
  switch (decision.outcome) {
    case 'remediated':
      return `iam-warden ${words?.past} ${words?.object}.`;
    case 'would-remediate':
      return `iam-warden would have ${words?.past} ${words?.object}, but the rule is in notify mode: nothing was changed.`;
    case 'failed':
      return `iam-warden FAILED to ${words ? `${words.verb} ${words.object}` : `evaluate ${decision.eventName}`}. It is retried; further failures of this event are not notified again, and one that never succeeds lands in the failed-events queue (its alarm notifies). Check it by hand.`;
    case 'alert':
      return decision.resource?.type === 'root'
        ? 'CRITICAL: the root user has an access key. iam-warden cannot act on root keys; a person must.'
        : `ALERT: ${decision.summary ?? `${decision.eventName} on ${describeResource(decision.resource)}`}. iam-warden changed nothing; a person must check it.`;
    default:
      return `iam-warden left ${describeResource(decision.resource)} unchanged.`;
  }
}

function actionLines(action: Action): string[] {
  switch (action.kind) {
    case 'deactivate-keys':
      return action.keys.map(
        (key) => `  ${key.accessKeyId}: created ${key.createDate}, ${key.ageDays} days old`,
      );
    case 'detach-policy':
      return [`  ${action.policyArn} on role ${action.roleName}`];
    case 'quarantine':
      return [`  ${action.policyArn} on ${action.principalType} ${action.principalName}`];
    case 'delete-inline-policy':
      return [
        `  Policy document of ${action.policyName}:`,
        truncate(action.policyDocument, DOCUMENT_MAX_IN_MESSAGE),
      ];
  }
}

/** What the repeat-offender quarantine did, and how to undo it. */
function quarantineLines(quarantine: NonNullable<Decision['quarantine']>): string[] {
  const { action } = quarantine;
  if (quarantine.outcome !== 'remediated' || action === undefined) {
    const error = quarantine.error === undefined ? '' : ` (${quarantine.error})`;
    const what = quarantine.outcome === 'failed' ? 'FAILED' : 'not applied';
    return [`Quarantine:  ${what}: ${quarantine.reason}${error}`];
  }
  return [
    `Quarantine:  ${phrase(action).past} ${phrase(action).object}: ${quarantine.reason}`,
    `             undo: npx iam-warden restore ${quarantine.remediationId}`,
    ...undoCommands(action).map((command) => `             or:   ${command}`),
  ];
}

/**
 * The SNS message for a decision: a subject that says what happened to what, a body a person can act on
 * (who, when, where, what, why, how to undo) and the attributes subscription filters use.
 */
export function formatNotification(decision: Decision, change: Trigger): Notification {
  const { actor } = change;
  const lines = [
    headline(decision),
    '',
    `Rule:        ${decision.rule} (mode: ${decision.mode})`,
    `Outcome:     ${decision.outcome}`,
    `Resource:    ${describeResource(decision.resource)}${decision.resource?.arn ? ` (${decision.resource.arn})` : ''}`,
    `Reason:      ${decision.reason}`,
  ];
  if (decision.error) lines.push(`Error:       ${decision.error}`);
  if (decision.remediationId) lines.push(`Remediation: ${decision.remediationId}`);
  if (decision.quarantine) lines.push(...quarantineLines(decision.quarantine));
  if (decision.action)
    lines.push(
      '',
      decision.outcome === 'remediated' ? 'Changed:' : 'Concerned:',
      ...actionLines(decision.action),
    );
  lines.push(
    '',
    'The change that triggered this:',
    `  Event:      ${decision.eventName} ${decision.eventId} at ${change.eventTime}`,
    `  Principal:  ${actor.arn} (${actor.type})`,
    `  Source IP:  ${actor.sourceIp ?? 'not recorded'}`,
    `  User agent: ${actor.userAgent ?? 'not recorded'}`,
    `  Account:    ${change.account}, region ${change.region}`,
  );
  if (decision.outcome === 'remediated' && decision.action) {
    const commands = undoCommands(decision.action);
    lines.push('', 'To undo:');
    if (decision.remediationId)
      lines.push(`  npx iam-warden restore ${decision.remediationId}`, '  or with the AWS CLI:');
    lines.push(...commands.map((command) => `  ${command}`));
  }
  return {
    subject: toSubject(subjectOf(decision, change.account)),
    body: fitBytes(lines.join('\n')),
    // An account ID has 12 digits; a longer one came from a crafted event and must not break the message.
    attributes: { rule: decision.rule, outcome: decision.outcome, account: change.account.slice(0, 256) },
  };
}

/** Publish a notification to the topic; nothing when notifications are off (the CLI's `--no-notify`). */
export async function publishNotification(
  deps: Pick<Deps, 'sns' | 'config'>,
  notification: Notification,
): Promise<void> {
  // Checked here, not only in `publish`: the sweep's key warnings are published directly.
  if (deps.config.notifications === 'off') return;
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: notification.subject,
      Message: notification.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(notification.attributes).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
}

/** The result event's detail: the decision, with any policy document cut to fit EventBridge's limit. */
export function resultDetail(decision: Decision, change: Trigger | undefined): Record<string, unknown> {
  const action =
    decision.action?.kind === 'delete-inline-policy'
      ? {
          ...decision.action,
          policyDocument: truncate(decision.action.policyDocument, DOCUMENT_MAX_IN_MESSAGE),
        }
      : decision.action;
  return {
    ...decision,
    action,
    account: change?.account,
    region: change?.region,
    principalArn: change?.actor.arn,
  };
}

/** The detail as JSON, its strings cut when the whole would not fit `MESSAGE_MAX_BYTES` (then `truncated`). */
function fitDetail(detail: Record<string, unknown>): string {
  const json = JSON.stringify(detail);
  if (Buffer.byteLength(json) <= MESSAGE_MAX_BYTES) return json;
  return JSON.stringify({ ...(clipStrings(detail, FIELD_MAX_IN_HEAVY_DETAIL) as object), truncated: true });
}

/**
 * Put one `source: iam-warden` event on the bus describing the decision, for machines; nothing when
 * notifications are off (the CLI's `--no-notify`).
 */
export async function putResultEvent(
  deps: Pick<Deps, 'events' | 'config' | 'logger'>,
  decision: Decision,
  change: Trigger | undefined,
): Promise<void> {
  if (deps.config.notifications === 'off') return;
  const out = await deps.events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'iam-warden',
          DetailType: 'iam-warden decision',
          Detail: fitDetail(resultDetail(decision, change)),
          EventBusName: deps.config.eventBusName,
          // An IAM ARN is at most 2,048 characters; anything longer did not come from IAM.
          Resources:
            decision.resource?.arn && decision.resource.arn.length <= 2048 ? [decision.resource.arn] : [],
        },
      ],
    }),
  );
  if ((out.FailedEntryCount ?? 0) > 0) {
    deps.logger.error('result event rejected by EventBridge', {
      eventId: decision.eventId,
      errorCode: out.Entries?.[0]?.ErrorCode,
    });
  }
}

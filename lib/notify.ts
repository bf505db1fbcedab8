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

export interface Notification {
  readonly subject: string;
  readonly body: string;
  readonly attributes: Readonly<Record<'rule' | 'outcome' | 'account', string>>;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** An action in words: the verb (present and past) and its object. */
function phrase(action: Action): { verb: string; past: string; object: string } {
  switch (action.kind) {
    case 'deactivate-keys':
      return {
        verb: 'deactivate',
        past: 'deactivated',
        object: `${plural(action.keys.length, 'old access key')} of user ${action.userName}`,
      };
    case 'detach-policy':
      return { verb: 'detach', past: 'detached', object: `AdministratorAccess from role ${action.roleName}` };
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

/** Keep a subject within SNS's rules: printable ASCII, one line, under 100 characters. */
function toSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

function subjectOf(decision: Decision, account: string): string {
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
        ? `iam-warden: CRITICAL ${decision.eventName} by the root user in account ${account}`
        : `iam-warden: CRITICAL repeat offender ${describeResource(decision.resource)} (${decision.rule})`;
    default:
      return `iam-warden: ${decision.outcome} ${decision.eventName} on ${describeResource(decision.resource)}`;
  }
}

function headline(decision: Decision): string {
  const words = decision.action ? phrase(decision.action) : undefined;
  switch (decision.outcome) {
    case 'remediated':
      return `iam-warden ${words?.past} ${words?.object}.`;
    case 'would-remediate':
      return `iam-warden would have ${words?.past} ${words?.object}, but the rule is in notify mode: nothing was changed.`;
    case 'failed':
      return `iam-warden FAILED to ${words ? `${words.verb} ${words.object}` : `evaluate ${decision.eventName}`}. Check it by hand.`;
    case 'alert':
      return decision.resource?.type === 'root'
        ? 'CRITICAL: the root user has an access key. iam-warden cannot act on root keys; a person must.'
        : `CRITICAL: iam-warden stopped remediating ${describeResource(decision.resource)}; a person must find out why it keeps coming back.`;
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
    case 'delete-inline-policy':
      return [
        `  Policy document of ${action.policyName}:`,
        truncate(action.policyDocument, DOCUMENT_MAX_IN_MESSAGE),
      ];
  }
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
    body: lines.join('\n'),
    attributes: { rule: decision.rule, outcome: decision.outcome, account: change.account },
  };
}

/** Publish a decision's notification to the topic. */
export async function publishNotification(
  deps: Pick<Deps, 'sns' | 'config'>,
  notification: Notification,
): Promise<void> {
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

/** Put one `source: iam-warden` event on the bus describing the decision, for machines. */
export async function putResultEvent(
  deps: Pick<Deps, 'events' | 'config' | 'logger'>,
  decision: Decision,
  change: Trigger | undefined,
): Promise<void> {
  const out = await deps.events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'iam-warden',
          DetailType: 'iam-warden decision',
          Detail: JSON.stringify(resultDetail(decision, change)),
          EventBusName: deps.config.eventBusName,
          Resources: decision.resource?.arn ? [decision.resource.arn] : [],
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

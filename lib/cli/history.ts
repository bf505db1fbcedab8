import { Command } from 'commander';
import {
  type AuditEntry,
  type AuditRecord,
  inPartition,
  type RestoreRecord,
  resourceArnOf,
} from '../audit.js';
import { UsageError } from '../errors.js';
import { listHistory } from '../restore.js';
import { parseCommandLine } from './commander.js';
import { describeAction } from './format.js';
import {
  type AuditCommandDeps,
  type CommandIo,
  callerIdentity,
  type Output,
  parseIsoTime,
} from './restore.js';

/** `history`'s options. */
export function defineHistory(command: Command): Command {
  return command
    .summary('the audit records, newest first')
    .description(
      'The audit records, newest first: every remediation (with its before-state), every notify-only record, and every restore.',
    )
    .option(
      '--resource <resource>',
      "only this user or role: user/NAME, role/NAME (looked up in the caller's account) or an ARN",
    )
    .option('--since <time>', 'only records from this ISO time on, or from this long ago: 30m, 12h, 7d, 2w')
    .option('--json', 'one JSON object per line, the records as stored')
    .option('--now <time>', 'the time --since counts back from (as `invoke --now`)')
    .option('--verbose', 'the stack trace of an unexpected error, on standard error')
    .addHelpText(
      'after',
      '\nExit status: 0 listed; 1 the audit table could not be read; 2 on a usage or configuration error.',
    );
}

/** What `--resource` named: an ARN (made pathless, as records are filed) or a type and name. */
export type ResourceFilter =
  | { readonly kind: 'arn'; readonly arn: string }
  | { readonly kind: 'name'; readonly type: 'user' | 'role'; readonly name: string };

export type SinceFilter =
  | { readonly kind: 'at'; readonly time: Date }
  | { readonly kind: 'ago'; readonly ms: number; readonly text: string };

export interface HistoryOptions {
  readonly resource: ResourceFilter | undefined;
  readonly since: SinceFilter | undefined;
  readonly json: boolean;
  readonly now: Date | undefined;
}

/** IAM user and role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html */
const IAM_NAME = '[\\w+=,.@-]{1,128}';
const TYPED_NAME = new RegExp(`^(user|role)/(${IAM_NAME})$`);
/** A user or role ARN, with or without a path, or the root user's. */
const ENTITY_ARN = new RegExp(
  `^arn:(aws[\\w-]*):iam::(\\d{12}):(?:(user|role)/(?:[^\\s]*/)?(${IAM_NAME})|root)$`,
);

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `user/alice`, `role/deploy` or an ARN. Throws `UsageError`. */
export function parseResource(value: string): ResourceFilter {
  const typed = TYPED_NAME.exec(value);
  if (typed?.[1] !== undefined && typed[2] !== undefined) {
    return { kind: 'name', type: typed[1] as 'user' | 'role', name: typed[2] };
  }
  const arn = ENTITY_ARN.exec(value);
  if (arn !== null) {
    const [, partition, account, type, name] = arn;
    // Records are filed under pathless ARNs: names are unique in an account whatever the path.
    return {
      kind: 'arn',
      arn:
        type === undefined
          ? `arn:${partition}:iam::${account}:root`
          : `arn:${partition}:iam::${account}:${type}/${name}`,
    };
  }
  throw new UsageError(
    `--resource ${value}: give user/NAME, role/NAME or an IAM user or role ARN (arn:aws:iam::123456789012:user/NAME)`,
  );
}

/** `2025-06-01`, `2025-06-01T12:00:00Z`, or a span back from now: `30m`, `12h`, `7d`, `2w`. Throws `UsageError`. */
export function parseSince(value: string): SinceFilter {
  const span = /^(\d+)([mhdw])$/.exec(value);
  if (span?.[1] !== undefined && span[2] !== undefined) {
    return { kind: 'ago', ms: Number(span[1]) * (UNIT_MS[span[2]] ?? 0), text: value };
  }
  if (!/^\d{4}-/.test(value)) {
    throw new UsageError(
      `--since ${value}: give an ISO 8601 time (2025-06-01T00:00:00Z) or a span: 30m, 12h, 7d, 2w`,
    );
  }
  return { kind: 'at', time: parseIsoTime('--since', value) };
}

/** `history` as parsed by commander, validated. Throws `UsageError` naming what is wrong. */
export function historyOptions(command: Command): HistoryOptions {
  const values = command.opts<{ resource?: string; since?: string; json?: boolean; now?: string }>();
  return {
    resource: values.resource === undefined ? undefined : parseResource(values.resource),
    since: values.since === undefined ? undefined : parseSince(values.since),
    json: values.json ?? false,
    now: values.now === undefined ? undefined : parseIsoTime('--now', values.now),
  };
}

/** Parse the arguments after `history` on their own. Throws `UsageError` naming what is wrong. */
export function parseHistoryArgs(args: readonly string[]): HistoryOptions {
  return historyOptions(parseCommandLine(defineHistory(new Command('history')), args));
}

/** `user/alice` from `arn:aws:iam::123456789012:user/alice`. */
function shortResource(resourceArn: string): string {
  return /^arn:[\w-]+:iam::\d{12}:(.+)$/.exec(resourceArn)?.[1] ?? resourceArn;
}

function remediationRow(record: AuditRecord): string[] {
  const { action } = record;
  let what: string;
  let status: string = record.status;
  switch (record.status) {
    case 'applied':
      what = describeAction(action, true);
      if (record.restoredBy !== undefined) {
        status = 'restored';
        what += `; restored (${record.restoredBy})`;
      }
      break;
    case 'notified-only':
      what = `would ${describeAction(action, false)} (${record.mode} mode)`;
      break;
    case 'failed':
      what = `failed to ${describeAction(action, false)}: ${record.error ?? 'unknown error'}`;
      break;
    case 'pending':
      what = `${describeAction(action, false)}: not finished`;
      break;
  }
  // The same event run in notify mode first (a back-test): that decision stays part of the story.
  if (record.notifiedOnly !== undefined) what += `; notify-only at ${record.notifiedOnly.createdAt} before`;
  return [record.createdAt, record.id, record.rule, status, shortResource(record.resourceArn), what];
}

function restoreRow(record: RestoreRecord, rules: ReadonlyMap<string, string>): string[] {
  return [
    record.createdAt,
    record.id,
    rules.get(record.restores) ?? '-',
    'restore',
    shortResource(record.resourceArn),
    `put back ${record.restores}, by ${record.restoredBy}; iam-warden only notifies until ${record.graceUntil}`,
  ];
}

const HEADER = ['TIME', 'ID', 'RULE', 'STATUS', 'RESOURCE', 'WHAT'];

/** The entries as a table, columns as wide as their widest cell; the last one is never padded. */
export function historyTable(entries: readonly AuditEntry[]): string[] {
  const rules = new Map(
    entries.flatMap((entry) => (entry.kind === 'remediation' ? [[entry.id, entry.rule] as const] : [])),
  );
  const rows = [
    HEADER,
    ...entries.map((entry) =>
      entry.kind === 'remediation' ? remediationRow(entry) : restoreRow(entry, rules),
    ),
  ];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  '),
  );
}

function line(output: Output, text: string): void {
  output.write(`${text}\n`);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * `3 remediations, 2 notify-only, 1 restore`: records that changed IAM apart from those that only said what
 * they would have done (notify mode), so a back-test does not read as changes made.
 */
export function countLine(entries: readonly AuditEntry[]): string {
  let remediations = 0;
  let notifyOnly = 0;
  let restores = 0;
  for (const entry of entries) {
    if (entry.kind === 'restore') restores++;
    else if (entry.status === 'notified-only') notifyOnly++;
    else remediations++;
  }
  return [
    plural(remediations, 'remediation'),
    ...(notifyOnly > 0 ? [`${notifyOnly} notify-only`] : []),
    plural(restores, 'restore'),
  ].join(', ');
}

/**
 * `iam-warden history`: the audit records, newest first, as a table or (`--json`) one record per line.
 * `--resource user/NAME` is filed under the caller's account, read from STS, in the deployment's partition.
 */
export async function runHistory(
  options: HistoryOptions,
  deps: AuditCommandDeps,
  io: CommandIo,
): Promise<number> {
  let resourceArn: string | undefined;
  // Records are filed in the deployment's partition (lib/config.ts), whatever partition an ARN is given in.
  if (options.resource?.kind === 'arn')
    resourceArn = inPartition(options.resource.arn, deps.config.partition);
  if (options.resource?.kind === 'name') {
    const caller = await callerIdentity(deps.sts);
    const { type, name } = options.resource;
    resourceArn = resourceArnOf({ type, name }, caller.account, deps.config.partition);
  }
  let since: string | undefined;
  if (options.since?.kind === 'at') since = options.since.time.toISOString();
  if (options.since?.kind === 'ago')
    since = new Date(deps.clock().getTime() - options.since.ms).toISOString();
  const entries = await listHistory(deps, {
    ...(resourceArn !== undefined ? { resourceArn } : {}),
    ...(since !== undefined ? { since } : {}),
  });
  if (options.json) {
    for (const entry of entries) line(io.stdout, JSON.stringify(entry));
    return 0;
  }
  const scope = `${resourceArn === undefined ? '' : ` for ${resourceArn}`}${since === undefined ? '' : ` since ${since}`}`;
  if (entries.length === 0) {
    line(io.stdout, `No audit records${scope}.`);
    return 0;
  }
  for (const row of historyTable(entries)) line(io.stdout, row);
  line(io.stdout, `${countLine(entries)}${scope}.`);
  return 0;
}

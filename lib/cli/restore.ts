import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import type { AuditRecord } from '../audit.js';
import { loadConfig } from '../config.js';
import { decideRestore, refuseOtherAccount } from '../decisions/restore.js';
import type { Clients, Deps } from '../deps.js';
import { AwsCallError, RestoreRefusedError, UsageError } from '../errors.js';
import type { Action } from '../plan.js';
import {
  AmbiguousRemediationError,
  findRemediation,
  readCurrentState,
  restoreRemediation,
} from '../restore.js';
import { createCliClients, createCliSts } from './clients.js';
import { parseCommandLine } from './commander.js';
import { EXIT_USAGE } from './failure.js';

/** What `restore` and `history` use: the audit table, IAM, STS (who runs the command, in which account). */
export interface AuditCommandDeps extends Pick<Deps, 'iam' | 'dynamo' | 'config' | 'clock'> {
  readonly sts: Pick<STSClient, 'send'>;
}

/** A stream the commands write to: process.stdout and process.stderr, or a test's buffer (as lib/cli/run.ts). */
export interface Output {
  write(text: string): unknown;
}

/** Where a command writes: results to `stdout`, refusals to `stderr`. */
export interface CommandIo {
  readonly stdout: Output;
  readonly stderr: Output;
}

/** What the audit commands are made of, each defaulting to the standard SDK environment. */
export interface AuditCommandSetup {
  /** The environment lib/config.ts reads (`AUDIT_TABLE`, `RESTORE_GRACE_HOURS`...); `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clients?: Pick<Clients, 'iam' | 'dynamo'>;
  readonly sts?: Pick<STSClient, 'send'>;
  /** The time to act as of (`--now`); the wall clock when unset. */
  readonly now?: Date | undefined;
}

/**
 * Deps for the audit commands: configuration through lib/config.ts, clients from the standard SDK settings
 * (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`) unless given.
 */
export function createAuditCommandDeps(setup: AuditCommandSetup = {}): AuditCommandDeps {
  const config = loadConfig(setup.env);
  const { iam, dynamo } = setup.clients ?? createCliClients();
  const { now } = setup;
  return {
    iam,
    dynamo,
    config,
    clock: now === undefined ? () => new Date() : () => new Date(now.getTime()),
    sts: setup.sts ?? createCliSts(),
  };
}

/** Who runs the command, as the restore record names them, and the account they act in. */
export interface Caller {
  readonly arn: string;
  readonly account: string;
}

/** The caller's identity (STS GetCallerIdentity needs no permission, so it works with any credentials). */
export async function callerIdentity(sts: AuditCommandDeps['sts']): Promise<Caller> {
  const out = await sts.send(new GetCallerIdentityCommand({}));
  if (out.Arn === undefined || out.Account === undefined) {
    throw new AwsCallError('STS GetCallerIdentity returned no ARN or account');
  }
  return { arn: out.Arn, account: out.Account };
}

/** ISO 8601 dates (`2025-06-01`) and date-times with a zone, as `--now` of the other commands. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** Parse an ISO time given to `flag`; throws `UsageError` naming the flag. */
export function parseIsoTime(flag: string, value: string): Date {
  const date = new Date(value);
  if (!ISO_TIME.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `${flag} ${value}: give an ISO 8601 date or a date-time with its zone, like 2025-06-01T00:00:00Z`,
    );
  }
  return date;
}

/** `restore`'s arguments and options. */
export function defineRestore(command: Command): Command {
  return command
    .summary('put back exactly what a remediation removed')
    .description(
      'Put back exactly what a remediation removed: reactivate the access keys, re-attach the policy, re-put the identical inline policy document. The remediation ID is in its notification and in `iam-warden history`. Refuses, changing nothing, when the current state makes it unsafe or impossible. The restore is recorded; for RESTORE_GRACE_HOURS (default 24) iam-warden then only notifies about changes to what was put back (those keys, that policy) instead of undoing the restore.',
    )
    .argument('[remediation-id]', 'the remediation to undo (rem-...)')
    .option(
      '--event-id <id>',
      "the remediation of this CloudTrail event, instead of a remediation ID; an event with several (one per rule, a repeat offender's quarantine) lists them and exits 2",
    )
    .option('--dry-run', 'show what would be put back, change nothing and record nothing')
    .option(
      '--now <time>',
      'the time to record the restore at (as `invoke --now`, when remediations were made "as of")',
    )
    .option('--verbose', 'the stack trace of an unexpected error, on standard error')
    .addHelpText(
      'after',
      "\nRefuses a remediation of another account than the credentials' (STS GetCallerIdentity).\nExit status: 0 restored (or would be); 1 refused or failed; 2 on a usage or configuration error, or an\n  event ID with several remediations.",
    );
}

export type RestoreTarget = { readonly remediationId: string } | { readonly eventId: string };

export interface RestoreOptions {
  readonly target: RestoreTarget;
  readonly dryRun: boolean;
  readonly now: Date | undefined;
}

const REMEDIATION_ID = /^rem-[0-9a-f]{20}$/;

/** `restore` as parsed by commander, validated. Throws `UsageError` naming what is wrong. */
export function restoreOptions(command: Command): RestoreOptions {
  const values = command.opts<{ eventId?: string; dryRun?: boolean; now?: string }>();
  const positionals = command.args;
  const eventId = values.eventId;
  if (positionals.length > 1) throw new UsageError('restore takes one remediation ID');
  const [id] = positionals;
  if (id !== undefined && eventId !== undefined) {
    throw new UsageError('restore takes a remediation ID or --event-id, not both');
  }
  const now = values.now === undefined ? undefined : parseIsoTime('--now', values.now);
  const common = { dryRun: values.dryRun ?? false, now };
  if (eventId !== undefined) {
    if (eventId.trim() === '') throw new UsageError('--event-id needs a CloudTrail event ID');
    return { target: { eventId }, ...common };
  }
  if (id === undefined) throw new UsageError('restore needs a remediation ID (rem-...) or --event-id <id>');
  if (id.startsWith('rst-')) {
    throw new UsageError(`${id} is a restore record; restore takes the ID of a remediation (rem-...)`);
  }
  if (!REMEDIATION_ID.test(id)) {
    throw new UsageError(`${id} is not a remediation ID: they look like rem-0123456789abcdef0123`);
  }
  return { target: { remediationId: id }, ...common };
}

/** Parse the arguments after `restore` on their own. Throws `UsageError` naming what is wrong. */
export function parseRestoreArgs(args: readonly string[]): RestoreOptions {
  return restoreOptions(parseCommandLine(defineRestore(new Command('restore')), args));
}

/** The inverse of an action in words: done (`reactivated ...`) or to be done (`reactivate ...`). */
export function describeRestore(action: Action, done: boolean): string[] {
  switch (action.kind) {
    case 'deactivate-keys':
      return action.keys.map(
        (key) =>
          `${done ? 'reactivated' : 'reactivate'} access key ${key.accessKeyId} of user ${action.userName}`,
      );
    case 'detach-policy':
      return [`${done ? 're-attached' : 're-attach'} ${action.policyArn} to role ${action.roleName}`];
    case 'quarantine':
      return [
        `${done ? 'detached' : 'detach'} the quarantine policy ${action.policyArn} from ${action.principalType} ${action.principalName}`,
      ];
    case 'delete-inline-policy':
      return [
        `re-put inline policy ${action.policyName} of user ${action.userName}: the saved document, ${action.policyDocument.length} characters, byte for byte`,
      ];
  }
}

/** What a restore's grace period protects: the things put back, not the whole user or role. */
function graceScope(action: Action): string {
  switch (action.kind) {
    case 'deactivate-keys':
      return `access key${action.keys.length === 1 ? '' : 's'} ${action.keys.map((key) => key.accessKeyId).join(', ')} of user ${action.userName}`;
    case 'detach-policy':
      return `${action.policyArn} on role ${action.roleName}`;
    case 'delete-inline-policy':
      return `inline policy ${action.policyName} of user ${action.userName}`;
    case 'quarantine':
      return `the quarantine of ${action.principalType} ${action.principalName}`;
  }
}

function describeRemediation(record: AuditRecord): string {
  const { trigger } = record;
  return `${record.id} (${record.rule}, ${record.resource.type} ${record.resource.name}; ${trigger.eventName} ${trigger.eventId} by ${trigger.principalArn} at ${trigger.eventTime})`;
}

function hours(value: number): string {
  return `${value} ${value === 1 ? 'hour' : 'hours'}`;
}

function line(output: Output, text: string): void {
  output.write(`${text}\n`);
}

function printParts(io: CommandIo, putBack: readonly string[], already: readonly string[]): void {
  for (const text of putBack) line(io.stdout, `  put back:     ${text}`);
  for (const text of already) line(io.stdout, `  already back: ${text}`);
}

/** What a remediation did, in a few words, for the list of an ambiguous event ID. */
function describeChange(action: Action): string {
  switch (action.kind) {
    case 'deactivate-keys':
      return `deactivated access key${action.keys.length === 1 ? '' : 's'} ${action.keys.map((key) => key.accessKeyId).join(', ')} of user ${action.userName}`;
    case 'detach-policy':
      return `detached ${action.policyArn} from role ${action.roleName}`;
    case 'delete-inline-policy':
      return `deleted inline policy ${action.policyName} of user ${action.userName}`;
    case 'quarantine':
      return `quarantined ${action.principalType} ${action.principalName} (${action.policyArn})`;
  }
}

/** The records an event ID is ambiguous between, one per line: ID, rule, resource, what it did, status. */
export function ambiguousLines(candidates: readonly AuditRecord[]): string[] {
  const rows = [
    ['ID', 'RULE', 'RESOURCE', 'STATUS', 'WHAT'],
    ...candidates.map((record) => [
      record.id,
      record.rule,
      record.resourceArn,
      record.restoredBy === undefined ? record.status : `${record.status}, restored (${record.restoredBy})`,
      describeChange(record.action),
    ]),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map(
    (row) =>
      `  ${row
        .map((cell, column) => (column < widths.length ? cell.padEnd(widths[column] ?? 0) : cell))
        .join('  ')}`,
  );
}

/**
 * `iam-warden restore`: find the remediation, check it is of the caller's account, then put back what it
 * removed (or, with `--dry-run`, say what would be). A refusal is printed with its reason and gives exit status
 * 1; an event ID shared by several remediations lists them and gives exit status 2; other errors propagate.
 */
export async function runRestore(
  options: RestoreOptions,
  deps: AuditCommandDeps,
  io: CommandIo,
): Promise<number> {
  try {
    const remediation = await findRemediation(deps, options.target);
    // A dry run asks too: what it would read and describe is the caller's account's IAM.
    const caller = await callerIdentity(deps.sts);
    const otherAccount = refuseOtherAccount(remediation, caller.account);
    if (otherAccount !== undefined) {
      throw new RestoreRefusedError(`cannot restore ${remediation.id}: ${otherAccount}`);
    }
    const grace = hours(deps.config.restoreGraceHours);
    if (options.dryRun) {
      const plan = decideRestore(remediation, await readCurrentState(deps.iam, remediation.action));
      if (plan.kind === 'refuse') {
        throw new RestoreRefusedError(`cannot restore ${remediation.id}: ${plan.reason}`);
      }
      line(io.stdout, `Dry run, nothing changed: would restore ${describeRemediation(remediation)}`);
      printParts(io, plan.action ? describeRestore(plan.action, false) : [], plan.already);
      line(
        io.stdout,
        `Would record the restore; iam-warden would then only notify about changes to ${graceScope(remediation.action)} for ${grace}.`,
      );
      return 0;
    }
    const result = await restoreRemediation(deps, remediation, caller.arn);
    line(io.stdout, `Restored ${describeRemediation(remediation)}`);
    printParts(io, result.restored ? describeRestore(result.restored, true) : [], result.already);
    line(io.stdout, `Recorded as ${result.restore.id}, by ${result.restore.restoredBy}.`);
    line(
      io.stdout,
      `Grace period: until ${result.restore.graceUntil} (${grace}), iam-warden only notifies about changes to ${graceScope(remediation.action)} and does not undo this restore; the rest of ${remediation.resource.type} ${remediation.resource.name} is guarded as usual.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof AmbiguousRemediationError) {
      line(
        io.stderr,
        `iam-warden: ${error.message} (iam-warden restore <ID>${options.dryRun ? ' --dry-run' : ''}); nothing was changed:`,
      );
      for (const text of ambiguousLines(error.candidates)) line(io.stderr, text);
      return EXIT_USAGE;
    }
    if (!(error instanceof RestoreRefusedError)) throw error;
    line(io.stderr, `iam-warden: refused: ${error.message}. Nothing was changed.`);
    return 1;
  }
}

import { parseArgs } from 'node:util';
import { MODES, type Mode, RULES, type RuleName } from '../config.js';
import { UsageError } from '../errors.js';

/** What every command takes besides its arguments. */
export interface CommonOptions {
  /** Modes to use instead of the configured ones, per function. */
  readonly modes: Readonly<Partial<Record<RuleName, Mode>>>;
  /** The time to evaluate as of (key ages, audit timestamps); the wall clock when unset. */
  readonly now: Date | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
}

export type Command =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'invoke';
      readonly functionName: RuleName;
      readonly eventFile: string;
      readonly options: CommonOptions;
    }
  | { readonly kind: 'replay'; readonly inputs: readonly string[]; readonly options: CommonOptions };

export const USAGE = `Usage:
  iam-warden invoke <function> <event-file> [options]
      Run one function's real handler with one event, as Lambda would (like sam local invoke, without
      Docker). Prints the decision the handler returns.
  iam-warden replay <file-or-dir>... [options]
      Route each event through the EventBridge rules in template.yaml, run the function(s) it reaches, and
      report per event: event ID, event name, function, outcome and actions.
  iam-warden restore <remediation-id> | --event-id <id> [--dry-run]
      Put back exactly what a remediation removed; refuses when that is unsafe (restore --help).
  iam-warden history [--resource user/NAME | role/NAME | ARN] [--since 7d] [--json]
      The audit records, newest first: remediations with their before-state, and restores.
  iam-warden sweep [--mode <mode>] [--now <ISO time>] [--rate <calls/s>] [--json]
      Reconcile the whole account as the scheduled sweep does, acting on the offenders only (sweep --help).
  iam-warden redrive <failed-events-queue-url> [--dry-run] [--limit N]
      Run the events in the failed-events queue through their functions again (redrive --help).

Functions: ${RULES.join(', ')}

Inputs: EventBridge events, CloudTrail records, CloudTrail log files ({"Records": [...]}) and
  \`aws cloudtrail lookup-events\` output, as .json or .json.gz files, and directories of them (read
  recursively, in name order). "-" reads standard input.

Options:
  --mode <mode>             ${MODES.join(' | ')} for every function, instead of MODE_* (repeatable
  --mode <function>=<mode>  per function: --mode access-keys=enforce --mode admin-policy=notify)
  --now <ISO time>          evaluate as of this time, e.g. 2025-06-01T00:00:00Z (key ages are judged
                            against it; an emulator cannot backdate keys)
  --json                    one JSON object per line instead of a table
  --verbose                 the functions' logs, on standard error
  -h, --help                show this help

Environment: the deployed functions' variables (TOPIC_ARN and AUDIT_TABLE are required: a deployed stack's
  NotificationTopicArn and AuditTableName outputs, or \`npm run demo\`'s emulator; MAX_KEY_AGE_DAYS,
  MODE_ACCESS_KEYS, MODE_ADMIN_POLICY, MODE_INLINE_POLICY, ADMIN_ROLE_PATTERNS, OWN_ROLE_ARNS,
  EXEMPT_TAG_KEY...) and the AWS SDK's (AWS_REGION, AWS_PROFILE or credentials, AWS_ENDPOINT_URL).
  Notifications go to TOPIC_ARN and before-states to AUDIT_TABLE, as in production. Targets missing now
  are reported as gone at once: the CLI does not wait NOT_FOUND_RETRY_SECONDS for them.

Exit status: 0 when every event was handled; 1 when an input was invalid or a function rejected or failed
  an event; 2 on a usage or configuration error.
`;

const MODE_FLAG = /^(?:([a-z-]+)=)?([a-z]+)$/;

function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

function isRuleName(value: string): value is RuleName {
  return (RULES as readonly string[]).includes(value);
}

function parseModes(values: readonly string[]): Partial<Record<RuleName, Mode>> {
  const modes: Partial<Record<RuleName, Mode>> = {};
  for (const value of values) {
    const match = MODE_FLAG.exec(value);
    const [, target, mode] = match ?? [];
    if (mode === undefined || !isMode(mode)) {
      throw new UsageError(`--mode ${value}: the mode must be one of ${MODES.join(', ')}`);
    }
    if (target !== undefined && !isRuleName(target)) {
      throw new UsageError(`--mode ${value}: ${target} is not a function (${RULES.join(', ')})`);
    }
    for (const name of target === undefined ? RULES : [target]) modes[name] = mode;
  }
  return modes;
}

/** ISO 8601 dates (`2025-06-01`) and date-times with a zone (`2025-06-01T00:00:00Z`, `...+02:00`). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function parseNow(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  // Date rolls impossible days over (2025-02-30 is March 2nd): the calendar date must survive a round trip.
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0));
  if (
    !ISO_TIME.test(value) ||
    Number.isNaN(date.getTime()) ||
    calendar.toISOString().slice(0, 10) !== value.slice(0, 10)
  ) {
    throw new UsageError(
      `--now ${value}: give an ISO 8601 date or a date-time with its zone, like 2025-06-01T00:00:00Z`,
    );
  }
  return date;
}

/**
 * Parse the command line (without `node` and the script). Throws `UsageError` naming what is wrong: the CLI
 * prints it with the usage and exits 2.
 */
export function parseCommand(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { kind: 'help' };
  const options: CommonOptions = {
    modes: parseModes(values.mode ?? []),
    now: parseNow(values.now),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
  const [command, ...rest] = positionals;
  switch (command) {
    case 'invoke': {
      const [functionName, eventFile, ...extra] = rest;
      if (functionName === undefined || eventFile === undefined || extra.length > 0) {
        throw new UsageError('invoke takes a function and one event file');
      }
      if (!isRuleName(functionName)) {
        throw new UsageError(`${functionName} is not a function: use one of ${RULES.join(', ')}`);
      }
      return { kind: 'invoke', functionName, eventFile, options };
    }
    case 'replay':
      if (rest.length === 0) throw new UsageError('replay takes at least one file or directory');
      return { kind: 'replay', inputs: rest, options };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      mode: { type: 'string', multiple: true },
      now: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

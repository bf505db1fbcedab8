import { Argument, Command } from 'commander';
import { MODES, type Mode, RULES, type RuleName } from '../config.js';
import { UsageError } from '../errors.js';
import { collect, parseCommandLine } from './commander.js';

/** What `invoke` and `replay` take besides their arguments. */
export interface CommonOptions {
  /** Modes to use instead of the configured ones, per function. */
  readonly modes: Readonly<Partial<Record<RuleName, Mode>>>;
  /** The time to evaluate as of (key ages, audit timestamps); the wall clock when unset. */
  readonly now: Date | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
  /** False with `--no-notify`: nothing is published (see `Config.notifications`). */
  readonly notify: boolean;
}

export type ParsedCommand =
  | {
      readonly kind: 'invoke';
      readonly functionName: RuleName;
      readonly eventFile: string;
      readonly options: CommonOptions;
    }
  | { readonly kind: 'replay'; readonly inputs: readonly string[]; readonly options: CommonOptions };

export const MODE_HELP = `${MODES.join(' | ')} for every function, or <function>=<mode> for one (repeatable: --mode notify --mode admin-policy=enforce); instead of MODE_*`;

export const NO_NOTIFY_HELP =
  'publish nothing: no message to the topic, no result event on the bus (decisions are still recorded in the audit table and printed; people are told on a later run without it)';

const MODE_FLAG = /^(?:([a-z-]+)=)?([a-z]+)$/;

function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

function isRuleName(value: string): value is RuleName {
  return (RULES as readonly string[]).includes(value);
}

/** `--mode` values, later ones winning: `notify` for every function, `admin-policy=enforce` for one. */
export function parseModes(values: readonly string[]): Partial<Record<RuleName, Mode>> {
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

export function parseNow(value: string | undefined): Date | undefined {
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

/** The options `invoke` and `replay` share. */
function addCommonOptions(command: Command): Command {
  return command
    .option('--mode <mode>', MODE_HELP, collect)
    .option(
      '--now <time>',
      'evaluate as of this ISO time, e.g. 2025-06-01T00:00:00Z (key ages are judged against it; an emulator cannot backdate keys)',
    )
    .option('--json', 'one JSON object per line instead of a table')
    .option('--no-notify', NO_NOTIFY_HELP)
    .option(
      '--verbose',
      "the functions' logs on standard error (and the stack trace of an unexpected error)",
    );
}

/** The common options as parsed by commander, validated. Throws `UsageError`. */
export function commonOptions(command: Command): CommonOptions {
  const values = command.opts<{
    mode?: string[];
    now?: string;
    json?: boolean;
    verbose?: boolean;
    notify?: boolean;
  }>();
  return {
    modes: parseModes(values.mode ?? []),
    now: parseNow(values.now),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    notify: values.notify ?? true,
  };
}

export const INPUTS_HELP = `
Inputs: EventBridge events, CloudTrail records, CloudTrail log files ({"Records": [...]}) and
  \`aws cloudtrail lookup-events\` output, as .json or .json.gz files, and directories of them (read
  recursively, in name order; other files are skipped and counted). "-" reads standard input.`;

export const ENVIRONMENT_HELP = `
Environment: the deployed functions' variables (TOPIC_ARN and AUDIT_TABLE are required: a deployed stack's
  NotificationTopicArn and AuditTableName outputs, or \`npm run demo -- --keep\`'s emulator; MAX_KEY_AGE_DAYS,
  MODE_ACCESS_KEYS, MODE_ADMIN_POLICY, MODE_INLINE_POLICY, ADMIN_ROLE_PATTERNS, OWN_ROLE_ARNS,
  EXEMPT_TAG_KEY...) and the AWS SDK's (AWS_REGION, AWS_PROFILE or credentials, AWS_ENDPOINT_URL).
  Notifications go to TOPIC_ARN and before-states to AUDIT_TABLE, as in production. Targets missing now
  are reported as gone at once: the CLI does not wait NOT_FOUND_RETRY_SECONDS for them. An endpoint that
  cannot be reached fails the command in seconds; throttling is retried as the functions retry it.`;

const RERUN_HELP = `
Running events again: an event whose earlier run only notified (notify mode) is acted on when run in
  enforce mode; only what was applied is a duplicate. What people were told of already is printed again,
  marked "already notified", and not published again: remediations by their audit record, alerts, skips
  and failures by a mark kept 90 days in IDEMPOTENCY_TABLE (the stack's IdempotencyTableName output;
  without it they are published again).`;

const EXIT_HELP = `
Exit status: 0 when every event was handled; 1 when an input was invalid or a function rejected or failed
  an event, or the work failed; 2 on a usage or configuration error.`;

/** `invoke <function> <event-file>`. */
export function defineInvoke(command: Command): Command {
  return addCommonOptions(
    command
      .summary("run one function's real handler on one event, like sam local invoke")
      .description(
        "Run one function's real handler with one event, as Lambda would (like sam local invoke, without Docker), and print the decision it returns.",
      )
      .addArgument(new Argument('<function>', 'the function to run').choices(RULES))
      .argument('<event-file>', 'a file holding one event (.json or .json.gz), or - for standard input'),
  ).addHelpText('after', `${ENVIRONMENT_HELP}\n${RERUN_HELP}\n${EXIT_HELP}`);
}

/** `replay <file-or-dir...>`. */
export function defineReplay(command: Command): Command {
  return addCommonOptions(
    command
      .summary("route events or CloudTrail logs through template.yaml's rules and run what they reach")
      .description(
        'Route each event through the EventBridge rules in template.yaml, run the function(s) it reaches, and report per event: event ID, event name, function, outcome and actions; then a summary per rule and outcome, and the principals behind what would be remediated. Shows progress on standard error when it is a terminal.',
      )
      .argument('<file-or-dir...>', 'event files, CloudTrail log files, directories of them, or -'),
  ).addHelpText('after', `${INPUTS_HELP}\n${ENVIRONMENT_HELP}\n${RERUN_HELP}\n${EXIT_HELP}`);
}

/** `invoke` as parsed by commander, validated. Throws `UsageError`. */
export function invokeCommand(command: Command): Extract<ParsedCommand, { kind: 'invoke' }> {
  const [functionName, eventFile] = command.args;
  if (functionName === undefined || !isRuleName(functionName) || eventFile === undefined) {
    throw new UsageError('invoke takes a function and one event file');
  }
  return { kind: 'invoke', functionName, eventFile, options: commonOptions(command) };
}

/** `replay` as parsed by commander, validated. Throws `UsageError`. */
export function replayCommand(command: Command): Extract<ParsedCommand, { kind: 'replay' }> {
  return { kind: 'replay', inputs: [...command.args], options: commonOptions(command) };
}

/**
 * Parse an `invoke` or `replay` command line (the command's name first) on its own, as the program would.
 * Throws `UsageError` naming what is wrong.
 */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const [name, ...args] = argv;
  if (name === 'invoke') return invokeCommand(parseCommandLine(defineInvoke(new Command('invoke')), args));
  if (name === 'replay') return replayCommand(parseCommandLine(defineReplay(new Command('replay')), args));
  throw new UsageError(`unknown command ${JSON.stringify(name)}`);
}

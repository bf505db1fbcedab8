import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import { createClients, createDeps } from '../aws.js';
import { type Config, loadConfig, RULES, type RuleName } from '../config.js';
import type { Clients, Deps } from '../deps.js';
import { ConfigError, describeError, InvalidPatternError, UsageError } from '../errors.js';
import { type Command, type CommonOptions, parseCommand, USAGE } from './args.js';
import { isAuditCommand, runAuditCommand } from './audit-command.js';
import { jsonLine, newTally, summaryLine, tableHeader, tableRow, tally } from './format.js';
import { type InputItem, readInputs } from './input.js';
import { invokeFunction } from './invoke.js';
import { cliLogger, type Output } from './logger.js';
import { redriveCommand } from './redrive.js';
import { PROBLEM_OUTCOMES, replay } from './replay.js';
import { createRouter, type Router } from './route.js';
import { sweepCommand } from './sweep.js';

export type { Output } from './logger.js';

/** What the CLI runs with. Only the entry point (main.ts) touches `process`. */
export interface CliContext {
  /** The environment the configuration is read from, as the deployed functions read theirs. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Standard input, for the input `-`. */
  readonly stdin?: () => Promise<Buffer>;
  /** SDK clients; by default, configured from the standard SDK environment like the functions' own. */
  readonly clients?: Clients;
  /** STS, for `restore` and `history` (who runs them, in which account); by default from the SDK environment. */
  readonly sts?: Pick<STSClient, 'send'>;
  /** DynamoDB for the idempotency store `redrive` shares with the functions; by default from the SDK environment. */
  readonly idempotencyClient?: DynamoDBClient;
  /** SQS, for `redrive`; by default from the SDK environment. */
  readonly sqs?: Pick<SQSClient, 'send'>;
  /** The router; by default, from template.yaml's rules. */
  readonly router?: Router;
}

export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

const CONFIG_HINT =
  "The CLI reads the deployed functions' environment: set TOPIC_ARN and AUDIT_TABLE to a stack's NotificationTopicArn and AuditTableName outputs (see --help), or run `npm run demo` to try iam-warden on an emulator.";

/**
 * The deployed functions' configuration with the command line's overrides: `--mode`, and no wait for missing
 * targets (a replayed event is history: a target missing now is gone, and waiting 60 s per event would make
 * back-testing a long trail impossible).
 */
export function cliConfig(env: CliContext['env'], options: CommonOptions): Config {
  const config = loadConfig(env);
  return Object.freeze({
    ...config,
    modes: Object.freeze({ ...config.modes, ...options.modes }),
    notFoundRetrySeconds: 0,
  });
}

function cliDeps(context: CliContext, options: CommonOptions): Deps {
  const deps = createDeps(cliConfig(context.env, options), context.clients ?? createClients());
  const { now } = options;
  return {
    ...deps,
    ...(now === undefined ? {} : { clock: () => new Date(now) }),
    logger: cliLogger(options.verbose, context.stderr),
  };
}

function describeModes(modes: Config['modes']): string {
  return Object.entries(modes)
    .map(([name, mode]) => `${name}=${mode}`)
    .join(', ');
}

/** The file part of a row's source (`trail.json.gz` of `trail.json.gz#Records[3]`). */
function fileOf(source: string): string {
  const hash = source.lastIndexOf('#');
  return hash === -1 ? source : source.slice(0, hash);
}

async function runReplay(
  context: CliContext,
  deps: Deps,
  router: Router,
  inputs: readonly string[],
  options: CommonOptions,
): Promise<number> {
  const { stdout, stderr } = context;
  const items = readInputs(inputs, context.stdin ? { stdin: context.stdin } : {});
  if (!options.json) {
    const asOf = options.now ? `as of ${options.now.toISOString()}` : 'as of now';
    stdout.write(
      `Replaying through template.yaml's rules, ${asOf}; modes: ${describeModes(deps.config.modes)}\n\n`,
    );
    stdout.write(`  ${tableHeader()}\n`);
  }
  const counts = newTally();
  let problems = 0;
  let lastSource: string | undefined;
  let lastFile: string | undefined;
  for await (const row of replay(items, router, deps)) {
    if (row.outcome === 'invalid') stderr.write(`iam-warden: ${row.source}: ${row.error}\n`);
    if (PROBLEM_OUTCOMES.has(row.outcome)) problems++;
    tally(counts, row, row.source !== lastSource);
    lastSource = row.source;
    if (options.json) {
      stdout.write(`${jsonLine(row)}\n`);
      continue;
    }
    // Rows are grouped under the file they come from: a log file's records share one heading.
    const file = fileOf(row.source);
    if (file !== lastFile) stdout.write(`${file}\n`);
    lastFile = file;
    stdout.write(`  ${tableRow(row)}\n`);
  }
  if (!options.json) stdout.write(`\n${summaryLine(counts)}\n`);
  return problems > 0 ? EXIT_PROBLEM : EXIT_OK;
}

async function readOneEvent(context: CliContext, file: string): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const item of readInputs([file], context.stdin ? { stdin: context.stdin } : {}))
    items.push(item);
  return items;
}

async function runInvoke(
  context: CliContext,
  deps: Deps,
  functionName: RuleName,
  eventFile: string,
  options: CommonOptions,
): Promise<number> {
  const { stdout, stderr } = context;
  const items = await readOneEvent(context, eventFile);
  const errors = items.filter((item) => item.kind === 'error');
  for (const error of errors) stderr.write(`iam-warden: ${error.source}: ${error.message}\n`);
  if (errors.length > 0) return EXIT_PROBLEM;
  const [item, ...more] = items;
  if (item?.kind !== 'event' || more.length > 0) {
    stderr.write(`iam-warden: ${eventFile}: holds ${items.length} events; invoke takes one (use replay)\n`);
    return EXIT_PROBLEM;
  }
  try {
    const decision = await invokeFunction(functionName, deps, item.event);
    stdout.write(`${JSON.stringify(decision, null, options.json ? undefined : 2)}\n`);
    return PROBLEM_OUTCOMES.has(decision.outcome) ? EXIT_PROBLEM : EXIT_OK;
  } catch (error) {
    const text = describeError(error);
    stderr.write(`iam-warden: ${functionName} failed on ${eventFile}: ${text}\n`);
    return EXIT_PROBLEM;
  }
}

/**
 * Say so when the configuration, not the command line, puts a function in `enforce` (the default of MODE_*):
 * someone back-testing against a real account may not expect the CLI to change IAM.
 */
function warnOfEnforce(stderr: Output, config: Config, command: Exclude<Command, { kind: 'help' }>): void {
  const names = command.kind === 'invoke' ? [command.functionName] : RULES;
  const enforcing = names.filter((name) => config.modes[name] === 'enforce' && !command.options.modes[name]);
  if (enforcing.length === 0) return;
  stderr.write(
    `iam-warden: ${enforcing.join(', ')} ${enforcing.length === 1 ? 'is' : 'are'} in enforce mode (MODE_* or its default): IAM is changed where a rule calls for it. Pass --mode notify to only report, --mode enforce to silence this.\n`,
  );
}

/**
 * Run the CLI on a command line (without `node` and the script) and resolve to its exit status. Never throws
 * for a bad command line, configuration or input: they are reported on `stderr`.
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (isAuditCommand(name)) return runAuditCommand(name, args, context);
  if (name === 'sweep') return sweepCommand(args, context);
  if (name === 'redrive') return redriveCommand(args, context);
  let command: Command;
  let deps: Deps;
  let router: Router | undefined;
  try {
    command = parseCommand(argv);
    if (command.kind === 'help') {
      context.stdout.write(USAGE);
      return EXIT_OK;
    }
    deps = cliDeps(context, command.options);
    if (command.kind === 'replay') router = context.router ?? createRouter();
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`iam-warden: ${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      context.stderr.write(`iam-warden: ${error.message}\n${CONFIG_HINT}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof InvalidPatternError) {
      context.stderr.write(`iam-warden: template.yaml: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  warnOfEnforce(context.stderr, deps.config, command);
  if (command.kind === 'invoke') {
    return runInvoke(context, deps, command.functionName, command.eventFile, command.options);
  }
  return runReplay(context, deps, router ?? createRouter(), command.inputs, command.options);
}

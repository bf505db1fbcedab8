import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import { Command, CommanderError } from 'commander';
import { createDeps } from '../aws.js';
import { type Config, loadConfig, RULES, type RuleName } from '../config.js';
import type { Clients, Deps } from '../deps.js';
import { describeError, IamWardenError } from '../errors.js';
import { defineAdmins, runAdminsCommand } from './admins.js';
import {
  type CommonOptions,
  defineInvoke,
  defineReplay,
  invokeCommand,
  type ParsedCommand,
  replayCommand,
} from './args.js';
import { createCliClients } from './clients.js';
import { commanderMessage } from './commander.js';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, explainFailure, isEnvironmentFailure } from './failure.js';
import { jsonLine, newTally, summaryBlock, summaryLine, tableHeader, tableRow, tally } from './format.js';
import { defineHistory, historyOptions, runHistory } from './history.js';
import { type InputItem, readInputs } from './input.js';
import { invokeFunction } from './invoke.js';
import { cliLogger, type Output } from './logger.js';
import { createProgress } from './progress.js';
import { defineRedrive, redriveOptions, runRedriveCommand } from './redrive.js';
import { PROBLEM_OUTCOMES, replay } from './replay.js';
import { createAuditCommandDeps, defineRestore, restoreOptions, runRestore } from './restore.js';
import { createNoRouteExplainer, createRouter, type NoRouteExplainer, type Router } from './route.js';
import { defineSweep, runSweepCommand, sweepOptions } from './sweep.js';

export { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE } from './failure.js';
export type { Output } from './logger.js';

/** What the CLI runs with. Only the entry point (main.ts) touches `process`. */
export interface CliContext {
  /** The environment the configuration is read from, as the deployed functions read theirs. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Standard input, for the input `-`. */
  readonly stdin?: () => Promise<Buffer>;
  /**
   * Standard error when it is a terminal, for progress lines (long replays, the sweep). Replay draws it only
   * when its report goes elsewhere (`stdoutIsTerminal` false): on the terminal, the rows are the progress.
   */
  readonly progress?: NodeJS.WritableStream;
  readonly stdoutIsTerminal?: boolean;
  /** SDK clients; by default, configured from the standard SDK environment, failing fast on connections. */
  readonly clients?: Clients;
  /** STS, for `restore` and `history` (who runs them, in which account); by default from the SDK environment. */
  readonly sts?: Pick<STSClient, 'send'>;
  /** DynamoDB for the idempotency store `redrive` shares with the functions; by default from the SDK environment. */
  readonly idempotencyClient?: DynamoDBClient;
  /** SQS, for `redrive`; by default from the SDK environment. */
  readonly sqs?: Pick<SQSClient, 'send'>;
  /** The router; by default, from template.yaml's rules. */
  readonly router?: Router;
  /** The sweep's clock; the wall clock by default. */
  readonly clock?: () => Date;
}

/** The commands, in the order `--help` lists them. */
export const COMMANDS = ['invoke', 'replay', 'sweep', 'restore', 'history', 'redrive'] as const;

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const PROGRAM_HELP = `
Functions: ${RULES.join(', ')}

Run \`iam-warden <command> --help\` (or \`iam-warden help <command>\`) for a command's arguments and options.

Exit status: 0 when all went well; 1 when work failed (an invalid input, a rejected or failed event, a
  refused restore, an endpoint that cannot be reached); 2 on a usage or configuration error.`;

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
    ...(options.notify ? {} : { notifications: 'off' as const }),
  });
}

function cliDeps(context: CliContext, options: CommonOptions): Deps {
  const deps = createDeps(cliConfig(context.env, options), context.clients ?? createCliClients());
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

/**
 * What the header says of notifications when they are not the usual: off, or on without a table to remember
 * what was told (then running the same events again publishes their alerts, skips and failures again).
 */
function describeNotifications(config: Config): string {
  if (config.notifications === 'off') return '; nothing is published (--no-notify)';
  if (config.idempotencyTable === undefined) {
    return '; IDEMPOTENCY_TABLE unset: alerts, skips and failures are published again on every run';
  }
  return '';
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
  explain: NoRouteExplainer | undefined,
  inputs: readonly string[],
  options: CommonOptions,
): Promise<number> {
  const { stdout } = context;
  const counts = newTally();
  const showProgress = !options.verbose && !(context.stdoutIsTerminal ?? false);
  const progress = createProgress(
    showProgress ? context.progress : undefined,
    'replay |{bar}| {value}/{total} files | {events} events | ETA {eta_formatted}',
  );
  let files = 0;
  const items = readInputs(inputs, {
    ...(context.stdin ? { stdin: context.stdin } : {}),
    onSkipped: () => {
      counts.skippedFiles++;
    },
    onFiles: (count) => {
      files += count;
      if (files === count) progress.start(files, { events: 0 });
      else progress.setTotal(files);
    },
    onFileRead: () => progress.increment({ events: counts.events }),
  });
  if (!options.json) {
    const asOf = options.now ? `as of ${options.now.toISOString()}` : 'as of now';
    stdout.write(
      `Replaying through template.yaml's rules, ${asOf}; modes: ${describeModes(deps.config.modes)}${describeNotifications(deps.config)}\n\n`,
    );
    stdout.write(`  ${tableHeader()}\n`);
  }
  let problems = 0;
  let lastSource: string | undefined;
  let lastFile: string | undefined;
  try {
    for await (const row of replay(items, router, deps, explain)) {
      if (PROBLEM_OUTCOMES.has(row.outcome)) problems++;
      tally(counts, row, row.source !== lastSource);
      lastSource = row.source;
      if (options.json) {
        stdout.write(`${jsonLine(row)}\n`);
        continue;
      }
      // Rows are grouped under the file they come from: a log file's records share one heading, and an
      // input error names its file there only.
      const file = fileOf(row.source);
      if (file !== lastFile) stdout.write(`${file}\n`);
      lastFile = file;
      stdout.write(`  ${tableRow(row)}\n`);
    }
  } finally {
    progress.stop();
  }
  if (!options.json) {
    const block = summaryBlock(counts);
    stdout.write(`\n${block.length > 0 ? `${block.join('\n')}\n` : ''}${summaryLine(counts)}\n`);
  }
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
    // An endpoint or credentials problem is the command's, not the event's: the program explains it.
    if (isEnvironmentFailure(error)) throw error;
    stderr.write(`iam-warden: ${functionName} failed on ${eventFile}: ${describeError(error)}\n`);
    return EXIT_PROBLEM;
  }
}

/**
 * Say so when the configuration (a MODE_* variable set to `enforce`), not the command line, puts a function in
 * `enforce`: someone back-testing against a real account with a deployment's environment may not expect the CLI
 * to change IAM. Unset, MODE_* is `notify`.
 */
function warnOfEnforce(stderr: Output, config: Config, command: ParsedCommand): void {
  const names = command.kind === 'invoke' ? [command.functionName] : RULES;
  const enforcing = names.filter((name) => config.modes[name] === 'enforce' && !command.options.modes[name]);
  if (enforcing.length === 0) return;
  stderr.write(
    `iam-warden: ${enforcing.join(', ')} ${enforcing.length === 1 ? 'is' : 'are'} in enforce mode (set by MODE_*): IAM is changed where a rule calls for it. Pass --mode notify to only report, --mode enforce to silence this.\n`,
  );
}

/** What an action sets: the exit status, and whether to print an unexpected error's stack. */
interface RunState {
  status: number;
  command: string | undefined;
  verbose: boolean;
}

/** The `iam-warden` program: each command's definition (its module's) and the action that runs it. */
function createProgram(context: CliContext, state: RunState): Command {
  const program = new Command('iam-warden')
    .description(
      "Runs iam-warden's real handlers on your machine, against the account (or emulator) the AWS SDK environment names.",
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', "show a command's help")
    .addHelpText('after', PROGRAM_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
      // Errors are printed by runCli, as one line with a hint.
      outputError: () => undefined,
    });
  program.hook('preAction', (_program, action) => {
    state.command = action.name();
    state.verbose = action.opts<{ verbose?: boolean }>().verbose === true;
  });
  const set = (status: number) => {
    state.status = status;
  };

  defineInvoke(program.command('invoke')).action(async (_fn, _file, _options, command: Command) => {
    const parsed = invokeCommand(command);
    const deps = cliDeps(context, parsed.options);
    warnOfEnforce(context.stderr, deps.config, parsed);
    set(await runInvoke(context, deps, parsed.functionName, parsed.eventFile, parsed.options));
  });
  defineReplay(program.command('replay')).action(async (_inputs, _options, command: Command) => {
    const parsed = replayCommand(command);
    const deps = cliDeps(context, parsed.options);
    const router = context.router ?? createRouter();
    const explain = context.router ? undefined : createNoRouteExplainer();
    warnOfEnforce(context.stderr, deps.config, parsed);
    set(await runReplay(context, deps, router, explain, parsed.inputs, parsed.options));
  });
  defineSweep(program.command('sweep')).action(async (_options, command: Command) => {
    set(await runSweepCommand(sweepOptions(command), context));
  });
  defineAdmins(program.command('admins')).action(async (_options, command: Command) => {
    set(
      await runAdminsCommand(command.opts<{ json?: boolean }>().json === true, {
        env: context.env,
        stdout: context.stdout,
        ...(context.clients ? { clients: context.clients } : {}),
      }),
    );
  });
  defineRestore(program.command('restore')).action(async (_id, _options, command: Command) => {
    const options = restoreOptions(command);
    const deps = createAuditCommandDeps({ ...auditSetup(context), now: options.now });
    set(await runRestore(options, deps, context));
  });
  defineHistory(program.command('history')).action(async (_options, command: Command) => {
    const options = historyOptions(command);
    const deps = createAuditCommandDeps({ ...auditSetup(context), now: options.now });
    set(await runHistory(options, deps, context));
  });
  defineRedrive(program.command('redrive')).action(async (_url, _options, command: Command) => {
    set(await runRedriveCommand(redriveOptions(command), context));
  });
  return program;
}

function auditSetup(context: CliContext) {
  return {
    env: context.env,
    ...(context.clients ? { clients: context.clients } : {}),
    ...(context.sts ? { sts: context.sts } : {}),
  };
}

/** The command a command line names, for the hint after a usage error commander found. */
function commandIn(argv: readonly string[]): string | undefined {
  return argv.find((arg) => (COMMANDS as readonly string[]).includes(arg));
}

/** The help of the program, or of one command: what `--help` prints, extra sections included. */
export function helpText(command?: string): string {
  let text = '';
  const program = createProgram(
    { env: {}, stdout: { write: (chunk: string) => (text += chunk) }, stderr: { write: () => undefined } },
    { status: 0, command: undefined, verbose: false },
  );
  const target = command === undefined ? program : program.commands.find((c) => c.name() === command);
  target?.outputHelp();
  return text;
}

/**
 * Run the CLI on a command line (without `node` and the script) and resolve to its exit status. Never throws:
 * every error is one `iam-warden:` line on `stderr` with its cause and what to do; exit 2 for the command line
 * or the configuration, 1 for work that failed.
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const state: RunState = { status: EXIT_OK, command: undefined, verbose: false };
  const program = createProgram(context, state);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT_OK;
  }
  const [first, asked] = argv;
  // commander answers `help <unknown>` with the whole help on stderr; one line is the rule here.
  if (first === 'help' && asked !== undefined && !(COMMANDS as readonly string[]).includes(asked)) {
    context.stderr.write(`iam-warden: unknown command '${asked}' (see iam-warden --help)\n`);
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.status;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and the version were printed; anything else is a command line commander could not parse.
      if (error.exitCode === 0) return EXIT_OK;
      const command = commandIn(argv);
      const hint = command === undefined ? 'iam-warden --help' : `iam-warden ${command} --help`;
      context.stderr.write(`iam-warden: ${commanderMessage(error)} (see ${hint})\n`);
      return EXIT_USAGE;
    }
    const failure = explainFailure(error, {
      command: state.command ?? commandIn(argv),
      env: context.env,
    });
    context.stderr.write(`iam-warden: ${failure.message}\n`);
    if (state.verbose && error instanceof Error && !(error instanceof IamWardenError)) {
      context.stderr.write(`${error.stack ?? describeError(error)}\n`);
    }
    return failure.status;
  }
}

import { parseArgs } from 'node:util';
import { createClients, createDeps } from '../aws.js';
import { loadConfig, MODES, type Mode, RULES, type RuleName } from '../config.js';
import type { Clients, Deps } from '../deps.js';
import { ConfigError, describeError, UsageError } from '../errors.js';
import type { Decision } from '../plan.js';
import { runSweep, type SweepReport } from '../sweep.js';
import { cliLogger, type Output } from './logger.js';
import { parseIsoTime } from './restore.js';

export type { Output } from './logger.js';

export interface SweepCommandContext {
  /** The environment lib/config.ts reads, as the deployed sweep function reads its own. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  /** SDK clients; by default from the standard SDK environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`). */
  readonly clients?: Clients;
  /** The clock (run ID, key ages without --now, audit timestamps); the wall clock by default. */
  readonly clock?: () => Date;
}

export const SWEEP_USAGE = `Usage:
  iam-warden sweep [--mode <mode>]... [--now <ISO time>] [--rate <calls/s>] [--run-id <id>] [--json] [--verbose]
      Reconcile the whole account as the scheduled sweep does: read the credential report and the
      authorization details, then decide and act on the offenders only, with the functions' decisions,
      modes, exemptions, audit records and notifications.

Options:
  --mode <mode>             ${MODES.join(' | ')} for every function, instead of MODE_* (repeatable;
  --mode <function>=<mode>  per function: --mode access-keys=notify)
  --now <ISO time>          judge key ages as of this time (an emulator cannot backdate keys)
  --rate <calls/s>          IAM calls per second, instead of IAM_CALLS_PER_SECOND
  --run-id <id>             name the run; the same ID resumes a run instead of acting twice
                            (default: cli-<the current time>)
  --json                    the whole report, decisions included, as one JSON object
  --verbose                 the sweep's logs, on standard error

Exit status: 0 when every offender was handled; 1 when one failed or the sweep could not run; 2 on a usage
  or configuration error.
`;

export interface SweepCommand {
  readonly modes: Readonly<Partial<Record<RuleName, Mode>>>;
  readonly now: Date | undefined;
  readonly rate: number | undefined;
  readonly runId: string | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
}

function parseMode(value: string): Partial<Record<RuleName, Mode>> {
  const [, target, mode] = /^(?:([a-z-]+)=)?([a-z]+)$/.exec(value) ?? [];
  if (mode === undefined || !(MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--mode ${value}: the mode must be one of ${MODES.join(', ')}`);
  }
  if (target !== undefined && !(RULES as readonly string[]).includes(target)) {
    throw new UsageError(`--mode ${value}: ${target} is not a function (${RULES.join(', ')})`);
  }
  const rules = target === undefined ? RULES : [target as RuleName];
  return Object.fromEntries(rules.map((rule) => [rule, mode as Mode]));
}

/** Parse `sweep`'s arguments (after the command name); throws `UsageError` naming what is wrong. */
export function parseSweepArgs(args: readonly string[]): SweepCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(args));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new UsageError(`--rate ${values.rate}: give a number of IAM calls per second, greater than 0`);
  }
  if (values['run-id'] !== undefined && !/^[\w.:-]{1,128}$/.test(values['run-id'])) {
    throw new UsageError(`--run-id ${values['run-id']}: use letters, digits and . _ : - (at most 128)`);
  }
  return {
    modes: Object.assign({}, ...(values.mode ?? []).map(parseMode)),
    now: values.now === undefined ? undefined : parseIsoTime('--now', values.now),
    rate,
    runId: values['run-id'],
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: false,
    strict: true,
    options: {
      mode: { type: 'string', multiple: true },
      now: { type: 'string' },
      rate: { type: 'string' },
      'run-id': { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
  });
}

function sweepDeps(context: SweepCommandContext, command: SweepCommand): Deps {
  const config = loadConfig(context.env);
  const deps = createDeps(
    Object.freeze({ ...config, modes: Object.freeze({ ...config.modes, ...command.modes }) }),
    context.clients ?? createClients(),
  );
  return {
    ...deps,
    ...(context.clock ? { clock: context.clock } : {}),
    logger: cliLogger(command.verbose, context.stderr),
  };
}

function describeDecision(decision: Decision): string {
  const action = decision.action;
  const subject =
    action?.kind === 'delete-inline-policy'
      ? `user ${action.userName} policy ${action.policyName}`
      : `${decision.resource?.type ?? '?'} ${decision.resource?.name ?? '?'}`;
  return `  ${decision.outcome.padEnd(15)} ${decision.rule.padEnd(13)} ${subject}: ${decision.reason}`;
}

/** The report as people read it: what was looked at, each decision worth a line, the totals and the cost. */
export function formatSweepReport(report: SweepReport, modes: Deps['config']['modes']): string {
  const modeText = Object.entries(modes)
    .map(([rule, mode]) => `${rule}=${mode}`)
    .join(', ');
  const candidates = Object.entries(report.candidates)
    .map(([rule, count]) => `${rule} ${count}`)
    .join(', ');
  const calls = Object.entries(report.iamCalls)
    .map(([operation, count]) => `${operation} ${count}`)
    .join(', ');
  const lines = [
    `Sweep ${report.runId} as of ${report.startedAt}; modes: ${modeText}`,
    `  ${report.users} users, ${report.roles} roles; credential report generated ${report.reportGeneratedAt}`,
    `  candidates: ${candidates}`,
    '',
    ...report.decisions.filter((decision) => decision.outcome !== 'ignored').map(describeDecision),
    '',
    `remediated ${report.remediated}, would remediate ${report.wouldRemediate}, alerts ${report.alerts}, ` +
      `skipped ${report.skipped}, ignored ${report.ignored}, failed ${report.failed}, deferred ${report.deferred}, ` +
      `warnings ${report.warnings}`,
    `IAM calls: ${report.iamCallsTotal} (${calls}) in ${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  if (report.unreadableReportLines > 0) {
    lines.push(
      `${report.unreadableReportLines} credential report lines were unreadable; their users' keys were listed directly`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `iam-warden sweep ...` (`args` after the command name): run the sweep once against whatever account the SDK
 * environment names and resolve to the exit status. Never throws: errors are reported on `stderr`.
 */
export async function sweepCommand(args: readonly string[], context: SweepCommandContext): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout.write(SWEEP_USAGE);
    return 0;
  }
  let command: SweepCommand;
  let deps: Deps;
  try {
    command = parseSweepArgs(args);
    deps = sweepDeps(context, command);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`iam-warden: ${error.message}\n\n${SWEEP_USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      context.stderr.write(
        `iam-warden: ${error.message}\nThe sweep reads the deployed functions' environment: set TOPIC_ARN and AUDIT_TABLE to the stack's NotificationTopicArn and AuditTableName outputs.\n`,
      );
      return 2;
    }
    throw error;
  }
  const started = deps.clock();
  try {
    const report = await runSweep(deps, {
      runId: command.runId ?? `cli-${started.toISOString()}`,
      // Only a run named on the command line can be one that ran before.
      mayResume: command.runId !== undefined,
      ...(command.now ? { now: command.now } : {}),
      ...(command.rate ? { iamCallsPerSecond: command.rate } : {}),
      region: context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    });
    context.stdout.write(
      command.json ? `${JSON.stringify(report)}\n` : formatSweepReport(report, deps.config.modes),
    );
    return report.failed > 0 || report.deferred > 0 ? 1 : 0;
  } catch (error) {
    const text = describeError(error);
    context.stderr.write(`iam-warden: sweep failed: ${text}\n`);
    return 1;
  }
}

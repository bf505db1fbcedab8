import { Command } from 'commander';
import { createDeps } from '../aws.js';
import { loadConfig, type Mode, type RuleName } from '../config.js';
import type { Clients, Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import type { Decision } from '../plan.js';
import { runSweep, type SweepReport } from '../sweep.js';
import { MODE_HELP, NO_NOTIFY_HELP, parseModes } from './args.js';
import { createCliClients } from './clients.js';
import { collect, parseCommandLine } from './commander.js';
import { cliLogger, type Output } from './logger.js';
import { createProgress, type Progress } from './progress.js';
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
  /** Standard error when it is a terminal, for the progress line. */
  readonly progress?: NodeJS.WritableStream;
}

export interface SweepCommand {
  readonly modes: Readonly<Partial<Record<RuleName, Mode>>>;
  readonly now: Date | undefined;
  readonly rate: number | undefined;
  readonly runId: string | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
  /** False with `--no-notify`: nothing is published (see `Config.notifications`). */
  readonly notify: boolean;
  /** A person confirmed: make every standing change found, past MAX_ACTIONS_PER_RUN. */
  readonly confirm: boolean;
}

/** `sweep`'s options. */
export function defineSweep(command: Command): Command {
  return command
    .summary('reconcile the whole account, as the scheduled sweep does')
    .description(
      "Reconcile the whole account as the scheduled sweep does: read the credential report and the authorization details, then decide and act on the offenders only, with the functions' decisions, modes, exemptions, audit records and notifications. Shows progress on standard error when it is a terminal.",
    )
    .option('--mode <mode>', MODE_HELP, collect)
    .option('--now <time>', 'judge key ages as of this ISO time (an emulator cannot backdate keys)')
    .option('--rate <calls/s>', 'IAM calls per second, instead of IAM_CALLS_PER_SECOND')
    .option(
      '--run-id <id>',
      'name the run; the same ID resumes a run instead of acting twice (default: cli-<the current time>)',
    )
    .option(
      '--confirm',
      'make every standing change found (old keys, undated grants), past MAX_ACTIONS_PER_RUN: for after a capped run, once a person has checked its list',
    )
    .option('--json', 'the whole report, decisions included, as one JSON object')
    .option('--no-notify', NO_NOTIFY_HELP)
    .option('--verbose', "the sweep's logs on standard error (and the stack trace of an unexpected error)")
    .addHelpText(
      'after',
      `
Exit status: 0 when every offender was handled; 1 when one failed or the sweep could not run; 2 on a usage
  or configuration error.`,
    );
}

/** `sweep` as parsed by commander, validated; throws `UsageError` naming what is wrong. */
export function sweepOptions(command: Command): SweepCommand {
  const values = command.opts<{
    mode?: string[];
    now?: string;
    rate?: string;
    runId?: string;
    json?: boolean;
    verbose?: boolean;
    notify?: boolean;
    confirm?: boolean;
  }>();
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new UsageError(`--rate ${values.rate}: give a number of IAM calls per second, greater than 0`);
  }
  if (values.runId !== undefined && !/^[\w.:-]{1,128}$/.test(values.runId)) {
    throw new UsageError(`--run-id ${values.runId}: use letters, digits and . _ : - (at most 128)`);
  }
  return {
    modes: parseModes(values.mode ?? []),
    now: values.now === undefined ? undefined : parseIsoTime('--now', values.now),
    rate,
    runId: values.runId,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    notify: values.notify ?? true,
    confirm: values.confirm ?? false,
  };
}

/** Parse `sweep`'s arguments (after the command name) on their own; throws `UsageError` naming what is wrong. */
export function parseSweepArgs(args: readonly string[]): SweepCommand {
  return sweepOptions(parseCommandLine(defineSweep(new Command('sweep')), args));
}

function sweepDeps(context: SweepCommandContext, command: SweepCommand, progress: Progress): Deps {
  const config = loadConfig(context.env);
  const clients = context.clients ?? createCliClients();
  let calls = 0;
  let decisions = 0;
  // The sweep's own counters are not visible until it ends: progress counts what passes through its clients
  // and its logger (every decision is logged, published or not).
  const iam: Clients['iam'] = {
    send: ((...args: Parameters<Clients['iam']['send']>) => {
      progress.update({ calls: ++calls });
      return clients.iam.send(...args);
    }) as Clients['iam']['send'],
  };
  const deps = createDeps(
    Object.freeze({
      ...config,
      modes: Object.freeze({ ...config.modes, ...command.modes }),
      ...(command.notify ? {} : { notifications: 'off' as const }),
    }),
    { ...clients, iam },
  );
  return {
    ...deps,
    ...(context.clock ? { clock: context.clock } : {}),
    logger: cliLogger(command.verbose, context.stderr, (message) => {
      if (message === 'decision') progress.update({ decisions: ++decisions });
    }),
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

const OUTCOME_ORDER: readonly Decision['outcome'][] = [
  'remediated',
  'would-remediate',
  'capped',
  'alert',
  'skipped',
  'failed',
  'rejected',
  'ignored',
];

/**
 * One line per function, counting its decisions by outcome, so the counts agree with the decision lines
 * below them: every decision but an `ignored` one is listed (a candidate that a second read found compliant).
 * Candidates (what the bulk reads flagged) are given apart: settled-by-design findings (a designated admin
 * role, a deny-only policy) are decisions without being candidates.
 */
function ruleLines(report: SweepReport): string[] {
  return (Object.keys(report.candidates) as RuleName[]).map((rule) => {
    const decisions = report.decisions.filter((decision) => decision.rule === rule);
    const counts = OUTCOME_ORDER.map(
      (outcome) => [outcome, decisions.filter((decision) => decision.outcome === outcome).length] as const,
    )
      .filter(([, count]) => count > 0)
      .map(([outcome, count]) =>
        outcome === 'ignored'
          ? `${count} ignored (compliant when read again; not listed)`
          : `${count} ${outcome.replace('-', ' ')}`,
      );
    const noun = decisions.length === 1 ? 'decision' : 'decisions';
    const candidates = report.candidates[rule];
    return `  ${rule.padEnd(14)} ${decisions.length} ${noun}${counts.length > 0 ? `: ${counts.join(', ')}` : ''} (${candidates} ${candidates === 1 ? 'candidate' : 'candidates'} to act on)`;
  });
}

/** The report as people read it: what was looked at, each decision worth a line, the totals and the cost. */
export function formatSweepReport(report: SweepReport, modes: Deps['config']['modes']): string {
  const modeText = Object.entries(modes)
    .map(([rule, mode]) => `${rule}=${mode}`)
    .join(', ');
  const calls = Object.entries(report.iamCalls)
    .map(([operation, count]) => `${operation} ${count}`)
    .join(', ');
  const lines = [
    `Sweep ${report.runId} as of ${report.startedAt}; modes: ${modeText}`,
    `  ${report.users} users, ${report.roles} roles; credential report generated ${report.reportGeneratedAt}`,
    ...ruleLines(report),
    '',
    ...report.decisions.filter((decision) => decision.outcome !== 'ignored').map(describeDecision),
    '',
    `remediated ${report.remediated}, would remediate ${report.wouldRemediate}, alerts ${report.alerts}, ` +
      `skipped ${report.skipped}, ignored ${report.ignored}, failed ${report.failed}, deferred ${report.deferred}, ` +
      `warnings ${report.warnings}${report.capped > 0 ? `, capped ${report.capped}` : ''}`,
    `IAM calls: ${report.iamCallsTotal} (${calls}) in ${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  if (report.capped > 0) {
    lines.push(
      `${report.capped} standing ${report.capped === 1 ? 'change waits' : 'changes wait'} for a person: this run made MAX_ACTIONS_PER_RUN (${report.maxActionsPerRun}) standing changes, and sent one CRITICAL summary listing them all. Check the list, then make the rest with iam-warden sweep --confirm (or raise MaxActionsPerRun).`,
    );
  }
  if (report.unreadableReportLines > 0) {
    lines.push(
      `${report.unreadableReportLines} credential report lines were unreadable; their users' keys were listed directly`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `iam-warden sweep`: run the sweep once against whatever account the SDK environment names and resolve to
 * the exit status; errors propagate to the program, which reports them.
 */
export async function runSweepCommand(command: SweepCommand, context: SweepCommandContext): Promise<number> {
  const progress = createProgress(
    command.verbose ? undefined : context.progress,
    'sweep | {calls} IAM calls | {decisions} decisions | {duration_formatted}',
  );
  const deps = sweepDeps(context, command, progress);
  const started = deps.clock();
  progress.start(1, { calls: 0, decisions: 0 });
  let report: SweepReport;
  try {
    report = await runSweep(deps, {
      runId: command.runId ?? `cli-${started.toISOString()}`,
      // Only a run named on the command line can be one that ran before.
      mayResume: command.runId !== undefined,
      ...(command.now ? { now: command.now } : {}),
      ...(command.rate ? { iamCallsPerSecond: command.rate } : {}),
      ...(command.confirm ? { confirmed: true } : {}),
      region: context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    });
  } finally {
    progress.stop();
  }
  context.stdout.write(
    command.json ? `${JSON.stringify(report)}\n` : formatSweepReport(report, deps.config.modes),
  );
  return report.failed > 0 || report.deferred > 0 ? 1 : 0;
}

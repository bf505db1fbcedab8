import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { type AuditRecord, recordsOfRun, remediationId, unfinished as unfinishedOf } from './audit.js';
import { formatCapSummary, StandingBudget } from './blast-radius.js';
import type { RuleName } from './config.js';
import { type CredentialReport, parseCredentialReport } from './credential-report.js';
import { decideAccessKeys } from './decisions/access-keys.js';
import { decideAdminPolicy } from './decisions/admin-policy.js';
import { type ChangeAge, changeAge } from './decisions/blast-radius.js';
import { decideInlinePolicy } from './decisions/inline-policy.js';
import {
  adminPolicyFindings,
  inlinePolicyFindings,
  type KeyWarning,
  type RoleDetails,
  selectKeyCandidates,
  selectKeyWarnings,
  type UserDetails,
  usersMissingFromReport,
} from './decisions/sweep.js';
import type { Deps } from './deps.js';
import { AwsCallError, awsErrorName, describeError } from './errors.js';
import type { Trigger } from './event.js';
import { GONE, getUserPolicyDocument, listAccessKeys, readLive } from './iam.js';
import { type Notification, publishNotification } from './notify.js';
import { type Concluded, conclude, decideResuming, publish } from './pipeline.js';
import type { Decision, Outcome, Plan, Resource } from './plan.js';
import { type MeteredIam, meterIam, RateLimiter } from './rate-limit.js';

/**
 * The scheduled sweep: reconcile the whole account with the event path's decisions. Keys grow old without any
 * event, and CloudTrail delivery to EventBridge is best effort, so events alone cannot be relied on.
 *
 * It costs a handful of IAM reads whatever the size of the account: the credential report (every user's key
 * ages in one CSV) and `GetAccountAuthorizationDetails` (every user's inline policies and every role's
 * attached policies, 1,000 entities a page). Only the candidates found there cost more: each is read again,
 * live, and decided by the same pure decision as the event path, then handed to the same `conclude` and
 * `publish` (guards, audit record first, mode, notification, result event).
 *
 * The credential report is generated at most once every 4 hours; IAM hands back the existing one until then.
 * A key may therefore be judged on a report up to 4 hours old. That is acceptable: the report only chooses
 * whom to look at, and each candidate's keys are listed (`ListAccessKeys`) and judged on what IAM holds now.
 * A key created since the report cannot be old; a key reactivated since the report is found by the event path
 * (`UpdateAccessKey` to Active) or by the next sweep.
 */

/** Remediation triggers of the sweep carry this event name; its actor is iam-warden itself. */
export const SWEEP_EVENT_NAME = 'ScheduledSweep';

/** IAM keeps a credential report for 4 hours; generating one for a large account can take a while. */
const REPORT_WAIT_MS = 5 * 60_000;
const REPORT_POLL_FIRST_MS = 1_000;
const REPORT_POLL_MAX_MS = 10_000;
/** `GetAccountAuthorizationDetails` returns at most 1,000 entities a page. */
const DETAILS_PAGE_SIZE = 1000;
/** Offenders handled at once; IAM calls are paced by the rate limiter whatever this is. */
const DEFAULT_CONCURRENCY = 4;
/** No new offender is started with less time left than this: enough for one to finish, retries included. */
const DEADLINE_MARGIN_MS = 60_000;

/** Decisions worth telling people about on every run; the rest are logged and counted. */
const PUBLISHED: ReadonlySet<Outcome> = new Set(['remediated', 'would-remediate', 'alert', 'failed']);

export interface SweepOptions {
  /**
   * Names the run in every remediation ID (`sweep:<runId>:<rule>:<resource>`): two runs must differ, and a run
   * retried by Lambda must keep it, so the retry resumes the first attempt's records instead of acting twice.
   */
  readonly runId: string;
  /**
   * Whether this may be a retry of `runId`, so that what an earlier attempt left unnotified is looked up first
   * (one query of the audit table's `byRun` index). Default true; false for a run ID made up just now.
   */
  readonly mayResume?: boolean;
  /** Judge key ages as of this time (the CLI's `--now`); the clock's time by default. */
  readonly now?: Date;
  /** The account, as notifications name it; read from the IAM ARNs when not given. */
  readonly account?: string;
  readonly region?: string;
  /** Overrides `IAM_CALLS_PER_SECOND`; `Infinity` lifts the limit (emulators, benchmarks). */
  readonly iamCallsPerSecond?: number;
  /** A rate limiter to use instead of one built from the rate (tests inject one with a fake clock). */
  readonly limiter?: RateLimiter;
  readonly concurrency?: number;
  /** Milliseconds left before the caller must return (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs?: () => number;
  /** How long to wait for IAM to generate the credential report. */
  readonly reportWaitMs?: number;
  /**
   * A person confirmed this run (`iam-warden sweep --confirm`): it makes every standing change it finds, past
   * `MAX_ACTIONS_PER_RUN`. The scheduled sweep never confirms.
   */
  readonly confirmed?: boolean;
}

export interface SweepReport {
  readonly runId: string;
  readonly startedAt: string;
  /** When IAM generated the credential report the run used. */
  readonly reportGeneratedAt: string;
  readonly durationMs: number;
  /** Of which reading the account in bulk (credential report and authorization details). */
  readonly readMs: number;
  readonly users: number;
  readonly roles: number;
  /** Offenders found in the bulk reads, to be read again and decided: per rule. */
  readonly candidates: Readonly<Record<RuleName, number>>;
  readonly remediated: number;
  readonly wouldRemediate: number;
  /** By design (designated admin role, deny-only policy, reserved path) or by exemption tag. */
  readonly skipped: number;
  readonly alerts: number;
  /** Candidates that turned out compliant, or gone, on the live read. */
  readonly ignored: number;
  readonly failed: number;
  /** Candidates not started because time ran out; the next run (or Lambda's retry) takes them. */
  readonly deferred: number;
  /**
   * Standing changes decided and not made because the run reached `MAX_ACTIONS_PER_RUN` (unless `confirmed`);
   * told in one CRITICAL summary, and made by `iam-warden sweep --confirm` or a later run.
   */
  readonly capped: number;
  /** The cap this run had: `MAX_ACTIONS_PER_RUN`, or undefined when a person confirmed it. */
  readonly maxActionsPerRun: number | undefined;
  readonly warnings: number;
  /** Credential report lines that could not be read; their users were checked with `ListAccessKeys`. */
  readonly unreadableReportLines: number;
  /** IAM calls made by the run, by operation (SDK retry attempts not counted). */
  readonly iamCalls: Readonly<Record<string, number>>;
  readonly iamCallsTotal: number;
  /** Every decision the run concluded, in the order they ended. */
  readonly decisions: readonly Decision[];
}

interface Inventory {
  readonly users: UserDetails[];
  readonly roles: RoleDetails[];
}

function decodeDocument(document: string): string {
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}

/**
 * Every user (with inline policies, URL-decoded) and role (with attached policies) of the account, all pages.
 * Groups and managed policies are not asked for: nothing the sweep decides depends on them.
 */
export async function readInventory(iam: Deps['iam']): Promise<Inventory> {
  const users: UserDetails[] = [];
  const roles: RoleDetails[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new GetAccountAuthorizationDetailsCommand({
        Filter: ['User', 'Role'],
        MaxItems: DETAILS_PAGE_SIZE,
        Marker: marker,
      }),
    );
    for (const user of page.UserDetailList ?? []) {
      if (!user.UserName || !user.Arn) continue;
      users.push({
        name: user.UserName,
        arn: user.Arn,
        createDate: user.CreateDate,
        inlinePolicies: (user.UserPolicyList ?? []).flatMap((policy) =>
          policy.PolicyName && policy.PolicyDocument !== undefined
            ? [{ name: policy.PolicyName, document: decodeDocument(policy.PolicyDocument) }]
            : [],
        ),
      });
    }
    for (const role of page.RoleDetailList ?? []) {
      if (!role.RoleName || !role.Arn) continue;
      roles.push({
        name: role.RoleName,
        arn: role.Arn,
        path: role.Path ?? '/',
        createDate: role.CreateDate,
        attachedPolicyArns: (role.AttachedManagedPolicies ?? []).flatMap((policy) =>
          policy.PolicyArn ? [policy.PolicyArn] : [],
        ),
        trustPolicy:
          role.AssumeRolePolicyDocument === undefined
            ? undefined
            : decodeDocument(role.AssumeRolePolicyDocument),
      });
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return { users, roles };
}

/** The managed policies attached to a role now, all pages. */
async function attachedPolicyArns(iam: Deps['iam'], roleName: string): Promise<string[]> {
  const arns: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn) arns.push(policy.PolicyArn);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return arns;
}

/** Errors that mean "ask `GenerateCredentialReport` again": not ready yet, expired, or none yet. */
const REPORT_RETRYABLE = new Set([
  'CredentialReportNotReadyException',
  'ReportInProgress',
  'CredentialReportExpiredException',
  'ReportExpired',
  'CredentialReportNotPresentException',
  'ReportNotPresent',
]);

/**
 * The account's credential report, as CSV text. `GenerateCredentialReport` starts a report or, when one less
 * than 4 hours old exists, says `COMPLETE` at once; until then it says `STARTED`/`INPROGRESS` and is asked
 * again with backoff. https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateCredentialReport.html
 */
export async function fetchCredentialReport(
  deps: Pick<Deps, 'iam' | 'sleep' | 'logger'>,
  waitMs: number = REPORT_WAIT_MS,
): Promise<{ text: string; generatedAt: Date }> {
  let waited = 0;
  for (let delay = REPORT_POLL_FIRST_MS; ; delay = Math.min(delay * 2, REPORT_POLL_MAX_MS)) {
    const generated = await deps.iam.send(new GenerateCredentialReportCommand({}));
    let state = generated.State ?? 'UNKNOWN';
    if (state === 'COMPLETE') {
      try {
        const report = await deps.iam.send(new GetCredentialReportCommand({}));
        if (report.Content === undefined) throw new AwsCallError('GetCredentialReport returned no content');
        return {
          text: new TextDecoder().decode(report.Content),
          generatedAt: report.GeneratedTime ?? new Date(0),
        };
      } catch (error) {
        if (!REPORT_RETRYABLE.has(awsErrorName(error) ?? '')) throw error;
        state = awsErrorName(error) ?? state;
      }
    }
    if (waited >= waitMs) {
      throw new AwsCallError(`the IAM credential report was not ready after ${Math.round(waited / 1000)} s`);
    }
    const wait = Math.min(delay, waitMs - waited);
    deps.logger.debug('credential report not ready, waiting', { state, waitMs: wait });
    await deps.sleep(wait);
    waited += wait;
  }
}

const SWEEP_ACTOR = {
  type: 'iam-warden',
  arn: 'iam-warden sweep',
  issuerArn: undefined,
  sourceIp: undefined,
  userAgent: undefined,
} as const;

/** The trigger of one sweep decision; its event ID keys the remediation ID. */
export function sweepTrigger(
  run: { runId: string; startedAt: Date; account: string; region: string },
  rule: RuleName,
  subject: string,
): Trigger {
  return {
    eventId: `sweep:${run.runId}:${rule}:${subject}`,
    eventName: SWEEP_EVENT_NAME,
    eventTime: run.startedAt.toISOString(),
    account: run.account,
    region: run.region,
    actor: SWEEP_ACTOR,
    runId: run.runId,
  };
}

/** The SNS message telling a key's owner the key will be deactivated soon. */
export function formatKeyWarning(
  warning: KeyWarning,
  context: { account: string; runId: string; maxKeyAgeDays: number },
): Notification {
  const daysLeft = context.maxKeyAgeDays - warning.ageDays;
  const name = warning.userName;
  const subject = `iam-warden: access key of ${name} will be deactivated in ${daysLeft} days`;
  const body = [
    `An active access key of IAM user ${name} will be deactivated by iam-warden in ${daysLeft} days, unless it is rotated.`,
    '',
    `User:        ${name} (${warning.userArn})`,
    `Key:         access key ${warning.slot} of the user, created ${warning.createDate.toISOString()}, ${warning.ageDays} days old`,
    `Deactivated: by the first sweep after ${warning.deactivateAfter.toISOString()} (keys older than ${context.maxKeyAgeDays} days)`,
    `Account:     ${context.account}`,
    `Sweep run:   ${context.runId}`,
    '',
    'To rotate it: create a new key, move every application to it, then delete the old one:',
    `  aws iam list-access-keys --user-name ${name}`,
    `  aws iam create-access-key --user-name ${name}`,
    `  aws iam delete-access-key --user-name ${name} --access-key-id <the old key's ID>`,
    'Better still, replace the long-lived key with a role (IAM Roles Anywhere, OIDC federation, SSO).',
  ];
  return {
    // SNS subjects must be under 100 characters; a 64-character user name can push this one over.
    subject: subject.length < 100 ? subject : `${subject.slice(0, 96)}...`,
    body: body.join('\n'),
    attributes: { rule: 'access-keys', outcome: 'warning', account: context.account },
  };
}

/** Where a run stands: its identity, its IAM client, and what it has counted so far. */
interface Run {
  readonly deps: Deps;
  readonly iam: MeteredIam;
  readonly runId: string;
  readonly startedAt: Date;
  readonly account: string;
  readonly region: string;
  readonly decisions: Decision[];
  /** Records an earlier attempt of this run left unnotified, by remediation ID; taken as candidates claim them. */
  readonly unfinished: Map<string, AuditRecord>;
  /** Failures that are not a `failed` decision: publishing, warnings, unexpected errors. */
  otherFailures: number;
  warnings: number;
  /** The budget of standing changes (`MAX_ACTIONS_PER_RUN`). */
  readonly budget: StandingBudget;
  /** Standing changes this attempt made, and those it left capped: the CRITICAL summary lists both. */
  readonly standingMade: Decision[];
  readonly capped: Decision[];
  /** Fresh grants this attempt undid (never capped). */
  freshUndone: number;
}

/** Why a capped change was not made, and how a person makes it. */
function cappedReason(limit: number | undefined): string {
  return `capped: this run made MaxActionsPerRun (${limit}) standing changes; confirm with iam-warden sweep --confirm, or raise MaxActionsPerRun`;
}

/**
 * Conclude one decision with the event path's code, then publish it when it is worth telling people (see
 * PUBLISHED); a failure is counted, never allowed to stop the run.
 */
async function settle(run: Run, rule: RuleName, trigger: Trigger, concluded: Concluded): Promise<void> {
  const { decision } = concluded;
  run.decisions.push(decision);
  if (!PUBLISHED.has(decision.outcome)) {
    run.deps.logger.debug('decision', {
      rule,
      outcome: decision.outcome,
      reason: decision.reason,
      eventId: decision.eventId,
      resource: decision.resource,
    });
    return;
  }
  try {
    await publish(run.deps, concluded, trigger);
  } catch (error) {
    // publish rethrows a failed decision's error once reported: counted with the failed decisions.
    if (decision.outcome === 'failed' && error === concluded.failure) return;
    // The decision stands (made and recorded); telling people about it failed.
    run.deps.logger.error('sweep could not publish a decision', {
      rule,
      eventId: decision.eventId,
      error: describeError(error),
    });
    run.otherFailures++;
  }
}

/**
 * Read a candidate live, decide with the event path's decision, conclude and publish, resuming the record an
 * earlier attempt of this run left unfinished (`earlier`) as the event path resumes a redelivery. A read that
 * fails is a `failed` decision, as on the event path. A standing change to be made in enforce mode first takes a
 * place in the run's budget (`MAX_ACTIONS_PER_RUN`); with none left it is `capped`: decided, not made, no record.
 * A fresh grant, and a record an earlier attempt began (counted then), take no place.
 */
async function handleCandidate(
  run: Run,
  rule: RuleName,
  subject: string,
  resource: Resource,
  earlier: AuditRecord | undefined,
  readPlan: () => Promise<Plan | undefined>,
  age: ChangeAge,
): Promise<void> {
  const trigger = sweepTrigger(run, rule, subject);
  let claimed = false;
  let capped: Extract<Plan, { kind: 'act' }> | undefined;
  const readWithinCap = async (): Promise<Plan | undefined> => {
    const plan = await readPlan();
    const counted =
      plan?.kind === 'act' &&
      age === 'standing' &&
      earlier === undefined &&
      run.deps.config.modes[rule] === 'enforce';
    if (!counted) return plan;
    if (await run.budget.claim()) {
      claimed = true;
      return plan;
    }
    capped = plan;
    // A skip makes no audit record and no IAM call; the decision is reported as `capped` below.
    return { kind: 'skip', reason: cappedReason(run.budget.limit) };
  };
  let concluded: Concluded;
  try {
    concluded = await decideResuming(run.deps, rule, trigger, resource, async () => earlier, readWithinCap);
  } catch (error) {
    // What happened in IAM is unknown: counted as made, so the cap errs toward changing less.
    if (claimed) run.budget.settle(true);
    // Failures are reported as decisions; anything thrown here is unexpected (e.g. a status update that failed).
    run.deps.logger.error('sweep could not conclude a decision', {
      rule,
      eventId: trigger.eventId,
      error: describeError(error),
    });
    run.otherFailures++;
    return;
  }
  const remediated = concluded.decision.outcome === 'remediated';
  if (claimed) run.budget.settle(remediated);
  if (capped !== undefined) {
    const decision: Decision = {
      ...concluded.decision,
      outcome: 'capped',
      action: capped.action,
      reason: `${capped.reason}; ${cappedReason(run.budget.limit)}`,
    };
    run.capped.push(decision);
    run.deps.logger.warn('standing change capped', {
      rule,
      eventId: trigger.eventId,
      resource,
      maxActionsPerRun: run.budget.limit,
    });
    concluded = { decision };
  } else if (remediated && age === 'standing' && earlier === undefined) {
    run.standingMade.push(concluded.decision);
  } else if (remediated && age === 'fresh') {
    run.freshUndone++;
  }
  await settle(run, rule, trigger, concluded);
}

/** A candidate's task; claims the record an earlier attempt left for it, so it is not resumed twice. */
function candidateTask(
  run: Run,
  rule: RuleName,
  subject: string,
  resource: Resource,
  readPlan: () => Promise<Plan | undefined>,
  age: ChangeAge,
): () => Promise<void> {
  const id = remediationId(rule, sweepTrigger(run, rule, subject).eventId);
  const earlier = run.unfinished.get(id);
  run.unfinished.delete(id);
  return () => handleCandidate(run, rule, subject, resource, earlier, readPlan, age);
}

/**
 * A verdict reached from the bulk data alone (designated admin role, reserved path, deny-only policy): the
 * same every day, so not news. Concluded like any other (no call is made for it), logged and counted.
 */
async function settleByDesign(
  run: Run,
  rule: RuleName,
  subject: string,
  resource: Resource,
  plan: Plan,
): Promise<void> {
  const trigger = sweepTrigger(run, rule, subject);
  await settle(run, rule, trigger, await conclude(run.deps, rule, trigger, resource, plan));
}

/**
 * The run's one CRITICAL summary once it reached `MAX_ACTIONS_PER_RUN`: every standing change it found, made
 * or waiting for a person. A failure to send it fails the run (Lambda retries it, the cap still holding, and
 * sends it again): the capped changes are told nowhere else.
 */
async function sendCapSummary(run: Run, madeBefore: number): Promise<void> {
  try {
    await publishNotification(
      run.deps,
      formatCapSummary({
        account: run.account,
        runId: run.runId,
        startedAt: run.startedAt,
        limit: run.budget.limit ?? 0,
        madeBefore,
        made: run.standingMade,
        capped: run.capped,
        freshUndone: run.freshUndone,
      }),
    );
  } catch (error) {
    run.deps.logger.error('sweep could not send the capped summary', { error: describeError(error) });
    run.otherFailures++;
  }
}

/** Run tasks `concurrency` at a time, in order; returns how many were not started because time ran out. */
async function runPool(
  tasks: readonly (() => Promise<void>)[],
  concurrency: number,
  hasTime: () => boolean,
): Promise<number> {
  let next = 0;
  let deferred = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      if (task === undefined) continue;
      if (!hasTime()) {
        deferred++;
        continue;
      }
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return deferred;
}

/** Any ARN of the account: a user's, a role's, or the root user's in the report. */
function someArn(inventory: Inventory, report: CredentialReport): string {
  return inventory.users[0]?.arn ?? inventory.roles[0]?.arn ?? report.rows[0]?.arn ?? '';
}

function count(decisions: readonly Decision[], outcome: Outcome): number {
  return decisions.filter((decision) => decision.outcome === outcome).length;
}

/**
 * Reconcile the whole account once: read the credential report and the authorization details, decide what
 * they show with the event path's decisions, and act only on the offenders, each read again live first, through
 * the event path's `conclude` and `publish`. Also warns owners of keys nearing the limit when
 * `EARLY_WARNING_DAYS` is set. IAM calls never exceed `IAM_CALLS_PER_SECOND`. A failure on one offender is
 * reported and counted; the run goes on. Errors reading the report or the details propagate.
 */
export async function runSweep(deps: Deps, options: SweepOptions): Promise<SweepReport> {
  const wallStart = performance.now();
  const clockStart = deps.clock();
  const startedAt = options.now ?? clockStart;
  const rate = options.iamCallsPerSecond ?? deps.config.iamCallsPerSecond;
  const limiter =
    options.limiter ??
    (Number.isFinite(rate) ? new RateLimiter({ ratePerSecond: rate, sleep: deps.sleep }) : undefined);
  const iam = meterIam(deps.iam, limiter);
  const runDeps: Deps = {
    ...deps,
    iam,
    // `now` shifts the clock, keeping it moving: audit records of one run stay in order.
    clock:
      options.now === undefined
        ? deps.clock
        : () => new Date(startedAt.getTime() + (deps.clock().getTime() - clockStart.getTime())),
    // Candidates existed a moment ago: a missing one was deleted, not "not visible yet".
    config: { ...deps.config, notFoundRetrySeconds: 0 },
  };
  const { config, logger } = runDeps;

  const [reportText, inventory, earlierRecords] = await Promise.all([
    fetchCredentialReport(runDeps, options.reportWaitMs),
    readInventory(iam),
    options.mayResume === false ? Promise.resolve([]) : recordsOfRun(runDeps, options.runId),
  ]);
  const unfinished = unfinishedOf(earlierRecords);
  const readMs = Math.round(performance.now() - wallStart);
  const report = parseCredentialReport(reportText.text);
  if (report.missingColumns.length > 0) {
    throw new AwsCallError(`the IAM credential report lacks columns ${report.missingColumns.join(', ')}`);
  }
  if (report.badLines.length > 0) {
    logger.warn('credential report lines unreadable; their users are checked directly', {
      lines: report.badLines.slice(0, 20),
      count: report.badLines.length,
    });
  }
  // The account is the scheduled event's, else the one IAM's own ARNs name (the credential report always has
  // the root user's row); the partition is the deployment's (see lib/config.ts), as on the event path.
  const account =
    options.account ?? /^arn:[\w-]+:iam::(\d{12}):/.exec(someArn(inventory, report))?.[1] ?? 'unknown';
  const { partition } = config;
  const userCreated = new Map(inventory.users.map((user) => [user.name, user.createDate]));
  const roleCreated = new Map(inventory.roles.map((role) => [role.name, role.createDate]));
  /** Whether undoing an action is a standing change or undoes a fresh grant (see `changeAge`). */
  const ageOf = (rule: RuleName, action: AuditRecord['action']): ChangeAge => {
    const entityCreatedAt =
      action.kind === 'detach-policy'
        ? roleCreated.get(action.roleName)
        : action.kind === 'delete-inline-policy'
          ? userCreated.get(action.userName)
          : undefined;
    return changeAge({ rule, entityCreatedAt }, startedAt);
  };
  // A Lambda retry is the same run: the standing changes its earlier attempts made (or began) count against the cap.
  const madeBefore = earlierRecords.filter(
    (record) =>
      record.mode === 'enforce' &&
      (record.status === 'applied' || record.status === 'pending') &&
      ageOf(record.rule, record.action) === 'standing',
  ).length;
  const run: Run = {
    deps: runDeps,
    iam,
    runId: options.runId,
    startedAt,
    account,
    region: options.region ?? 'us-east-1',
    decisions: [],
    unfinished: new Map(unfinished.map((record) => [record.id, record])),
    otherFailures: 0,
    warnings: 0,
    budget: new StandingBudget(options.confirmed ? undefined : config.maxActionsPerRun, madeBefore),
    standingMade: [],
    capped: [],
    freshUndone: 0,
  };

  const admin = adminPolicyFindings(inventory.roles, config.adminRolePatterns);
  const inline = inlinePolicyFindings(inventory.users);
  const keys = selectKeyCandidates(report, startedAt, config.maxKeyAgeDays);
  const unreported = usersMissingFromReport(inventory.users, report, reportText.generatedAt);
  const keyUsers = [...new Set([...keys.users, ...unreported])];
  const userArn = new Map(inventory.users.map((user) => [user.name, user.arn]));
  const modeOff = (rule: RuleName): boolean => config.modes[rule] === 'off';

  // Each candidate is read live before deciding: what the listing showed may have changed since.
  const readAdminPlan = async (role: RoleDetails, policyArn: string): Promise<Plan | undefined> => {
    // A role's name and path never change; what is attached may have since the listing. The trust policy is the
    // listing's, read moments ago: a change to it since is judged by the next run.
    const attached = await readLive(runDeps, () => attachedPolicyArns(iam, role.name));
    if (attached === GONE) return undefined;
    return decideAdminPolicy({
      role,
      policyArn,
      attachedPolicyArns: attached,
      adminRolePatterns: config.adminRolePatterns,
    });
  };
  const readInlinePlan = async (userName: string, policyName: string): Promise<Plan | undefined> => {
    // The document is read again: what is saved must be exactly what is deleted.
    const document = await readLive(runDeps, () => getUserPolicyDocument(iam, userName, policyName));
    if (document === GONE) return undefined;
    return decideInlinePolicy({ userName, policyName, policyDocument: document });
  };
  const readKeyPlan = async (userName: string): Promise<Plan | undefined> => {
    const live = await readLive(runDeps, () => listAccessKeys(iam, userName));
    if (live === GONE) return undefined;
    return decideAccessKeys({
      userName,
      keys: live,
      createdKeyId: undefined,
      now: runDeps.clock(),
      maxKeyAgeDays: config.maxKeyAgeDays,
    });
  };

  const tasks: (() => Promise<void>)[] = [];
  // Most dangerous first, in case time runs out: administrator access, then inline grants, then old keys.
  if (!modeOff('admin-policy')) {
    for (const { subject, plan } of admin) {
      const { role, policyArn } = subject;
      const resource: Resource = { type: 'role', name: role.name, arn: role.arn };
      if (plan.kind !== 'act') {
        await settleByDesign(run, 'admin-policy', role.name, resource, plan);
        continue;
      }
      const age = changeAge({ rule: 'admin-policy', entityCreatedAt: role.createDate }, startedAt);
      tasks.push(
        candidateTask(run, 'admin-policy', role.name, resource, () => readAdminPlan(role, policyArn), age),
      );
    }
  }
  if (!modeOff('inline-policy')) {
    for (const { subject, plan } of inline) {
      const { user, policyName } = subject;
      const resource: Resource = { type: 'user', name: user.name, arn: user.arn };
      // User and policy names cannot hold ':', so the pair names the finding unambiguously.
      const name = `${user.name}:${policyName}`;
      if (plan.kind !== 'act') {
        await settleByDesign(run, 'inline-policy', name, resource, plan);
        continue;
      }
      const age = changeAge({ rule: 'inline-policy', entityCreatedAt: user.createDate }, startedAt);
      tasks.push(
        candidateTask(run, 'inline-policy', name, resource, () => readInlinePlan(user.name, policyName), age),
      );
    }
  }
  if (!modeOff('access-keys')) {
    if (keys.rootPlan !== undefined) {
      const resource: Resource = { type: 'root', name: 'root', arn: `arn:${partition}:iam::${account}:root` };
      const trigger = sweepTrigger(run, 'access-keys', 'root');
      tasks.push(async () =>
        settle(
          run,
          'access-keys',
          trigger,
          await conclude(runDeps, 'access-keys', trigger, resource, keys.rootPlan),
        ),
      );
    }
    for (const userName of keyUsers) {
      const arn = userArn.get(userName);
      const resource: Resource = { type: 'user', name: userName, ...(arn ? { arn } : {}) };
      tasks.push(
        candidateTask(run, 'access-keys', userName, resource, () => readKeyPlan(userName), 'standing'),
      );
    }
    const warnings = selectKeyWarnings(report, startedAt, config.maxKeyAgeDays, config.earlyWarningDays);
    for (const warning of warnings) {
      tasks.push(async () => {
        try {
          await publishNotification(
            runDeps,
            formatKeyWarning(warning, { account, runId: run.runId, maxKeyAgeDays: config.maxKeyAgeDays }),
          );
          run.warnings++;
        } catch (error) {
          logger.error('sweep could not send a key warning', {
            userName: warning.userName,
            error: describeError(error),
          });
          run.otherFailures++;
        }
      });
    }
  }

  // What an earlier attempt of this run changed, or began to, and never notified, whose offender the listing no
  // longer shows (it was fixed): finished from its record, first.
  const leftovers: (() => Promise<void>)[] = [];
  for (const record of run.unfinished.values()) {
    // A rule turned off since still gets what it already did notified; it starts nothing.
    if (modeOff(record.rule) && record.status === 'pending') continue;
    const subject = record.trigger.eventId.slice(`sweep:${run.runId}:${record.rule}:`.length);
    const { action } = record;
    const readPlan = (): Promise<Plan | undefined> => {
      switch (action.kind) {
        case 'deactivate-keys':
          return readKeyPlan(action.userName);
        case 'delete-inline-policy':
          return readInlinePlan(action.userName, action.policyName);
        case 'detach-policy': {
          const role = inventory.roles.find((candidate) => candidate.name === action.roleName);
          return role === undefined ? Promise.resolve(undefined) : readAdminPlan(role, action.policyArn);
        }
        case 'quarantine':
          // Only the event path quarantines (a sweep has no caller to quarantine); no sweep run records one.
          return Promise.resolve(undefined);
      }
    };
    leftovers.push(
      candidateTask(run, record.rule, subject, record.resource, readPlan, ageOf(record.rule, action)),
    );
  }
  tasks.unshift(...leftovers);

  const remainingMs = options.remainingMs;
  const deferred = await runPool(
    tasks,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    () => remainingMs === undefined || remainingMs() > DEADLINE_MARGIN_MS,
  );

  if (run.capped.length > 0) await sendCapSummary(run, madeBefore);

  const { decisions } = run;
  const result: SweepReport = {
    runId: run.runId,
    startedAt: startedAt.toISOString(),
    reportGeneratedAt: reportText.generatedAt.toISOString(),
    durationMs: Math.round(performance.now() - wallStart),
    readMs,
    users: inventory.users.length,
    roles: inventory.roles.length,
    candidates: {
      'admin-policy': modeOff('admin-policy')
        ? 0
        : admin.filter((finding) => finding.plan.kind === 'act').length,
      'inline-policy': modeOff('inline-policy')
        ? 0
        : inline.filter((finding) => finding.plan.kind === 'act').length,
      'access-keys': modeOff('access-keys') ? 0 : keyUsers.length + (keys.rootPlan === undefined ? 0 : 1),
    },
    remediated: count(decisions, 'remediated'),
    wouldRemediate: count(decisions, 'would-remediate'),
    skipped: count(decisions, 'skipped'),
    alerts: count(decisions, 'alert'),
    ignored: count(decisions, 'ignored'),
    failed: count(decisions, 'failed') + run.otherFailures,
    deferred,
    capped: run.capped.length,
    maxActionsPerRun: run.budget.limit,
    warnings: run.warnings,
    unreadableReportLines: report.badLines.length,
    iamCalls: { ...iam.calls },
    iamCallsTotal: iam.total(),
    decisions,
  };
  const { decisions: _, ...summary } = result;
  if (deferred > 0 || result.failed > 0) logger.warn('sweep incomplete', summary);
  else logger.info('sweep done', summary);
  return result;
}

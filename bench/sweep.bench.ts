/**
 * The scheduled sweep against a naive per-user scan, on one moto account of 2,000 users and 300 roles, in the
 * same process: IAM calls by operation and wall time, measured; then both projected to 5,000 users and
 * 3,000 roles with IAM's real page sizes and the configured IAM call rate.
 *
 * The naive scan only *finds* offenders: `ListUsers`, then per user `ListAccessKeys` and `ListUserPolicies`;
 * `ListRoles`, then per role `ListAttachedRolePolicies`. The sweep is measured, without a rate limit (the
 * projection applies it), as:
 * 1. the first run on the seeded account, in notify mode (nothing changes between samples), with the audit
 *    table, SNS and EventBridge answered in-process: only its IAM work is timed, like the naive scan's;
 *    every seeded offender is a candidate, read live once more and decided;
 * 2. the same, end to end on moto (audit records, notifications, result events), once;
 * 3. enforce mode, end to end, once: remediates every offender, its writes counted;
 * 4. the daily run after that, end to end: what a scheduled run costs once the account is clean, in which
 *    only the keys that turned old since yesterday and what events missed are left to find.
 *
 * moto returns `GetAccountAuthorizationDetails` and `ListUsers` in one page whatever `MaxItems` says, and its
 * EventBridge spends about a second matching each `PutEvents` against a rule (it rebuilds a JSONPath parser
 * per event), so the results tap rule that lib/local/provision.ts creates is removed here: the result events
 * still go to the bus, as in production.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteRuleCommand, EventBridgeClient, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRolesCommand,
  type ListRolesCommandOutput,
  ListUserPoliciesCommand,
  ListUsersCommand,
  type ListUsersCommandOutput,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { createDeps } from '../lib/aws.js';
import { loadConfig } from '../lib/config.js';
import type { Clients } from '../lib/deps.js';
import { startMoto } from '../lib/local/moto.js';
import { localClientConfig, provisionLocal } from '../lib/local/provision.js';
import { type MeteredIam, meterIam } from '../lib/rate-limit.js';
import { runSweep, type SweepReport } from '../lib/sweep.js';
import { type Benchmark, median } from './support.js';

const USERS = 2_000;
const ROLES = 300;
/** The seeded share: offenders of each rule, and look-alikes that are fine. */
const ACTIVE_KEY_USERS = 150;
const INACTIVE_KEY_USERS = 150;
const ALLOW_POLICY_USERS = 60;
const DENY_POLICY_USERS = 20;
const ADMIN_ROLES = 20;
const BREAK_GLASS_ROLES = 5;
const SEED_CONCURRENCY = 16;
/** Offenders handled at once by the sweep, and users scanned at once by the naive scan. */
const CONCURRENCY = 16;

/** The account the projection is for: issue 6's largest. */
const PROJECTED_USERS = 5_000;
const PROJECTED_ROLES = 3_000;
/** `GetAccountAuthorizationDetails`, `ListUsers` and `ListRoles` return at most 1,000 items a page. */
const PAGE = 1_000;
/** A report IAM is generating takes a few polls; IAM reuses one for 4 hours. Assumed: 3 calls + `Get`. */
const REPORT_CALLS = 4;
/** Lambda's limit, and the sweep's own stop margin before it. */
const LAMBDA_LIMIT_S = 900;

/** Targets of issue 6. */
const MAX_PROJECTED_BULK_READS = 60;
const MIN_SPEEDUP = 10;

const DAY_MS = 86_400_000;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ALLOW = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});
const DENY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
});

/** Run `work` on every item, `concurrency` at a time. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

async function seed(iam: IAMClient): Promise<void> {
  const users = Array.from({ length: USERS }, (_, i) => i);
  await pool(users, SEED_CONCURRENCY, async (i) => {
    const UserName = `bench-user-${String(i).padStart(4, '0')}`;
    await iam.send(new CreateUserCommand({ UserName }));
    let index = i;
    if (index < ACTIVE_KEY_USERS) {
      await iam.send(new CreateAccessKeyCommand({ UserName }));
      return;
    }
    index -= ACTIVE_KEY_USERS;
    if (index < INACTIVE_KEY_USERS) {
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName }));
      await iam.send(
        new UpdateAccessKeyCommand({ UserName, AccessKeyId: AccessKey?.AccessKeyId, Status: 'Inactive' }),
      );
      return;
    }
    index -= INACTIVE_KEY_USERS;
    if (index < ALLOW_POLICY_USERS + DENY_POLICY_USERS) {
      const document = index < ALLOW_POLICY_USERS ? ALLOW : DENY;
      await iam.send(new PutUserPolicyCommand({ UserName, PolicyName: 'inline', PolicyDocument: document }));
    }
  });
  const roles = Array.from({ length: ROLES }, (_, i) => i);
  await pool(roles, SEED_CONCURRENCY, async (i) => {
    const admin = i < ADMIN_ROLES;
    const breakGlass = !admin && i < ADMIN_ROLES + BREAK_GLASS_ROLES;
    const RoleName = breakGlass ? `bench-break-glass-${i}` : `bench-role-${String(i).padStart(4, '0')}`;
    await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: TRUST }));
    if (admin || breakGlass) await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: ADMIN }));
  });
}

interface NaiveResult {
  readonly ms: number;
  readonly calls: Readonly<Record<string, number>>;
  readonly total: number;
  /** What it found: users with an active key, inline policies, roles with AdministratorAccess. */
  readonly found: {
    readonly activeKeyUsers: number;
    readonly inlinePolicies: number;
    readonly adminRoles: number;
  };
}

/** The per-user scan the sweep replaces: every user's keys and policies, every role's attached policies. */
async function naiveScan(client: IAMClient): Promise<NaiveResult> {
  const iam: MeteredIam = meterIam(client);
  const started = performance.now();
  const users: string[] = [];
  let marker: string | undefined;
  do {
    const page: ListUsersCommandOutput = await iam.send(
      new ListUsersCommand({ MaxItems: PAGE, Marker: marker }),
    );
    for (const user of page.Users ?? []) if (user.UserName) users.push(user.UserName);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  const found = { activeKeyUsers: 0, inlinePolicies: 0, adminRoles: 0 };
  await pool(users, CONCURRENCY, async (UserName) => {
    const keys = await iam.send(new ListAccessKeysCommand({ UserName }));
    if ((keys.AccessKeyMetadata ?? []).some((key) => key.Status === 'Active')) found.activeKeyUsers++;
    const policies = await iam.send(new ListUserPoliciesCommand({ UserName }));
    found.inlinePolicies += policies.PolicyNames?.length ?? 0;
  });
  const roles: string[] = [];
  marker = undefined;
  do {
    const page: ListRolesCommandOutput = await iam.send(
      new ListRolesCommand({ MaxItems: PAGE, Marker: marker }),
    );
    for (const role of page.Roles ?? []) if (role.RoleName) roles.push(role.RoleName);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  await pool(roles, CONCURRENCY, async (RoleName) => {
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }));
    if ((attached.AttachedPolicies ?? []).some((policy) => policy.PolicyArn === ADMIN)) found.adminRoles++;
  });
  return { ms: performance.now() - started, calls: { ...iam.calls }, total: iam.total(), found };
}

const WRITE = /^(Update|Delete|Detach|Put|Attach|Create)/;

/**
 * The audit table, SNS and EventBridge, answered in-process: what each call would return on success (no audit
 * record exists yet, no history). The sweep's IAM work is then all that is timed.
 */
function inProcessSinks(): Pick<Clients, 'sns' | 'events' | 'dynamo'> {
  const answer = (command: { constructor: { name: string } }): unknown => {
    switch (command.constructor.name) {
      case 'QueryCommand':
        return { Items: [] };
      case 'PutEventsCommand':
        return { FailedEntryCount: 0, Entries: [{ EventId: 'in-process' }] };
      default:
        return {};
    }
  };
  const client = { send: async (command: { constructor: { name: string } }) => answer(command) };
  return {
    sns: client as unknown as Clients['sns'],
    events: client as unknown as Clients['events'],
    dynamo: client as unknown as Clients['dynamo'],
  };
}

function sum(calls: Readonly<Record<string, number>>, filter: (operation: string) => boolean): number {
  return Object.entries(calls)
    .filter(([operation]) => filter(operation))
    .reduce((total, [, count]) => total + count, 0);
}

const BULK = new Set(['GenerateCredentialReport', 'GetCredentialReport', 'GetAccountAuthorizationDetails']);

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

const benchmark: Benchmark = {
  description: `scheduled sweep vs naive per-user scan: moto, ${USERS} users, ${ROLES} roles`,
  async run({ runs, log }) {
    const moto = await startMoto();
    const local = localClientConfig({ endpoint: moto.endpoint });
    const iam = new IAMClient(local);
    const clients = {
      iam,
      sns: new SNSClient(local),
      events: new EventBridgeClient(local),
      dynamo: new DynamoDBClient(local),
    };
    try {
      const resources = await provisionLocal({ endpoint: moto.endpoint });
      await clients.events.send(
        new RemoveTargetsCommand({ Rule: 'iam-warden-results', Ids: ['results-tap'] }),
      );
      await clients.events.send(new DeleteRuleCommand({ Name: 'iam-warden-results' }));
      log(`seeding ${USERS} users and ${ROLES} roles (not measured)`);
      const seedStart = performance.now();
      await seed(iam);
      log(`seeded in ${seconds(performance.now() - seedStart)}`);

      const config = loadConfig({
        ...resources.env,
        MODE_ACCESS_KEYS: 'notify',
        MODE_ADMIN_POLICY: 'notify',
        MODE_INLINE_POLICY: 'notify',
      });
      const logger = new Logger({ serviceName: 'iam-warden', logLevel: 'ERROR' });
      const endToEndDeps = { ...createDeps(config, clients), logger };
      const findingDeps = { ...createDeps(config, { ...clients, ...inProcessSinks() }), logger };
      const enforceDeps = {
        ...createDeps(
          loadConfig({
            ...resources.env,
            MODE_ACCESS_KEYS: 'enforce',
            MODE_ADMIN_POLICY: 'enforce',
            MODE_INLINE_POLICY: 'enforce',
          }),
          clients,
        ),
        logger,
      };
      const rate = config.iamCallsPerSecond;
      let sweepRun = 0;
      const sweep = (deps: typeof endToEndDeps) =>
        runSweep(deps, {
          runId: `bench-${sweepRun++}`,
          // moto cannot backdate keys: 100 days from now, every key it made is old.
          now: new Date(Date.now() + 100 * DAY_MS),
          iamCallsPerSecond: Number.POSITIVE_INFINITY,
          concurrency: CONCURRENCY,
        });

      // The credential report is generated once and reused (as IAM does for 4 hours); this first sweep waits
      // for it, so every sample below reads a ready report, as most scheduled runs do.
      const warmUp = await sweep(findingDeps);
      log(`warm-up sweep: ${seconds(warmUp.durationMs)} (credential report generated)`);

      // A naive scan takes half a minute on moto: a few samples tell the spread well enough.
      const samples = Math.max(1, Math.min(runs, 3));
      const naives: NaiveResult[] = [];
      /** Samples of the sweep alternated with the naive scan, so both share the machine's (and moto's) drift. */
      const alternate = async (phase: string, deps: typeof endToEndDeps): Promise<SweepReport[]> => {
        const reports: SweepReport[] = [];
        for (let sample = 0; sample < samples; sample++) {
          if (sample % 2 === 1) naives.push(await naiveScan(iam));
          reports.push(await sweep(deps));
          if (sample % 2 === 0) naives.push(await naiveScan(iam));
          log(
            `${phase} ${sample + 1}/${samples}: sweep ${seconds(reports.at(-1)?.durationMs ?? 0)}, naive ${seconds(naives.at(-1)?.ms ?? 0)}`,
          );
        }
        return reports;
      };

      // 1. The first run on an untidy account: every seeded offender is a candidate, read live and decided.
      const firstRuns = await alternate('first run', findingDeps);
      const notifyEndToEnd = await sweep(endToEndDeps);
      log(`first run end to end (notify): ${seconds(notifyEndToEnd.durationMs)}`);
      // 2. Enforce, end to end: remediates every offender, the writes counted.
      const enforce = await sweep(enforceDeps);
      log(`enforce end to end: ${seconds(enforce.durationMs)}`);
      // 3. The daily run after that, end to end on moto: nothing left to do but read the account.
      const dailyRuns = await alternate('daily run', enforceDeps);

      const first = firstRuns[0] as SweepReport;
      const daily = dailyRuns[0] as SweepReport;
      const naive = naives[0] as NaiveResult;
      const firstMs = median(firstRuns.map((report) => report.durationMs));
      const dailyMs = median(dailyRuns.map((report) => report.durationMs));
      const naiveMs = median(naives.map((result) => result.ms));
      const bulkReads = sum(first.iamCalls, (operation) => BULK.has(operation));
      const candidateReads = sum(
        first.iamCalls,
        (operation) => !BULK.has(operation) && !WRITE.test(operation),
      );
      const offenders = first.wouldRemediate;
      const enforceWrites = sum(enforce.iamCalls, (operation) => WRITE.test(operation));

      // Projection to the largest account, with real page sizes and this run's share of offenders.
      const projectedBulk = REPORT_CALLS + Math.ceil((PROJECTED_USERS + PROJECTED_ROLES) / PAGE);
      const scale = PROJECTED_USERS / USERS;
      const projectedCandidateReads = Math.round(candidateReads * scale);
      const projectedWrites = Math.round(enforceWrites * scale);
      const projectedFirst = projectedBulk + projectedCandidateReads + projectedWrites;
      const projectedNaive =
        Math.ceil(PROJECTED_USERS / PAGE) +
        2 * PROJECTED_USERS +
        Math.ceil(PROJECTED_ROLES / PAGE) +
        PROJECTED_ROLES;

      const seededOffenders = ACTIVE_KEY_USERS + ALLOW_POLICY_USERS + ADMIN_ROLES;
      const seededWrites = ACTIVE_KEY_USERS + ALLOW_POLICY_USERS + ADMIN_ROLES;
      const failures: string[] = [];
      if (projectedBulk > MAX_PROJECTED_BULK_READS) {
        failures.push(
          `projected bulk reads for ${PROJECTED_USERS} users: ${projectedBulk} > ${MAX_PROJECTED_BULK_READS}`,
        );
      }
      if (bulkReads > REPORT_CALLS)
        failures.push(`the sweep made ${bulkReads} bulk reads on a one-page account`);
      for (const report of [...firstRuns, notifyEndToEnd, ...dailyRuns]) {
        const writes = sum(report.iamCalls, (operation) => WRITE.test(operation));
        if (writes > 0)
          failures.push(`sweep ${report.runId} wrote to IAM ${writes} times with nothing to remediate`);
      }
      if (enforceWrites !== seededWrites || enforce.remediated !== seededOffenders || enforce.failed > 0) {
        failures.push(
          `enforce: ${enforce.remediated} remediated, ${enforce.failed} failed, ${enforceWrites} writes; seeded ${seededOffenders} offenders, ${seededWrites} writes`,
        );
      }
      for (const report of [...firstRuns, notifyEndToEnd]) {
        if (report.wouldRemediate !== seededOffenders || report.failed > 0) {
          failures.push(
            `sweep ${report.runId} found ${report.wouldRemediate} offenders, not the seeded ${seededOffenders}`,
          );
        }
      }
      if (daily.remediated + daily.wouldRemediate + daily.failed > 0) {
        failures.push(`the daily run after enforce still acted: ${JSON.stringify(daily)}`);
      }
      const expected = {
        activeKeyUsers: ACTIVE_KEY_USERS,
        inlinePolicies: ALLOW_POLICY_USERS + DENY_POLICY_USERS,
        adminRoles: ADMIN_ROLES + BREAK_GLASS_ROLES,
      };
      if (JSON.stringify(naive.found) !== JSON.stringify(expected)) {
        failures.push(
          `the naive scan found ${JSON.stringify(naive.found)}, not the seeded ${JSON.stringify(expected)}`,
        );
      }
      if (naiveMs / dailyMs < MIN_SPEEDUP) {
        failures.push(
          `the daily sweep is only ${(naiveMs / dailyMs).toFixed(1)}× faster than the naive scan (target ${MIN_SPEEDUP}×)`,
        );
      }
      const projectedFirstS = projectedFirst / rate;
      if (projectedFirstS > LAMBDA_LIMIT_S - 60) {
        failures.push(
          `projected first run at ${rate} calls/s: ${projectedFirstS.toFixed(0)} s, over Lambda's limit`,
        );
      }

      const fmt = (calls: Readonly<Record<string, number>>) =>
        Object.entries(calls)
          .map(([operation, count]) => `${operation} ${count}`)
          .join(', ');
      const row = (name: string, report: SweepReport, ms: number) => [
        name,
        String(report.iamCallsTotal),
        String(sum(report.iamCalls, (operation) => BULK.has(operation))),
        String(sum(report.iamCalls, (operation) => !BULK.has(operation) && !WRITE.test(operation))),
        String(sum(report.iamCalls, (operation) => WRITE.test(operation))),
        seconds(ms),
        `${(naiveMs / ms).toFixed(1)}×`,
      ];
      const projected = (name: string, bulk: number, perEntity: number, writes: number) => {
        const total = bulk + perEntity + writes;
        return [
          name,
          String(total),
          String(bulk),
          String(perEntity),
          String(writes),
          `${(total / rate).toFixed(0)} s`,
          `${(projectedNaive / total).toFixed(1)}×`,
        ];
      };
      const at = `${PROJECTED_USERS} users + ${PROJECTED_ROLES} roles at ${rate}/s`;
      return {
        title:
          `${USERS} users (${ACTIVE_KEY_USERS} with active keys, all old as of +100 days; ${INACTIVE_KEY_USERS} with inactive keys; ` +
          `${ALLOW_POLICY_USERS} + ${DENY_POLICY_USERS} with allow / deny-only inline policies), ${ROLES} roles ` +
          `(${ADMIN_ROLES} + ${BREAK_GLASS_ROLES} break-glass with AdministratorAccess) on moto; medians of ${samples} (naive: ${naives.length})`,
        columns: [
          'approach',
          'IAM calls',
          'bulk reads',
          'per-entity reads',
          'writes',
          'wall time',
          'vs naive',
        ],
        rows: [
          row('sweep, first run, notify (sinks in-process)', first, firstMs),
          row('sweep, first run, notify, end to end', notifyEndToEnd, notifyEndToEnd.durationMs),
          row('sweep, first run, enforce, end to end', enforce, enforce.durationMs),
          row('sweep, daily run after it, end to end', daily, dailyMs),
          [
            'naive per-user scan (finds only)',
            String(naive.total),
            '0',
            String(naive.total),
            '0',
            seconds(naiveMs),
            '1.0×',
          ],
          projected(
            `projected sweep first run, enforce, ${at}`,
            projectedBulk,
            projectedCandidateReads,
            projectedWrites,
          ),
          projected(`projected sweep daily run, ${at}`, projectedBulk, 0, 0),
          projected(`projected naive scan, ${at}`, 0, projectedNaive, 0),
        ],
        notes: [
          `sweep calls, first run: ${fmt(first.iamCalls)}`,
          `sweep calls, daily run: ${fmt(daily.iamCalls)}`,
          `naive calls: ${fmt(naive.calls)}`,
          `the sweep reads the account in ${bulkReads} bulk calls whatever its size (moto answers GetAccountAuthorizationDetails in one page), then reads each of its ${offenders} candidates live once before deciding (ListAccessKeys; GetUserPolicy; ListAttachedRolePolicies): the first run on an account with offenders is bound by those`,
          `"sinks in-process": audit table, SNS and EventBridge answered in this process, so only the IAM work is timed, as the naive scan's is; end to end, moto serves the per-offender audit record, history query, notification and result event one request at a time (${seconds(notifyEndToEnd.durationMs - notifyEndToEnd.readMs)} for ${offenders} offenders), far slower than AWS; the naive scan would pay the same to act on what it found`,
          `projection: ${REPORT_CALLS} credential report calls + ceil(${PROJECTED_USERS + PROJECTED_ROLES} entities / ${PAGE}) details pages = ${projectedBulk} bulk reads; first-run candidate reads and writes scaled from this run's offenders (${offenders} of ${USERS + ROLES} entities); time = IAM calls / IAM_CALLS_PER_SECOND, which hides IAM's latency; Lambda's limit is ${LAMBDA_LIMIT_S} s`,
          `naive projection: ceil(${PROJECTED_USERS}/${PAGE}) ListUsers + ${PROJECTED_USERS} × (ListAccessKeys + ListUserPolicies) + ceil(${PROJECTED_ROLES}/${PAGE}) ListRoles + ${PROJECTED_ROLES} ListAttachedRolePolicies`,
          `target (issue 6): the daily run at least ${MIN_SPEEDUP}× faster than the naive scan; the first run's figure is shown next to it`,
        ],
        failures,
        data: {
          users: USERS,
          roles: ROLES,
          seeded: {
            activeKeyUsers: ACTIVE_KEY_USERS,
            inactiveKeyUsers: INACTIVE_KEY_USERS,
            allowPolicyUsers: ALLOW_POLICY_USERS,
            denyPolicyUsers: DENY_POLICY_USERS,
            adminRoles: ADMIN_ROLES,
            breakGlassRoles: BREAK_GLASS_ROLES,
          },
          concurrency: CONCURRENCY,
          firstRun: {
            samplesMs: firstRuns.map((report) => report.durationMs),
            bulkReadMs: firstRuns.map((report) => report.readMs),
            medianMs: firstMs,
            iamCalls: first.iamCalls,
            iamCallsTotal: first.iamCallsTotal,
            bulkReads,
            candidateReads,
            offenders,
            candidates: first.candidates,
            skipped: first.skipped,
            speedup: naiveMs / firstMs,
          },
          firstRunEndToEnd: {
            ms: notifyEndToEnd.durationMs,
            bulkReadMs: notifyEndToEnd.readMs,
            iamCalls: notifyEndToEnd.iamCalls,
            offenders: notifyEndToEnd.wouldRemediate,
          },
          enforceEndToEnd: {
            ms: enforce.durationMs,
            iamCalls: enforce.iamCalls,
            remediated: enforce.remediated,
            writes: enforceWrites,
          },
          dailyRun: {
            samplesMs: dailyRuns.map((report) => report.durationMs),
            medianMs: dailyMs,
            iamCalls: daily.iamCalls,
            iamCallsTotal: daily.iamCallsTotal,
            speedup: naiveMs / dailyMs,
          },
          naive: {
            samplesMs: naives.map((result) => result.ms),
            medianMs: naiveMs,
            iamCalls: naive.calls,
            total: naive.total,
            found: naive.found,
          },
          projection: {
            users: PROJECTED_USERS,
            roles: PROJECTED_ROLES,
            iamCallsPerSecond: rate,
            bulkReads: projectedBulk,
            firstRun: {
              candidateReads: projectedCandidateReads,
              writes: projectedWrites,
              seconds: projectedFirstS,
            },
            dailyRun: { seconds: projectedBulk / rate },
            naive: { reads: projectedNaive, seconds: projectedNaive / rate },
          },
        },
      };
    } finally {
      for (const client of Object.values(clients)) client.destroy();
      await moto.stop();
    }
  },
};

export default benchmark;

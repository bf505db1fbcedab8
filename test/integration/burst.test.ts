import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.js';
import { createDeps } from '../../lib/aws.js';
import { handlerInvoker, type RedriveEntry, redrive } from '../../lib/cli/redrive.js';
import { type Config, loadConfig, type RuleName } from '../../lib/config.js';
import type { Clients } from '../../lib/deps.js';
import { createHandler, idempotencyStore } from '../../lib/handler.js';
import {
  AUDIT_TABLE,
  type LocalResources,
  type Notification,
  readNotifications,
} from '../../lib/local/provision.js';
import type { Decision, Outcome } from '../../lib/plan.js';
import { BudgetedRetryStrategy, IAM_WARDEN_RETRY, type RetryBudgetOptions } from '../../lib/retry.js';
import { RULES_BY_FUNCTION } from '../../lib/rules/index.js';
import { readAll } from '../../lib/table.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  calledByRole,
  createAccessKeyEvent,
  type IamEventEnvelope,
  MOTO_ACCOUNT,
  putUserPolicyEvent,
  updateAccessKeyEvent,
} from '../support/events.js';
import { type FaultProxy, seededRandom, startFaultProxy } from '../support/fault-proxy.js';
import { clockDaysAhead, ENFORCE, freshAccount } from '../support/integration.js';
import { type Settled, SimulatedFunction } from '../support/lambda.js';
import { localAws, motoEndpoint } from '../support/moto.js';

/**
 * 1,000 IAM events at once, through the real handlers (idempotency on moto's DynamoDB included), with IAM
 * behind a proxy that throttles a fifth of the calls and drops connections before and after moto applied them,
 * and Lambda's asynchronous retries and on-failure destination simulated (test/support/lambda.ts).
 */

const SEED = 20_250_601;
const REPEAT_LIMIT = 3;
const EXEMPT_TAG_KEY = 'iam-warden:exempt';
const OWN_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/iam-warden-AdminPolicyRole-BURST`;
/** Every character IAM allows in user, role and policy names besides letters and digits. */
const LEGAL = '+=,.@_-';
/** Designated in ADMIN_ROLE_PATTERNS by its ARN. */
const BREAK_GLASS_ROLE = `ops${LEGAL}break-glass`;
const STACK = 'iam-warden';
/** ReservedConcurrentExecutions in template.yaml. */
const CONCURRENCY = 5;
/**
 * iam-warden's retry settings with the waits cut down: the same attempts and budget, so a burst exercises the
 * same give-up points, without sleeping for real seconds.
 */
const TEST_RETRY: RetryBudgetOptions = {
  ...IAM_WARDEN_RETRY,
  baseDelayMs: 2,
  throttlingBaseDelayMs: 5,
  maxDelayMs: 50,
};
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});

/** What a burst event is, and so what must become of it. */
type Kind =
  | 'old-key-created'
  | 'old-key-activated'
  | 'admin-role'
  | 'inline-policy'
  | 'break-glass'
  | 'service-linked'
  | 'exempt-role'
  | 'repeat'
  | 'repeat-escalated'
  | 'poisoned'
  | 'own-role'
  | 'failed-call';

const EXPECTED: Record<Kind, Outcome> = {
  'old-key-created': 'remediated',
  'old-key-activated': 'remediated',
  'admin-role': 'remediated',
  'inline-policy': 'remediated',
  'break-glass': 'skipped',
  'service-linked': 'skipped',
  'exempt-role': 'skipped',
  repeat: 'remediated',
  // Past the limit still remediated: the escalation changes the message, not what is done.
  'repeat-escalated': 'remediated',
  // Dead-lettered by the burst, then remediated by the redrive.
  poisoned: 'remediated',
  // A grant by iam-warden's own role is a hijack, not a loop: remediated, CRITICAL.
  'own-role': 'remediated',
  'failed-call': 'ignored',
};

interface BurstEvent {
  readonly kind: Kind;
  readonly rule: RuleName;
  readonly event: IamEventEnvelope;
  /** The user or role it targets. */
  readonly target: string;
  /** For keys: the key iam-warden must deactivate, and the one it must leave alone. */
  readonly staleKey?: string;
  readonly freshKey?: string;
}

const eventId = (burst: BurstEvent) => burst.event.detail.eventID;

/** Run `work` on every item, `size` at a time. */
async function inPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/** The standard strategy, counting the retries it grants across every client that uses it. */
class CountingRetryStrategy extends BudgetedRetryStrategy {
  constructor(private readonly tally: { retries: number }) {
    super(TEST_RETRY);
  }

  override async refreshRetryTokenForRetry(
    previous: StandardRetryToken,
    info: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    const token = await super.refreshRetryTokenForRetry(previous, info);
    this.tally.retries++;
    return token;
  }
}

const seeder = new IAMClient(localAws());
const sqs = new SQSClient(localAws());
const dynamoReader = new DynamoDBClient(localAws());
/** Result events are recorded here rather than put on moto, whose PutEvents takes ~0.7 s with a rule target. */
const resultClient = new EventBridgeClient(localAws());
const resultEvents = mockClient(resultClient);
const destroyAtEnd: { destroy(): void }[] = [seeder, sqs, dynamoReader, resultClient];
const tally = { retries: 0 };

let resources: LocalResources;
let proxy: FaultProxy;
let config: Config;
const burst: BurstEvent[] = [];
const byId = new Map<string, BurstEvent>();
/** Every delivery's end, by CloudTrail event ID; an event delivered twice has two. */
const settled = new Map<string, Settled<Decision>[]>();
const poisonedRoles = new Set<string>();
const figures: Record<string, number | string> = {};

/** One Lambda execution environment: its own clients (and retry budgets), as a module's top level makes them. */
function environment() {
  const iam = new IAMClient({
    ...localAws(),
    endpoint: proxy.endpoint,
    retryStrategy: new CountingRetryStrategy(tally),
  });
  const base = new DynamoDBClient({ ...localAws(), retryStrategy: new BudgetedRetryStrategy(TEST_RETRY) });
  const sns = new SNSClient({ ...localAws(), retryStrategy: new BudgetedRetryStrategy(TEST_RETRY) });
  destroyAtEnd.push(iam, base, sns);
  const clients: Clients = {
    iam,
    sns,
    events: resultClient,
    dynamo: base,
  };
  const deps = {
    ...createDeps(config, clients),
    // moto cannot backdate keys: every key it holds is 100 days old to iam-warden.
    clock: clockDaysAhead(100),
    sleep: () => new Promise<void>((resolve) => setImmediate(resolve)),
    logger: new Logger({ serviceName: 'iam-warden', logLevel: 'SILENT' }),
  };
  return { deps, store: idempotencyStore(config, base) };
}

function simulatedFunctions(): Record<RuleName, SimulatedFunction<Decision>> {
  const make = (rule: RuleName) => {
    const name = `${STACK}-${rule}`;
    return new SimulatedFunction<Decision>({
      name,
      concurrency: CONCURRENCY,
      retryDelaysMs: [1000, 2000],
      environment: () => {
        const { deps, store } = environment();
        // Lambda sets AWS_LAMBDA_FUNCTION_NAME, Powertools' key prefix; the prefix stands in for it here.
        return createHandler(RULES_BY_FUNCTION[rule], deps, store, { idempotencyKeyPrefix: name });
      },
      onFailure: async (record) => {
        await sqs.send(
          new SendMessageCommand({ QueueUrl: resources.dlqUrl, MessageBody: JSON.stringify(record) }),
        );
      },
    });
  };
  return {
    'access-keys': make('access-keys'),
    'admin-policy': make('admin-policy'),
    'inline-policy': make('inline-policy'),
  };
}

function add(item: BurstEvent): void {
  burst.push(item);
  byId.set(eventId(item), item);
}

async function createRole(name: string, tags: { Key: string; Value: string }[] = []): Promise<void> {
  await seeder.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST, Tags: tags }));
}

async function attachAdmin(roleName: string): Promise<void> {
  await seeder.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMINISTRATOR_ACCESS }));
}

async function newKey(userName: string): Promise<string> {
  const { AccessKey } = await seeder.send(new CreateAccessKeyCommand({ UserName: userName }));
  return AccessKey?.AccessKeyId ?? '';
}

async function attachedTo(roleName: string): Promise<string[]> {
  const { AttachedPolicies = [] } = await seeder.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
}

/** Creates the account the events are about, and the 1,000 events: 960 independent ones and 10 chains of 4. */
async function seed(): Promise<{ independent: BurstEvent[]; chains: BurstEvent[][] }> {
  const independent: BurstEvent[] = [];
  const jobs: (() => Promise<void>)[] = [];
  const plan = (count: number, make: (i: number) => Promise<BurstEvent>) => {
    for (let i = 0; i < count; i++) {
      jobs.push(async () => {
        const item = await make(i);
        independent.push(item);
      });
    }
  };
  plan(300, async (i) => {
    const user = `key${i}${LEGAL}created`;
    await seeder.send(new CreateUserCommand({ UserName: user }));
    const staleKey = await newKey(user);
    const freshKey = await newKey(user);
    const event = createAccessKeyEvent(user, freshKey);
    return { kind: 'old-key-created', rule: 'access-keys', event, target: user, staleKey, freshKey };
  });
  plan(20, async (i) => {
    const user = `key${i}${LEGAL}activated`;
    await seeder.send(new CreateUserCommand({ UserName: user }));
    const staleKey = await newKey(user);
    const event = updateAccessKeyEvent(user, staleKey);
    return { kind: 'old-key-activated', rule: 'access-keys', event, target: user, staleKey };
  });
  plan(300, async (i) => {
    const role = `app${i}${LEGAL}role`;
    await createRole(role);
    await attachAdmin(role);
    return { kind: 'admin-role', rule: 'admin-policy', event: attachRolePolicyEvent(role), target: role };
  });
  plan(250, async (i) => {
    const user = `inline${i}${LEGAL}user`;
    const policy = `grant${i}${LEGAL}policy`;
    await seeder.send(new CreateUserCommand({ UserName: user }));
    await seeder.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: policy, PolicyDocument: DOCUMENT }),
    );
    const event = putUserPolicyEvent(user, policy, DOCUMENT);
    return { kind: 'inline-policy', rule: 'inline-policy', event, target: user };
  });
  plan(20, async (i) => {
    const role = `exempt${i}${LEGAL}role`;
    await createRole(role, [{ Key: EXEMPT_TAG_KEY, Value: 'true' }]);
    await attachAdmin(role);
    return { kind: 'exempt-role', rule: 'admin-policy', event: attachRolePolicyEvent(role), target: role };
  });
  plan(10, async (i) => {
    const role = `poisoned${i}${LEGAL}role`;
    poisonedRoles.add(role);
    await createRole(role);
    await attachAdmin(role);
    return { kind: 'poisoned', rule: 'admin-policy', event: attachRolePolicyEvent(role), target: role };
  });
  plan(10, async (i) => {
    const role = `looped${i}${LEGAL}role`;
    await createRole(role);
    await attachAdmin(role);
    const event = calledByRole(attachRolePolicyEvent(role), OWN_ROLE_ARN);
    return { kind: 'own-role', rule: 'admin-policy', event, target: role };
  });
  plan(10, async (i) => {
    const role = `refused${i}${LEGAL}role`;
    await createRole(role);
    // EventBridge's patterns drop failed calls; the handler must ignore them too if one ever arrives.
    const event = attachRolePolicyEvent(role);
    event.detail.errorCode = 'AccessDenied';
    event.detail.errorMessage = `not authorized to perform iam:AttachRolePolicy on ${role}`;
    return { kind: 'failed-call', rule: 'admin-policy', event, target: role };
  });
  const breakGlass = BREAK_GLASS_ROLE;
  jobs.push(async () => {
    await createRole(breakGlass);
    await attachAdmin(breakGlass);
  });
  let serviceLinked = '';
  jobs.push(async () => {
    const { Role } = await seeder.send(
      new CreateServiceLinkedRoleCommand({ AWSServiceName: 'autoscaling.amazonaws.com' }),
    );
    serviceLinked = Role?.RoleName ?? '';
    await attachAdmin(serviceLinked);
  });
  const chainRoles = Array.from({ length: 10 }, (_, i) => `pipeline${i}${LEGAL}role`);
  for (const role of chainRoles) jobs.push(() => createRole(role));
  await inPool(jobs, 8, (job) => job());

  for (let i = 0; i < 20; i++) {
    independent.push({
      kind: 'break-glass',
      rule: 'admin-policy',
      event: attachRolePolicyEvent(breakGlass),
      target: breakGlass,
    });
    independent.push({
      kind: 'service-linked',
      rule: 'admin-policy',
      event: attachRolePolicyEvent(serviceLinked),
      target: serviceLinked,
    });
  }
  // A pipeline re-attaching AdministratorAccess: remediated every time, escalated once past REPEAT_LIMIT.
  const chains = chainRoles.map((role) =>
    Array.from({ length: REPEAT_LIMIT + 1 }, (_, step) => ({
      kind: step < REPEAT_LIMIT ? ('repeat' as const) : ('repeat-escalated' as const),
      rule: 'admin-policy' as const,
      event: attachRolePolicyEvent(role),
      target: role,
    })),
  );
  for (const item of [...independent, ...chains.flat()]) add(item);
  return { independent, chains };
}

function record(id: string, end: Settled<Decision>): void {
  settled.set(id, [...(settled.get(id) ?? []), end]);
}

function decisionsOf(id: string): Decision[] {
  return (settled.get(id) ?? []).flatMap((end) => (end.kind === 'succeeded' ? [end.result] : []));
}

async function scanAudit(): Promise<AuditRecord[]> {
  const items = await readAll<AuditRecord>(dynamoReader, { table: AUDIT_TABLE });
  return items.filter((item) => item.kind === 'remediation');
}

/** Notifications by CloudTrail event ID (read from the body's "Event:" line), as outcome lists. */
function byEvent(notifications: readonly Notification[]): Map<string, string[]> {
  const outcomes = new Map<string, string[]>();
  for (const notification of notifications) {
    const id = /^ {2}Event: +\S+ (\S+) at /m.exec(notification.message)?.[1] ?? 'unparsed';
    outcomes.set(id, [...(outcomes.get(id) ?? []), notification.attributes.outcome ?? '']);
  }
  return outcomes;
}

async function notificationsByEvent(): Promise<Map<string, string[]>> {
  return byEvent(await readNotifications(resources, { waitMs: 500 }));
}

/**
 * Reads the notifications tap while the burst runs, as a subscriber would. moto's SQS spends time linear in a
 * queue's length on every call (it recomputes each message's visibility), so 1,000 notifications left to pile
 * up would make every later publish, and the final read, slower and slower (measured: 124 s to read 1,000).
 */
function readTapMeanwhile(): { stop(): Promise<Notification[]> } {
  const read: Notification[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const batch = await readNotifications(resources, { waitMs: 0 });
      read.push(...batch);
      if (batch.length === 0) await sleep(200);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      read.push(...(await readNotifications(resources, { waitMs: 500 })));
      return read;
    },
  };
}

function resultEventsByEvent(): Map<string, string[]> {
  const byEvent = new Map<string, string[]>();
  for (const call of resultEvents.commandCalls(PutEventsCommand)) {
    for (const entry of call.args[0].input.Entries ?? []) {
      const detail = JSON.parse(entry.Detail ?? '{}') as { eventId: string; outcome: string };
      byEvent.set(detail.eventId, [...(byEvent.get(detail.eventId) ?? []), detail.outcome]);
    }
  }
  return byEvent;
}

let dlq: RedriveEntry[];
let audit: AuditRecord[];
let notified: Map<string, string[]>;

beforeAll(async () => {
  const phase = (name: string, since: number) => {
    figures[`${name}Seconds`] = ((Date.now() - since) / 1000).toFixed(1);
    return Date.now();
  };
  let started = Date.now();
  resources = await freshAccount();
  resultEvents.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `result-${index}` })),
  }));
  proxy = await startFaultProxy(motoEndpoint(), {
    seed: SEED,
    throttleRate: 0.2,
    dropBeforeRate: 0.03,
    dropAfterRate: 0.03,
    // A dependency that stays down: every call about these roles is throttled, whatever the retries.
    intercept: (request) =>
      poisonedRoles.has(request.params.get('RoleName') ?? '')
        ? { status: 400, code: 'Throttling', message: 'Rate exceeded' }
        : undefined,
  });
  config = loadConfig({
    ...ENFORCE,
    ...resources.env,
    OWN_ROLE_ARNS: OWN_ROLE_ARN,
    EXEMPT_TAG_KEY,
    REPEAT_LIMIT: String(REPEAT_LIMIT),
    // Break-glass roles are the customer's to designate, by ARN. The list is comma-separated, so the comma IAM
    // allows in the name is matched with `?`.
    ADMIN_ROLE_PATTERNS: `arn:aws:iam::${MOTO_ACCOUNT}:role/${BREAK_GLASS_ROLE.replace(',', '?')}`,
  });

  started = phase('provision', started);
  const { independent, chains } = await seed();
  started = phase('seed', started);
  expect(burst).toHaveLength(1000);

  // At-least-once delivery: 50 events arrive twice within the burst, mixed in at random places.
  const random = seededRandom(SEED);
  const deliveries = [...independent];
  const redelivered = independent.filter((item) => item.kind !== 'poisoned').slice(0, 50);
  for (const item of redelivered) deliveries.push(item);
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j] as BurstEvent, deliveries[i] as BurstEvent];
  }

  const functions = simulatedFunctions();
  const tap = readTapMeanwhile();
  started = Date.now();
  await Promise.all([
    ...deliveries.map(async (item) => record(eventId(item), await functions[item.rule].invoke(item.event))),
    ...chains.map(async (chain) => {
      for (const step of chain) {
        await attachAdmin(step.target);
        record(eventId(step), await functions[step.rule].invoke(step.event));
      }
    }),
  ]);
  started = phase('burst', started);
  figures.deliveries = deliveries.length + chains.flat().length;
  figures.invocations = Object.values(functions).reduce((sum, fn) => sum + fn.invocations, 0);
  figures.failedInvocations = Object.values(functions).reduce((sum, fn) => sum + fn.errors, 0);
  figures.environments = Object.values(functions).reduce((sum, fn) => sum + fn.environments, 0);
  Object.assign(figures, {
    iamRequests: proxy.counts.iamRequests,
    throttled: proxy.counts.throttled,
    poisonThrottled: proxy.counts.intercepted,
    droppedBeforeForward: proxy.counts.droppedBeforeForward,
    droppedAfterApply: proxy.counts.droppedAfterApply,
    writesDroppedAfterApply: JSON.stringify(proxy.counts.droppedAfterApplyByAction),
    sdkRetries: tally.retries,
  });

  dlq = await redrive(
    {
      sqs,
      invoke: () => Promise.reject(new Error('a dry run runs nothing')),
      logger: new Logger({ serviceName: 'iam-warden', logLevel: 'SILENT' }),
    },
    { queueUrl: resources.dlqUrl, dryRun: true, waitTimeSeconds: 0 },
  );
  figures.deadLettered = dlq.length;
  started = phase('dryRunRedrive', started);
  audit = await scanAudit();
  started = phase('scanAudit', started);
  notified = byEvent(await tap.stop());
  phase('readNotifications', started);
}, 900_000);

afterAll(async () => {
  // One line of figures for the README's reliability section and the benchmarks.
  console.info(`burst figures: ${JSON.stringify(figures)}`);
  await proxy?.stop();
  for (const client of destroyAtEnd) client.destroy();
});

describe('a burst of 1,000 IAM events with throttling, dropped connections and duplicates', () => {
  it('ends every event decided or dead-lettered, none lost', () => {
    const deadLettered = new Set(dlq.map((entry) => entry.eventId));
    for (const item of burst) {
      const ends = settled.get(eventId(item)) ?? [];
      expect(ends.length, `${item.kind} ${eventId(item)} never ended`).toBeGreaterThan(0);
      for (const end of ends) {
        if (end.kind === 'dead-lettered') expect(deadLettered.has(eventId(item))).toBe(true);
      }
    }
    expect(new Set(dlq.map((entry) => byId.get(entry.eventId ?? '')?.kind))).toEqual(new Set(['poisoned']));
    expect(dlq).toHaveLength(poisonedRoles.size);
    expect(dlq.every((entry) => entry.shape === 'lambda-destination')).toBe(true);
    expect(dlq.every((entry) => entry.functionName === `${STACK}-admin-policy`)).toBe(true);
  });

  it('decides each event as its kind requires, the same way for every delivery of it', () => {
    for (const item of burst) {
      if (item.kind === 'poisoned') continue;
      const decisions = decisionsOf(eventId(item));
      expect(decisions.length, `${item.kind} ${eventId(item)}`).toBeGreaterThan(0);
      for (const decision of decisions) {
        expect(decision, `${item.kind} ${eventId(item)}`).toMatchObject({
          outcome: EXPECTED[item.kind],
          eventId: eventId(item),
          // Failed calls and iam-warden's own changes are set aside before the event's target is read.
          ...(EXPECTED[item.kind] === 'ignored' ? {} : { resource: { name: item.target } }),
        });
        expect(decision).toEqual(decisions[0]);
      }
      if (item.staleKey !== undefined) {
        expect(decisions[0]?.action).toMatchObject({ keys: [{ accessKeyId: item.staleKey }] });
      }
    }
  });

  it('records each remediation exactly once in the audit table, applied and notified', () => {
    const remediated = burst.filter(
      (item) => item.kind !== 'poisoned' && EXPECTED[item.kind] === 'remediated',
    );
    expect(audit).toHaveLength(remediated.length);
    const byTrigger = new Map(audit.map((entry) => [entry.trigger.eventId, entry]));
    for (const item of remediated) {
      expect(byTrigger.get(eventId(item)), `${item.kind} ${item.target}`).toMatchObject({
        status: 'applied',
        notifiedAt: expect.any(String),
        resource: { name: item.target },
        id: decisionsOf(eventId(item))[0]?.remediationId,
      });
    }
  });

  it('notifies once per decision worth telling, a dead-lettered event included', () => {
    for (const item of burst) {
      const outcomes = notified.get(eventId(item)) ?? [];
      if (item.kind === 'poisoned') {
        // Lambda's 3 attempts all failed; people hear it once (the FailedEventsAlarm adds one for the queue).
        expect(outcomes).toEqual(['failed']);
      } else if (EXPECTED[item.kind] === 'ignored') {
        expect(outcomes, `${item.kind} ${item.target}`).toEqual([]);
      } else {
        expect(outcomes, `${item.kind} ${item.target}`).toEqual([EXPECTED[item.kind]]);
      }
    }
    expect(notified.has('unparsed')).toBe(false);
    // One result event per handler run: duplicates answered by idempotency put none.
    const results = resultEventsByEvent();
    for (const item of burst) {
      const outcomes = results.get(eventId(item)) ?? [];
      expect(outcomes, `${item.kind} ${item.target}`).toEqual(
        item.kind === 'poisoned' ? ['failed', 'failed', 'failed'] : [EXPECTED[item.kind]],
      );
    }
  });

  it('leaves IAM as decided, and never writes to the break-glass or service-linked role', async () => {
    const wrong: string[] = [];
    await inPool(burst, 8, async (item) => {
      switch (item.kind) {
        case 'old-key-created':
        case 'old-key-activated': {
          const { AccessKeyMetadata = [] } = await seeder.send(
            new ListAccessKeysCommand({ UserName: item.target }),
          );
          const status = AccessKeyMetadata.map((key) => `${key.AccessKeyId}=${key.Status}`).sort();
          const expected = [`${item.staleKey}=Inactive`];
          if (item.freshKey !== undefined) expected.push(`${item.freshKey}=Active`);
          if (status.join() !== expected.sort().join()) wrong.push(`${item.target} keys ${status.join()}`);
          return;
        }
        case 'inline-policy': {
          const { PolicyNames = [] } = await seeder.send(
            new ListUserPoliciesCommand({ UserName: item.target }),
          );
          if (PolicyNames.length > 0) wrong.push(`${item.target} still has ${PolicyNames.join(', ')}`);
          return;
        }
        default: {
          const attached = await attachedTo(item.target);
          // Detached: plain roles, the pipelines' (every step, the escalated one too) and those attached by
          // iam-warden's own role (a hijack). Never attached: the failed call. Attached still: the designated,
          // reserved and exempt roles and the poisoned ones (until the redrive).
          const keeps = !['admin-role', 'failed-call', 'repeat', 'repeat-escalated', 'own-role'].includes(
            item.kind,
          );
          if (attached.includes(ADMINISTRATOR_ACCESS) !== keeps) {
            wrong.push(`${item.kind} ${item.target}: ${attached.join(', ') || 'nothing attached'}`);
          }
        }
      }
    });
    expect(wrong).toEqual([]);
    const protectedRoles = new Set(
      burst
        .filter((item) => ['break-glass', 'service-linked'].includes(item.kind))
        .map((item) => item.target),
    );
    expect(protectedRoles.size).toBe(2);
    expect(proxy.counts.writes.filter((write) => protectedRoles.has(write.params.RoleName ?? ''))).toEqual(
      [],
    );
  });

  it('survived the faults it was meant to: throttles, drops before and after IAM applied a removal', () => {
    expect(proxy.counts.throttled).toBeGreaterThan(0);
    expect(proxy.counts.droppedBeforeForward).toBeGreaterThan(0);
    expect(
      (proxy.counts.droppedAfterApplyByAction.DetachRolePolicy ?? 0) +
        (proxy.counts.droppedAfterApplyByAction.DeleteUserPolicy ?? 0),
    ).toBeGreaterThan(0);
  });

  it('redrives the dead-lettered events once the failing dependency recovers', async () => {
    proxy.configure({ intercept: undefined });
    const { deps, store } = environment();
    const entries = await redrive(
      { sqs, invoke: handlerInvoker(deps, store), logger: deps.logger },
      { queueUrl: resources.dlqUrl, waitTimeSeconds: 0 },
    );

    expect(entries).toHaveLength(poisonedRoles.size);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        status: 'redriven',
        rule: 'admin-policy',
        decision: { outcome: 'remediated' },
      });
      const item = byId.get(entry.eventId ?? '');
      expect(item?.kind).toBe('poisoned');
      if (item && entry.decision)
        record(eventId(item), { kind: 'succeeded', result: entry.decision, attempts: 1 });
    }
    for (const role of poisonedRoles) expect(await attachedTo(role)).toEqual([]);
    const again = await notificationsByEvent();
    expect([...again.values()].flat()).toEqual(Array(poisonedRoles.size).fill('remediated'));
    expect(await scanAudit()).toHaveLength(audit.length + poisonedRoles.size);
    expect(
      await redrive(
        { sqs, invoke: handlerInvoker(deps, store), logger: deps.logger },
        { queueUrl: resources.dlqUrl, waitTimeSeconds: 0 },
      ),
    ).toEqual([]);
  });

  it('answers all 1,000 events delivered again from idempotency: no IAM call, no notification, same decisions', async () => {
    proxy.resetCounts();
    resultEvents.resetHistory();
    const auditBefore = await scanAudit();
    const functions = simulatedFunctions();

    const ends = await Promise.all(
      burst.map(async (item) => [item, await functions[item.rule].invoke(item.event)] as const),
    );

    for (const [item, end] of ends) {
      expect(end.kind, `${item.kind} ${item.target}`).toBe('succeeded');
      const decisions = decisionsOf(eventId(item));
      expect(end.kind === 'succeeded' ? end.result : undefined).toEqual(decisions[decisions.length - 1]);
    }
    expect(proxy.counts.iamRequests).toBe(0);
    expect(await notificationsByEvent()).toEqual(new Map());
    expect(resultEvents.commandCalls(PutEventsCommand)).toEqual([]);
    expect(await scanAudit()).toEqual(expect.arrayContaining(auditBefore));
    expect(await scanAudit()).toHaveLength(auditBefore.length);
  });
});

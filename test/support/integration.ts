import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import type { AuditRecord } from '../../lib/audit.js';
import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import type { Clients } from '../../lib/deps.js';
import { createHandler, idempotencyStore } from '../../lib/handler.js';
import {
  type LocalResources,
  provisionLocal,
  readNotifications,
  readResults,
} from '../../lib/local/provision.js';
import type { Decision } from '../../lib/plan.js';
import type { Rule } from '../../lib/rules/rule.js';
import { getItem } from '../../lib/table.js';
import { localAws, motoEndpoint, resetMoto } from './moto.js';

const DAY_MS = 86_400_000;

/** IAM operations that only read; every other operation iam-warden sends changes IAM. */
const IAM_READ = /^(Get|List)/;

/**
 * An empty moto account with iam-warden's topic, taps and tables. Costs ~2.5 s (managed policies are
 * reloaded), so call it once per file in `beforeAll` and keep tests apart with distinct entity names.
 */
export async function freshAccount(): Promise<LocalResources> {
  await resetMoto();
  return provisionLocal({ endpoint: motoEndpoint() });
}

/** An IAM client that talks to moto and remembers the name of every command sent through it. */
export interface RecordingIam extends Pick<IAMClient, 'send'> {
  readonly sent: string[];
  /** The commands sent that change IAM (`DetachRolePolicy`, `UpdateAccessKey`...). */
  writes(): string[];
}

function recording(iam: IAMClient): RecordingIam {
  const sent: string[] = [];
  const send: IAMClient['send'] = (command: { constructor: { name: string } }, ...rest: unknown[]) => {
    sent.push(command.constructor.name.replace(/Command$/, ''));
    return (iam.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
  };
  return { send, sent, writes: () => sent.filter((name) => !IAM_READ.test(name)) };
}

/** The moto clients of a test file: what `Clients` holds, as concrete clients. */
export interface MotoClients extends Clients {
  readonly iam: IAMClient;
  readonly dynamo: DynamoDBClient;
}

/** SDK clients for moto, built explicitly from `localAws()`; nothing is read from or written to `process.env`. */
export function motoClients(): MotoClients {
  const config = localAws();
  return {
    iam: new IAMClient(config),
    sns: new SNSClient(config),
    events: new EventBridgeClient(config),
    dynamo: new DynamoDBClient(config),
  };
}

/** A clock `days` ahead of the wall clock: moto cannot backdate access keys, so tests age them this way. */
export function clockDaysAhead(days: number): () => Date {
  return () => new Date(Date.now() + days * DAY_MS);
}

export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'iam-warden-integration',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:iam-warden-integration',
  memoryLimitInMB: '256',
  awsRequestId: '00000000-0000-4000-8000-000000000000',
  logGroupName: '/aws/lambda/iam-warden-integration',
  logStreamName: 'integration',
  getRemainingTimeInMillis: () => 60_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

/**
 * Every rule in `enforce`, as a deployment chooses it (`AccessKeysMode=enforce`...). Unset, a mode is `notify`
 * (lib/config.ts): a test that needs IAM changed says so with this.
 */
export const ENFORCE: Readonly<Record<string, string>> = Object.freeze({
  MODE_ACCESS_KEYS: 'enforce',
  MODE_ADMIN_POLICY: 'enforce',
  MODE_INLINE_POLICY: 'enforce',
});

export interface InvokerOptions {
  /** Environment on top of the provisioned one and `ENFORCE` (`MODE_ACCESS_KEYS: 'notify'`, `OWN_ROLE_ARNS`...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly clock?: () => Date;
  /** An SNS client to use instead of moto's (to make publishing fail). */
  readonly sns?: Clients['sns'];
}

/** A rule's real Lambda handler wired to moto, and the IAM client it uses, which records what it sent. */
export interface Invoker {
  readonly invoke: (event: unknown) => Promise<Decision>;
  readonly iam: RecordingIam;
}

/**
 * The real handler for `rule`, wired as functions/<name>/index.ts wire it: lib/handler.ts `createHandler` with
 * Deps from lib/aws.ts `createDeps`, configuration from lib/config.ts `loadConfig` (every rule in enforce,
 * `ENFORCE`, then the provisioned environment and `options.env`) and the Powertools idempotency store on the
 * provisioned table (set `IDEMPOTENCY_TABLE: ''` to run without it).
 */
export function invoker<T>(
  rule: Rule<T>,
  resources: LocalResources,
  clients: MotoClients,
  options: InvokerOptions = {},
): Invoker {
  const iam = recording(clients.iam);
  const config = loadConfig({ ...ENFORCE, ...resources.env, ...options.env });
  const deps = {
    ...createDeps(config, { ...clients, iam, sns: options.sns ?? clients.sns }),
    // Warnings and errors only: a passing run stays readable, a failing one still shows why.
    logger: new Logger({ serviceName: 'iam-warden', logLevel: 'WARN' }),
    ...(options.clock ? { clock: options.clock } : {}),
  };
  const handler = createHandler(rule, deps, idempotencyStore(config, clients.dynamo));
  return { invoke: (event) => handler(event, lambdaContext), iam };
}

/** The audit record with this ID, or undefined. */
export async function readAudit(
  clients: Pick<Clients, 'dynamo'>,
  resources: LocalResources,
  id: string | undefined,
): Promise<AuditRecord | undefined> {
  if (id === undefined) return undefined;
  const table = resources.env.AUDIT_TABLE;
  if (table === undefined) throw new Error('these local resources have no AUDIT_TABLE');
  return getItem<AuditRecord>(clients.dynamo, table, { id }, { consistentRead: true });
}

/** Empty both taps, so a test sees only the notifications and result events it caused. */
export async function drainTaps(resources: LocalResources): Promise<void> {
  await Promise.all([readNotifications(resources), readResults(resources)]);
}

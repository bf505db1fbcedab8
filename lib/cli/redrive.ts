import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Command } from 'commander';
import { createDeps } from '../aws.js';
import { loadConfig, RULES, type RuleName } from '../config.js';
import type { Clients, Deps } from '../deps.js';
import { describeError, UsageError } from '../errors.js';
import { createHandler, idempotencyStore } from '../handler.js';
import type { Decision } from '../plan.js';
import { RULES_BY_FUNCTION } from '../rules/index.js';
import { createCliClients, createCliDynamo, createCliSqs } from './clients.js';
import { parseCommandLine } from './commander.js';
import { localContext } from './invoke.js';
import { cliLogger } from './logger.js';
import { createRouter, type Router } from './route.js';

/**
 * `iam-warden redrive`: put the events of the failed-events queue back through their functions.
 *
 * The queue receives two shapes, and SQS's own redrive (`StartMessageMoveTask`) helps with neither, since it
 * only moves messages back to a source *queue*:
 * - Lambda's on-failure destination record, once an invocation failed all its attempts: the event is in
 *   `requestPayload` and the function in `requestContext.functionArn`;
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * - EventBridge's dead letter, once a rule could not deliver to Lambda at all: the body is the event itself,
 *   with the target in the `TARGET_ARN` message attribute.
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 *
 * Each event goes to the function named by the message, else to the one the template's rule patterns route
 * it to, through the real handler (idempotency included: an event that succeeded meanwhile is not acted on
 * twice). A message is deleted only once its event was handled; any other stays on the queue, visible again
 * at the end of the run.
 */

/** What became of one message. */
export type RedriveStatus =
  /** Handled; the message was deleted. */
  | 'redriven'
  /** Dry run: it would be handled by `functionName`. */
  | 'would-redrive'
  /** The handler failed again; the message stays. */
  | 'failed'
  /** No single function takes this event; the message stays for a person to look at. */
  | 'unroutable'
  /** The body is not JSON; the message stays. */
  | 'unreadable';

export interface RedriveEntry {
  readonly messageId: string;
  readonly status: RedriveStatus;
  /** `lambda-destination` (a Lambda on-failure record) or `eventbridge-dlq` (the event itself). */
  readonly shape?: 'lambda-destination' | 'eventbridge-dlq';
  readonly rule?: RuleName;
  /** The deployed function the message names, when it names one. */
  readonly functionName?: string;
  readonly eventId?: string;
  readonly eventName?: string;
  readonly decision?: Decision;
  /** Why it was not redriven: the handler's error, or what is wrong with the message. */
  readonly error?: string;
}

/** Where a message's event goes: the rule, and the deployed function when the message names it. */
export interface RedriveTarget {
  readonly rule: RuleName;
  readonly functionName: string | undefined;
}

export interface RedriveDeps {
  readonly sqs: Pick<SQSClient, 'send'>;
  /** Run the target's Lambda handler on the event; throws when Lambda would have retried it. */
  readonly invoke: (target: RedriveTarget, event: unknown) => Promise<Decision>;
  /** Routes an event without a function name; by default, template.yaml's rule patterns. */
  readonly router?: Router;
  readonly logger: Pick<Deps['logger'], 'info' | 'warn' | 'error'>;
}

export interface RedriveOptions {
  readonly queueUrl: string;
  /** Report what would be redriven; run nothing, delete nothing. */
  readonly dryRun?: boolean;
  /** Stop after this many messages. */
  readonly limit?: number;
  /**
   * How long a received message stays hidden while the run lasts (300 s by default): longer than one handler
   * run (the functions' timeout is 120 s), so no message is received twice in one run.
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait of each receive (2 s by default): an empty long poll means the queue is drained. */
  readonly waitTimeSeconds?: number;
}

/** The rule of a deployed function: `<stack>-access-keys` or `access-keys` runs the `access-keys` rule. */
export function ruleOfFunction(functionName: string): RuleName | undefined {
  return RULES.find((rule) => functionName === rule || functionName.endsWith(`-${rule}`));
}

/** The function name in a Lambda ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`). */
export function functionNameOf(arn: string): string | undefined {
  return /^arn:aws[\w-]*:lambda:[^:]*:\d*:function:([^:]+)/.exec(arn)?.[1];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Unwrapped {
  readonly shape: 'lambda-destination' | 'eventbridge-dlq';
  readonly event: unknown;
  readonly functionArn: string | undefined;
}

/** The event a message carries and the function it names, whichever service dead-lettered it. */
function unwrap(message: Message, body: unknown): Unwrapped {
  if (isObject(body) && 'requestPayload' in body && isObject(body.requestContext)) {
    const arn = body.requestContext.functionArn;
    return {
      shape: 'lambda-destination',
      event: body.requestPayload,
      functionArn: typeof arn === 'string' ? arn : undefined,
    };
  }
  return {
    shape: 'eventbridge-dlq',
    event: body,
    functionArn: message.MessageAttributes?.TARGET_ARN?.StringValue,
  };
}

function describeEvent(event: unknown): { eventId?: string; eventName?: string } {
  if (!isObject(event)) return {};
  const detail = isObject(event.detail) ? event.detail : {};
  const eventId = typeof detail.eventID === 'string' ? detail.eventID : event.id;
  const eventName = detail.eventName;
  return {
    ...(typeof eventId === 'string' ? { eventId } : {}),
    ...(typeof eventName === 'string' ? { eventName } : {}),
  };
}

type Routed = { readonly target: RedriveTarget } | { readonly error: string };

function route(unwrapped: Unwrapped, router: () => Router): Routed {
  const functionName =
    unwrapped.functionArn === undefined ? undefined : functionNameOf(unwrapped.functionArn);
  const named = functionName === undefined ? undefined : ruleOfFunction(functionName);
  if (named !== undefined) return { target: { rule: named, functionName } };
  const routes = router()(unwrapped.event);
  const only = routes[0];
  if (routes.length === 1 && only !== undefined) {
    return { target: { rule: only.functionName, functionName } };
  }
  return {
    error:
      routes.length === 0
        ? `no iam-warden rule pattern matches the event${functionName ? ` and function ${functionName} is not an iam-warden function` : ''}`
        : `the event matches several functions (${routes.map((r) => r.functionName).join(', ')})`,
  };
}

/**
 * Redrive the failed-events queue: receive every message, run its event through its function, delete it once
 * handled. Returns one entry per message, in the order received.
 */
export async function redrive(deps: RedriveDeps, options: RedriveOptions): Promise<RedriveEntry[]> {
  const { queueUrl, dryRun = false, limit = Number.POSITIVE_INFINITY } = options;
  let router: Router | undefined;
  const lazyRouter = () => {
    router ??= deps.router ?? createRouter();
    return router;
  };
  const entries: RedriveEntry[] = [];
  const seen = new Set<string>();
  const kept: Message[] = [];
  try {
    while (entries.length < limit) {
      const { Messages = [] } = await deps.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, limit - entries.length),
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 300,
          WaitTimeSeconds: options.waitTimeSeconds ?? 2,
          MessageAttributeNames: ['All'],
        }),
      );
      // A message seen already is back because its visibility timeout ran out: the queue holds nothing new.
      const fresh = Messages.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        const entry = await redriveOne(deps, lazyRouter, message, dryRun, queueUrl);
        if (entry.status !== 'redriven') kept.push(message);
        entries.push(entry);
        const log = entry.status === 'redriven' || entry.status === 'would-redrive' ? 'info' : 'error';
        deps.logger[log]('redrive message', { ...entry, decision: entry.decision?.outcome });
      }
    }
  } finally {
    // Make what stays visible again now, for the next run or a person, rather than after the timeout.
    for (const message of kept) {
      await deps.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch((error: unknown) =>
          deps.logger.warn('could not release message', {
            messageId: message.MessageId,
            error: describeError(error),
          }),
        );
    }
  }
  return entries;
}

async function redriveOne(
  deps: RedriveDeps,
  router: () => Router,
  message: Message,
  dryRun: boolean,
  queueUrl: string,
): Promise<RedriveEntry> {
  const messageId = message.MessageId ?? '';
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch (error) {
    return { messageId, status: 'unreadable', error: describeError(error) };
  }
  const unwrapped = unwrap(message, body);
  const about = { messageId, shape: unwrapped.shape, ...describeEvent(unwrapped.event) };
  const routed = route(unwrapped, router);
  if ('error' in routed) return { ...about, status: 'unroutable', error: routed.error };
  const { target } = routed;
  const where = {
    ...about,
    rule: target.rule,
    ...(target.functionName === undefined ? {} : { functionName: target.functionName }),
  };
  if (dryRun) return { ...where, status: 'would-redrive' };
  let decision: Decision;
  try {
    decision = await deps.invoke(target, unwrapped.event);
  } catch (error) {
    return { ...where, status: 'failed', error: describeError(error) };
  }
  await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  return { ...where, status: 'redriven', decision };
}

/**
 * The `invoke` of `RedriveDeps` for the CLI: each rule's real Lambda handler (lib/handler.ts) on `deps`, with
 * the idempotency store when given. A message that names its function shares that function's idempotency
 * keys, so an event the function handled meanwhile is answered from its record instead of run again.
 */
export function handlerInvoker(deps: Deps, store?: BasePersistenceLayer): RedriveDeps['invoke'] {
  const handlers = new Map<string, ReturnType<typeof createHandler>>();
  return (target, event) => {
    const key = `${target.rule}\n${target.functionName ?? ''}`;
    let handler = handlers.get(key);
    if (handler === undefined) {
      handler = createHandler(
        RULES_BY_FUNCTION[target.rule],
        deps,
        store,
        target.functionName === undefined ? {} : { idempotencyKeyPrefix: target.functionName },
      );
      handlers.set(key, handler);
    }
    return handler(event, localContext(target.rule));
  };
}

/** `redrive`'s argument and options. */
export function defineRedrive(command: Command): Command {
  return command
    .summary("run the failed-events queue's events through their functions again")
    .description(
      "Run each event in iam-warden's failed-events queue through its function's real handler, with the functions' configuration and idempotency keys (set IDEMPOTENCY_TABLE to the IdempotencyTableName output), and delete each message once its event was handled. Messages that fail again stay on the queue.",
    )
    .argument('<queue-url>', "the failed-events queue's URL: the stack's FailedEventsQueueUrl output")
    .option('--dry-run', 'report where each message would go; change nothing')
    .option('--limit <n>', 'stop after this many messages')
    .option('--verbose', "the functions' logs on standard error (and the stack trace of an unexpected error)")
    .addHelpText(
      'after',
      `
Exit status: 0 when every message was redriven (or would be); 1 when any failed, could not be routed or read;
  2 on a usage or configuration error (a queue that does not exist included).`,
    );
}

export interface RedriveCommand {
  readonly queueUrl: string;
  readonly dryRun: boolean;
  readonly limit: number | undefined;
  readonly verbose: boolean;
}

/** An SQS queue URL: `https://sqs.<region>.amazonaws.com/<account>/<name>`, or an emulator's `http://...`. */
const QUEUE_URL = /^https?:\/\/[^/\s]+\/\S+$/;

/** `redrive` as parsed by commander, validated. Throws `UsageError` naming what is wrong and what to give. */
export function redriveOptions(command: Command): RedriveCommand {
  const values = command.opts<{ dryRun?: boolean; limit?: string; verbose?: boolean }>();
  const [queueUrl] = command.args;
  if (queueUrl === undefined) throw new UsageError('redrive takes the failed-events queue URL');
  if (!QUEUE_URL.test(queueUrl)) {
    // SQS's API takes URLs, not names; a name given instead is the usual slip.
    throw new UsageError(
      `${queueUrl} is not a queue URL: give the URL (the stack's FailedEventsQueueUrl output, or \`aws sqs get-queue-url --queue-name ${queueUrl}\`)`,
    );
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError(`--limit must be a whole number of messages, not ${values.limit}`);
  }
  return { queueUrl, dryRun: values.dryRun ?? false, limit, verbose: values.verbose ?? false };
}

/** Parse `redrive`'s arguments on their own. Throws `UsageError`. */
export function parseRedriveArgs(args: readonly string[]): RedriveCommand {
  return redriveOptions(parseCommandLine(defineRedrive(new Command('redrive')), args));
}

/** What `runRedriveCommand` runs with: the CLI's context. */
export interface RedriveCommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly clients?: Clients;
  readonly sqs?: Pick<SQSClient, 'send'>;
  readonly idempotencyClient?: DynamoDBClient;
  readonly logger?: Deps['logger'];
}

/**
 * `iam-warden redrive`: run `redrive`, print one line per message; resolves to the exit status. Errors (a
 * queue that does not exist, an endpoint that cannot be reached) propagate to the program, which reports them.
 */
export async function runRedriveCommand(
  command: RedriveCommand,
  context: RedriveCommandContext,
): Promise<number> {
  // The functions' own configuration: a redriven event is handled exactly as the function would handle it.
  const config = loadConfig(context.env);
  const deps = createDeps(config, context.clients ?? createCliClients());
  const logger = context.logger ?? cliLogger(command.verbose, context.stderr);
  const entries = await redrive(
    {
      sqs: context.sqs ?? createCliSqs(),
      invoke: handlerInvoker(
        { ...deps, logger },
        idempotencyStore(config, context.idempotencyClient ?? createCliDynamo()),
      ),
      logger,
    },
    {
      queueUrl: command.queueUrl,
      dryRun: command.dryRun,
      ...(command.limit === undefined ? {} : { limit: command.limit }),
    },
  );
  for (const entry of entries) {
    const what = entry.decision ? `${entry.decision.outcome}: ${entry.decision.reason}` : (entry.error ?? '');
    context.stdout.write(
      `${entry.status.padEnd(13)} ${(entry.rule ?? '-').padEnd(13)} ${(entry.eventId ?? entry.messageId).padEnd(36)} ${what}\n`,
    );
  }
  const problems = entries.filter((entry) => !['redriven', 'would-redrive'].includes(entry.status));
  context.stdout.write(
    `${entries.length} message${entries.length === 1 ? '' : 's'}, ${problems.length} not redriven\n`,
  );
  return problems.length > 0 ? 1 : 0;
}

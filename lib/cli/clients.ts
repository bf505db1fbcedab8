import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';
import type { ClientOverrides } from '../aws.js';
import type { Clients } from '../deps.js';
import { iamWardenRetryStrategy } from '../retry.js';

/**
 * The command line's SDK clients. They differ from the functions' in one way: an endpoint that cannot be
 * reached fails in seconds. The SDK classes a refused connection and a failed DNS lookup as transient and
 * retries them like throttling, so with the functions' budget (10 attempts, delays up to 20 s) one replayed
 * event against a stopped endpoint took almost two minutes to fail. In Lambda that patience is right; at a
 * terminal, a refused connection means the endpoint is down or misnamed, and a person should hear it now.
 * Throttling keeps the functions' budget: a back-test or sweep against a busy account must still get through.
 */

/** How long a connection may take to open before the CLI gives up on it (the SDK waits forever by default). */
export const CLI_CONNECT_TIMEOUT_MS = 3_000;

/** Retries of a call whose connection failed (refused, unresolvable, unreachable, timed out). */
export const CLI_CONNECTION_RETRIES = 1;

/** The pause before that retry: a blip (an emulator restarting) passes, a stopped endpoint fails at once. */
const CONNECTION_RETRY_DELAY_MS = 250;

/** Node's codes for a connection that could not be made; ECONNRESET is not one (a server that answered). */
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The connection failure behind an error, if that is what it is: the error itself, its `cause` chain, or one
 * of an `AggregateError`'s errors (Node tries IPv6 and IPv4 addresses in turn and reports both refusals).
 * The connection timeout of the SDK's HTTP handler counts too.
 */
export function connectionFailure(error: unknown, depth = 0): NodeJS.ErrnoException | undefined {
  if (depth > 5 || !(error instanceof Error)) return undefined;
  const code = field(error, 'code');
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return error;
  if (error.name === 'TimeoutError' && /did not establish a connection/.test(error.message)) {
    return Object.assign(error, { code: 'ETIMEDOUT' });
  }
  const errors = field(error, 'errors');
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = connectionFailure(inner, depth + 1);
      if (found) return found;
    }
  }
  return connectionFailure(error.cause, depth + 1);
}

function token(count: number, delay: number, cost: number | undefined): StandardRetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => delay, getRetryCost: () => cost };
}

/**
 * iam-warden's retry strategy (lib/retry.ts) for everything but a failed connection, which is retried
 * `CLI_CONNECTION_RETRIES` time(s) after a short pause and then reported.
 */
export class CliRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private readonly budgeted = iamWardenRetryStrategy();

  acquireInitialRetryToken(): Promise<StandardRetryToken> {
    return this.budgeted.acquireInitialRetryToken();
  }

  async refreshRetryTokenForRetry(
    previous: StandardRetryToken,
    info: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    if (connectionFailure(info.error) === undefined) {
      return this.budgeted.refreshRetryTokenForRetry(previous, info);
    }
    const attempt = previous.getRetryCount() + 1;
    if (attempt > CLI_CONNECTION_RETRIES) {
      throw new Error('no retry: the connection failed again');
    }
    return token(attempt, CONNECTION_RETRY_DELAY_MS, undefined);
  }

  recordSuccess(succeeded: StandardRetryToken): void {
    this.budgeted.recordSuccess(succeeded);
  }
}

/** Settings every CLI client shares: the retry strategy above and a connection timeout. */
function cliClientConfig(overrides: ClientOverrides) {
  return {
    retryStrategy: new CliRetryStrategy(),
    requestHandler: { connectionTimeout: CLI_CONNECT_TIMEOUT_MS },
    ...overrides,
  };
}

/** The clients the handlers use (`Clients`), for the command line: see `CliRetryStrategy`. */
export function createCliClients(overrides: ClientOverrides = {}): Clients & {
  readonly iam: IAMClient;
  readonly dynamo: DynamoDBClient;
} {
  return {
    iam: new IAMClient(cliClientConfig(overrides)),
    sns: new SNSClient(cliClientConfig(overrides)),
    events: new EventBridgeClient(cliClientConfig(overrides)),
    dynamo: new DynamoDBClient(cliClientConfig(overrides)),
  };
}

/** STS for the command line (who runs `restore` and `history`). */
export function createCliSts(): STSClient {
  return new STSClient(cliClientConfig({}));
}

/** SQS for `redrive`. */
export function createCliSqs(): SQSClient {
  return new SQSClient(cliClientConfig({}));
}

/** DynamoDB for the idempotency store `redrive` shares with the functions. */
export function createCliDynamo(): DynamoDBClient {
  return new DynamoDBClient(cliClientConfig({}));
}

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Config, Mode } from './config.js';
import type { Deps } from './deps.js';
import { MIDDY_OPTIONS } from './middy.js';
import { handleEvent } from './pipeline.js';
import type { Decision } from './plan.js';
import { iamWardenRetryStrategy } from './retry.js';
import type { Rule } from './rules/rule.js';

/**
 * Idempotency keyed on the CloudTrail `eventID` (the EventBridge `id` for old records without one) and the
 * function's mode: EventBridge delivers at least once, and a duplicate must cause no second action and no
 * second notification. A duplicate gets the first delivery's decision back. The mode is part of the key
 * because a decision made in notify mode changed nothing: once the rule is in enforce, the same event (an
 * archive replay, a redelivery) must be run and enforced, not answered with "would remediate" for a week.
 * An event with neither ID selects nothing (`&&`), so Powertools lets the pipeline reject it. The Lambda
 * context is registered by the wrapper, so a timed-out invocation does not leave the key "in progress"
 * longer than its remaining time.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/
 */
export function idempotencyKey(mode: Mode): string {
  return `(detail.eventID || id) && {event: detail.eventID || id, mode: '${mode}'}`;
}

/** The Powertools persistence layer on the configured table, or undefined when idempotency is not configured. */
export function idempotencyStore(config: Config, client?: DynamoDBClient): BasePersistenceLayer | undefined {
  if (config.idempotencyTable === undefined) return undefined;
  return new DynamoDBPersistenceLayer({
    tableName: config.idempotencyTable,
    awsSdkV3Client: client ?? new DynamoDBClient({ retryStrategy: iamWardenRetryStrategy() }),
  });
}

export interface HandlerOptions {
  /**
   * The idempotency key prefix; Powertools uses `AWS_LAMBDA_FUNCTION_NAME`. Only a handler run outside the
   * function (`iam-warden redrive`) sets it, to the deployed function's name, so it shares that function's keys.
   */
  readonly idempotencyKeyPrefix?: string;
}

/**
 * A Lambda handler for one rule: Powertools logging with the Lambda context, idempotency when a store is
 * given, then the pipeline. Validation happens inside the pipeline so that a malformed event becomes a
 * reported `rejected` decision (with its reason) rather than an exception Lambda would retry in vain.
 */
export function createHandler<T>(
  rule: Rule<T>,
  deps: Deps,
  store?: BasePersistenceLayer,
  options: HandlerOptions = {},
) {
  const pipeline = (event: unknown, _context: Context) => handleEvent(rule, deps, event);
  // Powertools' function wrapper rather than its middy middleware: the middleware (2.35.0, the newest release)
  // deletes the idempotency record when it refuses a duplicate as "already in progress", releasing the lock
  // of the delivery still running, so Lambda's retry of the duplicate runs the pipeline beside it
  // (aws-powertools/powertools-lambda-typescript#5675, fixed after 2.35.0). The wrapper deletes the record
  // only when the pipeline itself throws.
  const body =
    store === undefined
      ? pipeline
      : makeIdempotent(pipeline, {
          ...(options.idempotencyKeyPrefix === undefined ? {} : { keyPrefix: options.idempotencyKeyPrefix }),
          persistenceStore: store,
          config: new IdempotencyConfig({
            eventKeyJmesPath: idempotencyKey(deps.config.modes[rule.name]),
            // An event without a key is malformed: let the pipeline reject it with its reason instead of
            // throwing.
            throwOnNoIdempotencyKey: false,
            expiresAfterSeconds: 7 * 24 * 3600,
          }),
        });
  return middy<unknown, Decision>(MIDDY_OPTIONS)
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(body);
}

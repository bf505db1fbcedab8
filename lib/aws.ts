import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config.js';
import type { Clients, Deps } from './deps.js';
import { iamWardenRetryStrategy } from './retry.js';

/**
 * The SDK clients, configured from the standard SDK environment (`AWS_REGION`, `AWS_ENDPOINT_URL`,
 * credentials): the same code talks to AWS in Lambda, to moto in tests and the demo.
 */
export function createClients(): Clients {
  return {
    iam: new IAMClient({ retryStrategy: iamWardenRetryStrategy() }),
    sns: new SNSClient({ retryStrategy: iamWardenRetryStrategy() }),
    events: new EventBridgeClient({ retryStrategy: iamWardenRetryStrategy() }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ retryStrategy: iamWardenRetryStrategy() }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };
}

export const logger = new Logger({ serviceName: 'iam-warden' });

/** Everything a handler needs, wired for production: real clients, the wall clock, real sleeps. */
export function createDeps(config: Config, clients: Clients = createClients()): Deps {
  return {
    ...clients,
    config,
    clock: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    logger,
  };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Config } from './config.js';
import type { Clients, Deps } from './deps.js';
import { iamWardenRetryStrategy } from './retry.js';

/** Client settings that replace the SDK environment's: the demo pins its emulator's endpoint this way. */
export interface ClientOverrides {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The SDK clients, configured from the standard SDK environment (`AWS_REGION`, `AWS_ENDPOINT_URL`,
 * credentials): the same code talks to AWS in Lambda, to moto in tests and the demo. `overrides` take
 * precedence over the environment (the demo passes moto's endpoint, so it can never reach a real account).
 */
export function createClients(overrides: ClientOverrides = {}): Clients {
  return {
    iam: new IAMClient({ retryStrategy: iamWardenRetryStrategy(), ...overrides }),
    sns: new SNSClient({ retryStrategy: iamWardenRetryStrategy(), ...overrides }),
    events: new EventBridgeClient({ retryStrategy: iamWardenRetryStrategy(), ...overrides }),
    dynamo: new DynamoDBClient({ retryStrategy: iamWardenRetryStrategy(), ...overrides }),
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

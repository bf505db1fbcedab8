import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Config } from './config.js';

/** The AWS clients iam-warden uses, typed by what it calls so tests can pass mocks. */
export interface Clients {
  readonly iam: Pick<IAMClient, 'send'>;
  readonly sns: Pick<SNSClient, 'send'>;
  readonly events: Pick<EventBridgeClient, 'send'>;
  readonly dynamo: Pick<DynamoDBClient, 'send'>;
}

/** Everything effects need, injected: clients, configuration, time and logging. */
export interface Deps extends Clients {
  readonly config: Config;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly logger: Logger;
}

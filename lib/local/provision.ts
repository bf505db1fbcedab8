import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreatePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { IamWardenError } from '../errors.js';

/** What `provisionLocal` created, and the environment the iam-warden functions need to use it. */
export interface LocalResources {
  env: Record<string, string>;
  notificationsQueueUrl: string;
  resultsQueueUrl: string;
  dlqUrl: string;
  topicArn: string;
}

export interface LocalEndpoint {
  endpoint: string;
  /** `us-east-1` by default. */
  region?: string;
}

/** A notification as the subscriber sees it: the SNS subject, body and String attributes. */
export interface Notification {
  subject: string;
  message: string;
  attributes: Record<string, string>;
}

export const AUDIT_TABLE = 'iam-warden-audit';
export const IDEMPOTENCY_TABLE = 'iam-warden-idempotency';
const DEFAULT_REGION = 'us-east-1';

/**
 * SDK client settings for a local endpoint: explicit endpoint, region and dummy credentials, so nothing
 * depends on the caller's profile or `AWS_*` variables (and nothing can reach a real account by accident).
 */
export function localClientConfig({ endpoint, region = DEFAULT_REGION }: LocalEndpoint) {
  return { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}

/** The deny-all policy `RepeatOffenderAction: quarantine` attaches, as the stack's `QuarantinePolicy`. */
export const QUARANTINE_POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'DenyEverything', Effect: 'Deny', Action: '*', Resource: '*' }],
});

async function createQuarantinePolicy(iam: IAMClient): Promise<string> {
  const { Policy } = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'iam-warden-quarantine',
      Path: '/iam-warden/',
      PolicyDocument: QUARANTINE_POLICY_DOCUMENT,
    }),
  );
  if (Policy?.Arn === undefined) throw new IamWardenError('CreatePolicy returned no Arn');
  return Policy.Arn;
}

/**
 * Creates what the iam-warden functions need on a fresh (or reset) emulator: the notifications topic with an
 * SQS tap, the audit and idempotency tables, an EventBridge rule copying `iam-warden` events to a results tap,
 * and a DLQ. Resolves to the environment the functions read (see lib/config.ts) plus the tap queue URLs.
 */
export async function provisionLocal(options: LocalEndpoint): Promise<LocalResources> {
  const region = options.region ?? DEFAULT_REGION;
  const config = localClientConfig({ endpoint: options.endpoint, region });
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const dynamodb = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);
  const iam = new IAMClient(config);
  try {
    const { TopicArn: topicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'iam-warden-notifications' }),
    );
    if (topicArn === undefined) throw new IamWardenError('CreateTopic returned no TopicArn');

    const notifications = await createQueue(sqs, 'iam-warden-notifications-tap');
    await allowToSend(sqs, notifications, 'sns.amazonaws.com', topicArn);
    // Not raw delivery: each body is the SNS envelope, so tests can read Subject and MessageAttributes.
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: notifications.arn }),
    );

    const results = await createQueue(sqs, 'iam-warden-results-tap');
    const { RuleArn: ruleArn } = await events.send(
      new PutRuleCommand({
        Name: 'iam-warden-results',
        EventBusName: 'default',
        EventPattern: JSON.stringify({ source: ['iam-warden'] }),
        State: 'ENABLED',
      }),
    );
    if (ruleArn === undefined) throw new IamWardenError('PutRule returned no RuleArn');
    await allowToSend(sqs, results, 'events.amazonaws.com', ruleArn);
    await events.send(
      new PutTargetsCommand({
        Rule: 'iam-warden-results',
        EventBusName: 'default',
        Targets: [{ Id: 'results-tap', Arn: results.arn }],
      }),
    );

    const dlq = await createQueue(sqs, 'iam-warden-dlq');

    await dynamodb.send(
      new CreateTableCommand({
        TableName: AUDIT_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'resourceArn', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
          { AttributeName: 'runId', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byResource',
            KeySchema: [
              { AttributeName: 'resourceArn', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'byRun',
            KeySchema: [
              { AttributeName: 'runId', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    // Powertools idempotency's defaults: partition key `id`, expiry in `expiration`.
    await dynamodb.send(
      new CreateTableCommand({
        TableName: IDEMPOTENCY_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    for (const TableName of [AUDIT_TABLE, IDEMPOTENCY_TABLE]) {
      await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName });
    }
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: IDEMPOTENCY_TABLE,
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      }),
    );

    const quarantinePolicyArn = await createQuarantinePolicy(iam);

    return {
      env: {
        AWS_ENDPOINT_URL: options.endpoint,
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        TOPIC_ARN: topicArn,
        AUDIT_TABLE,
        IDEMPOTENCY_TABLE,
        EVENT_BUS_NAME: 'default',
        QUARANTINE_POLICY_ARN: quarantinePolicyArn,
      },
      notificationsQueueUrl: notifications.url,
      resultsQueueUrl: results.url,
      dlqUrl: dlq.url,
      topicArn,
    };
  } finally {
    for (const client of [sns, sqs, dynamodb, events, iam]) client.destroy();
  }
}

/**
 * Receives and deletes messages until the queue has stayed empty for `waitMs` (200 ms by default), and
 * returns their bodies parsed as JSON, oldest receive first.
 */
export async function drainQueue(
  options: LocalEndpoint & { queueUrl: string; waitMs?: number },
): Promise<unknown[]> {
  const { queueUrl, waitMs = 200 } = options;
  const sqs = new SQSClient(localClientConfig(options));
  const bodies: unknown[] = [];
  try {
    let emptySince = Date.now();
    while (true) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) {
        // Short polls can miss messages that are still in flight (or, on real SQS, on another host): keep
        // asking for a little while before calling the queue empty.
        if (Date.now() - emptySince >= waitMs) return bodies;
        await sleep(50);
        continue;
      }
      // Parse before deleting, so a body we cannot read stays on the queue for someone to look at.
      for (const message of Messages) bodies.push(JSON.parse(message.Body ?? ''));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      emptySince = Date.now();
    }
  } finally {
    sqs.destroy();
  }
}

const SnsEnvelope = z.object({
  Subject: z.string().nullish(),
  Message: z.string(),
  MessageAttributes: z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })).optional(),
});

/** Drains the notifications tap and unwraps each SNS envelope. Attributes map name to `Value`. */
export async function readNotifications(
  resources: LocalResources,
  options: { waitMs?: number } = {},
): Promise<Notification[]> {
  const bodies = await drainQueue({
    ...endpointOf(resources),
    queueUrl: resources.notificationsQueueUrl,
    ...options,
  });
  return bodies.map((body) => {
    const envelope = SnsEnvelope.parse(body);
    return {
      subject: envelope.Subject ?? '',
      message: envelope.Message,
      attributes: Object.fromEntries(
        Object.entries(envelope.MessageAttributes ?? {}).map(([name, { Value }]) => [name, Value]),
      ),
    };
  });
}

const EventBridgeEnvelope = z.looseObject({
  id: z.string(),
  source: z.string(),
  'detail-type': z.string(),
  time: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});

/** An EventBridge event as a rule target receives it. */
export type EventEnvelope = z.infer<typeof EventBridgeEnvelope>;

/** Drains the results tap: the events iam-warden put on the bus, as EventBridge envelopes. */
export async function readResults(
  resources: LocalResources,
  options: { waitMs?: number } = {},
): Promise<EventEnvelope[]> {
  const bodies = await drainQueue({
    ...endpointOf(resources),
    queueUrl: resources.resultsQueueUrl,
    ...options,
  });
  return bodies.map((body) => EventBridgeEnvelope.parse(body));
}

async function createQueue(sqs: SQSClient, name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (url === undefined) throw new IamWardenError(`CreateQueue ${name} returned no QueueUrl`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new IamWardenError(`GetQueueAttributes ${name} returned no QueueArn`);
  return { url, arn };
}

/** The queue policy a real account needs for SNS or EventBridge to deliver; moto does not enforce it. */
async function allowToSend(
  sqs: SQSClient,
  queue: { url: string; arn: string },
  service: string,
  sourceArn: string,
): Promise<void> {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sqs:SendMessage',
        Resource: queue.arn,
        Condition: { ArnEquals: { 'aws:SourceArn': sourceArn } },
      },
    ],
  };
  await sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: JSON.stringify(policy) } }),
  );
}

function endpointOf(resources: LocalResources): LocalEndpoint {
  const endpoint = resources.env.AWS_ENDPOINT_URL;
  if (endpoint === undefined) throw new IamWardenError('LocalResources.env has no AWS_ENDPOINT_URL');
  return { endpoint, region: resources.env.AWS_REGION ?? DEFAULT_REGION };
}

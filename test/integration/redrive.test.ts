import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeps } from '../../lib/aws.js';
import { handlerInvoker, type RedriveDeps, type RedriveTarget, redrive } from '../../lib/cli/redrive.js';
import { runCli } from '../../lib/cli/run.js';
import { loadConfig } from '../../lib/config.js';
import { idempotencyStore } from '../../lib/handler.js';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  type IamEventEnvelope,
  putUserPolicyEvent,
  sampleEvent,
} from '../support/events.js';
import { drainTaps, ENFORCE, freshAccount, motoClients } from '../support/integration.js';
import { localAws } from '../support/moto.js';

/**
 * `iam-warden redrive` against moto's SQS, with the real handlers on moto: both shapes the failed-events queue
 * receives, routing, deleting only what was handled, and a dry run.
 */

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:iam-warden-admin-policy';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }],
});

const clients = motoClients();
const sqs = new SQSClient(localAws());
const idempotencyClient = new DynamoDBClient(localAws());
const logger = new Logger({ serviceName: 'iam-warden', logLevel: 'SILENT' });
let resources: LocalResources;
let invoke: RedriveDeps['invoke'];
/** What the real invoker was asked to run, in order. */
let invoked: RedriveTarget[];

beforeAll(async () => {
  resources = await freshAccount();
  const config = loadConfig({ ...ENFORCE, ...resources.env });
  const real = handlerInvoker(createDeps(config, clients), idempotencyStore(config, idempotencyClient));
  invoke = (target, event) => {
    invoked.push(target);
    return real(target, event);
  };
});
beforeEach(async () => {
  invoked = [];
  await sqs.send(new PurgeQueueCommand({ QueueUrl: resources.dlqUrl }));
  await drainTaps(resources);
});
afterAll(() => {
  sqs.destroy();
  idempotencyClient.destroy();
  for (const client of Object.values(clients)) client.destroy();
});

async function roleWithAdmin(roleName: string): Promise<void> {
  await clients.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
  await clients.iam.send(
    new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMINISTRATOR_ACCESS }),
  );
}

/** What Lambda's on-failure destination sends once it gave up on an event. */
function lambdaFailure(event: IamEventEnvelope, functionArn = FUNCTION_ARN): string {
  return JSON.stringify({
    version: '1.0',
    timestamp: '2025-06-01T12:00:00.000Z',
    requestContext: {
      requestId: 'c5b8f3a2-0000-4000-8000-000000000001',
      functionArn: `${functionArn}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'Throttling', errorMessage: 'Rate exceeded' },
  });
}

async function enqueue(body: string, targetArn?: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: resources.dlqUrl,
      MessageBody: body,
      // What EventBridge attaches to a dead letter: the rule, the target, and why delivery failed.
      ...(targetArn === undefined
        ? {}
        : {
            MessageAttributes: {
              RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:us-east-1:123456789012:rule/x' },
              TARGET_ARN: { DataType: 'String', StringValue: targetArn },
              ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' },
            },
          }),
    }),
  );
}

async function visibleMessages(): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: resources.dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? -1);
}

describe('iam-warden redrive', () => {
  it('runs a Lambda on-failure record through the function it names, then deletes it', async () => {
    await roleWithAdmin('redrive+=,.@_-lambda');
    const event = attachRolePolicyEvent('redrive+=,.@_-lambda');
    await enqueue(lambdaFailure(event));

    const entries = await redrive(
      { sqs, invoke, logger },
      { queueUrl: resources.dlqUrl, waitTimeSeconds: 0 },
    );

    expect(entries).toEqual([
      expect.objectContaining({
        status: 'redriven',
        shape: 'lambda-destination',
        rule: 'admin-policy',
        functionName: 'iam-warden-admin-policy',
        eventId: event.detail.eventID,
        eventName: 'AttachRolePolicy',
        decision: expect.objectContaining({ outcome: 'remediated' }),
      }),
    ]);
    expect(await visibleMessages()).toBe(0);
    expect((await readNotifications(resources)).map((n) => n.attributes.outcome)).toEqual(['remediated']);
  });

  it('is `iam-warden redrive <queue-url>`: one line per message, exit 0 once all are redriven', async () => {
    await roleWithAdmin('redrive-cli');
    const event = attachRolePolicyEvent('redrive-cli');
    await enqueue(lambdaFailure(event));
    let out = '';
    let err = '';

    const status = await runCli(['redrive', resources.dlqUrl], {
      // Redrive runs the functions with their configuration: the stack's modes, here every rule in enforce.
      env: { ...resources.env, ...ENFORCE },
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      clients,
      sqs,
      idempotencyClient,
    });

    expect({ status, err }).toEqual({ status: 0, err: '' });
    expect(out).toContain(`redriven      admin-policy  ${event.detail.eventID}`);
    expect(out).toContain('remediated: AdministratorAccess was attached to role redrive-cli');
    expect(out).toContain('1 message, 0 not redriven');
    expect(await visibleMessages()).toBe(0);
  });

  it('refuses a redrive command line without a queue URL, on one line with a hint', async () => {
    let err = '';
    const status = await runCli(['redrive'], {
      env: resources.env,
      stdout: { write: () => undefined },
      stderr: { write: (text: string) => (err += text) },
      clients,
      sqs,
    });

    expect(status).toBe(2);
    expect(err).toBe("iam-warden: missing required argument 'queue-url' (see iam-warden redrive --help)\n");
  });

  it('runs an EventBridge dead letter through its TARGET_ARN, or else through the rule patterns', async () => {
    await roleWithAdmin('redrive+=,.@_-eventbridge');
    await clients.iam.send(new CreateUserCommand({ UserName: 'redrive+=,.@_-user' }));
    await clients.iam.send(
      new PutUserPolicyCommand({ UserName: 'redrive+=,.@_-user', PolicyName: 'p', PolicyDocument: DOCUMENT }),
    );
    await enqueue(JSON.stringify(attachRolePolicyEvent('redrive+=,.@_-eventbridge')), FUNCTION_ARN);
    await enqueue(JSON.stringify(putUserPolicyEvent('redrive+=,.@_-user', 'p', DOCUMENT)));

    const entries = await redrive(
      { sqs, invoke, logger },
      { queueUrl: resources.dlqUrl, waitTimeSeconds: 0 },
    );

    expect(
      entries.map((entry) => [
        entry.status,
        entry.shape,
        entry.rule,
        entry.functionName,
        entry.decision?.outcome,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['redriven', 'eventbridge-dlq', 'admin-policy', 'iam-warden-admin-policy', 'remediated'],
        ['redriven', 'eventbridge-dlq', 'inline-policy', undefined, 'remediated'],
      ]),
    );
    expect(entries).toHaveLength(2);
    expect(await visibleMessages()).toBe(0);
  });

  it('answers an event its function already handled from idempotency, acting and notifying no more', async () => {
    await roleWithAdmin('redrive+=,.@_-twice');
    const event = attachRolePolicyEvent('redrive+=,.@_-twice');
    await enqueue(lambdaFailure(event));
    await enqueue(lambdaFailure(event));

    const entries = await redrive(
      { sqs, invoke, logger },
      { queueUrl: resources.dlqUrl, waitTimeSeconds: 0 },
    );

    expect(entries.map((entry) => entry.status)).toEqual(['redriven', 'redriven']);
    expect(entries[1]?.decision).toEqual(entries[0]?.decision);
    expect((await readNotifications(resources)).map((n) => n.attributes.outcome)).toEqual(['remediated']);
  });

  it('keeps, and reports, what it cannot handle: a failing handler, an unroutable event, an unreadable body', async () => {
    const failing: RedriveDeps['invoke'] = () => Promise.reject(new Error('Throttling: Rate exceeded'));
    await enqueue(lambdaFailure(attachRolePolicyEvent('whatever')));
    await enqueue(JSON.stringify(sampleEvent('s3-create-bucket')));
    await enqueue('{not json');

    const entries = await redrive(
      { sqs, invoke: failing, logger },
      { queueUrl: resources.dlqUrl, waitTimeSeconds: 0 },
    );

    const byStatus = Object.fromEntries(entries.map((entry) => [entry.status, entry]));
    expect(Object.keys(byStatus).sort()).toEqual(['failed', 'unreadable', 'unroutable']);
    expect(byStatus.failed?.error).toBe('Error: Throttling: Rate exceeded');
    expect(byStatus.unroutable?.error).toBe('no iam-warden rule pattern matches the event');
    expect(byStatus.unreadable?.error).toMatch(/^SyntaxError: /);
    // All three are visible again at once, for the next run or a person.
    expect(await visibleMessages()).toBe(3);
  });

  it('runs nothing and deletes nothing in a dry run', async () => {
    await enqueue(lambdaFailure(attachRolePolicyEvent('dry+=,.@_-run')));
    await enqueue(JSON.stringify(putUserPolicyEvent('dry-user', 'p', DOCUMENT)));

    const entries = await redrive(
      { sqs, invoke, logger },
      { queueUrl: resources.dlqUrl, dryRun: true, waitTimeSeconds: 0 },
    );

    expect(entries.map((entry) => [entry.status, entry.rule])).toEqual(
      expect.arrayContaining([
        ['would-redrive', 'admin-policy'],
        ['would-redrive', 'inline-policy'],
      ]),
    );
    expect(invoked).toEqual([]);
    expect(await visibleMessages()).toBe(2);
  });

  it('stops after --limit messages', async () => {
    for (const name of ['a', 'b', 'c']) await enqueue(lambdaFailure(attachRolePolicyEvent(`limit-${name}`)));

    const entries = await redrive(
      { sqs, invoke, logger },
      { queueUrl: resources.dlqUrl, dryRun: true, limit: 2, waitTimeSeconds: 0 },
    );

    expect(entries).toHaveLength(2);
    expect(await visibleMessages()).toBe(3);
  });
});

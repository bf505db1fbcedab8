import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { functionNameOf, type RedriveDeps, redrive, ruleOfFunction } from '../../../lib/cli/redrive.js';
import type { Decision } from '../../../lib/plan.js';
import { sampleEvent, silentLogger } from '../../support/deps.js';

const sqs = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/iam-warden-FailedEventsQueue';
const DECISION: Decision = {
  rule: 'admin-policy',
  mode: 'enforce',
  outcome: 'remediated',
  reason: 'AdministratorAccess was attached',
  eventId: 'e-1',
  eventName: 'AttachRolePolicy',
};

beforeEach(() => {
  sqs.reset();
  sqs.on(DeleteMessageCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

function deps(invoke: RedriveDeps['invoke']): RedriveDeps {
  return { sqs: new SQSClient({ region: 'us-east-1' }), invoke, router: () => [], logger: silentLogger() };
}

function destinationRecord(messageId: string) {
  return {
    MessageId: messageId,
    ReceiptHandle: `handle-${messageId}`,
    Body: JSON.stringify({
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:prod-iam-warden-admin-policy:$LATEST',
      },
      requestPayload: sampleEvent('attach-role-policy-admin'),
    }),
  };
}

describe('functionNameOf', () => {
  it('reads the function name from a Lambda ARN, with or without a qualifier', () => {
    expect(functionNameOf('arn:aws:lambda:us-east-1:123456789012:function:iam-warden-access-keys')).toBe(
      'iam-warden-access-keys',
    );
    expect(functionNameOf('arn:aws-cn:lambda:cn-north-1:123456789012:function:x-inline-policy:$LATEST')).toBe(
      'x-inline-policy',
    );
  });

  it('returns undefined for anything but a Lambda function ARN', () => {
    expect(functionNameOf('arn:aws:sqs:us-east-1:123456789012:queue')).toBeUndefined();
    expect(functionNameOf('access-keys')).toBeUndefined();
  });
});

describe('ruleOfFunction', () => {
  it("maps a deployed function (`<stack>-<rule>`) or a rule's own name to the rule", () => {
    expect(ruleOfFunction('iam-warden-admin-policy')).toBe('admin-policy');
    expect(ruleOfFunction('inline-policy')).toBe('inline-policy');
    expect(ruleOfFunction('iam-warden-sweep')).toBeUndefined();
    expect(ruleOfFunction('access-keys-old')).toBeUndefined();
  });
});

describe('redrive', () => {
  it('stops when the queue gives back only messages it has seen, without running them twice', async () => {
    const invoke = vi.fn(async () => DECISION);
    // The failed message reappears (its visibility ran out): the queue holds nothing new.
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [destinationRecord('m-1')] })
      .resolves({ Messages: [destinationRecord('m-1')] });
    invoke.mockRejectedValueOnce(new Error('still throttled'));

    const entries = await redrive(deps(invoke), { queueUrl: QUEUE_URL });

    expect(entries.map((entry) => [entry.messageId, entry.status])).toEqual([['m-1', 'failed']]);
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith(
      { rule: 'admin-policy', functionName: 'prod-iam-warden-admin-policy' },
      expect.objectContaining({ source: 'aws.iam' }),
    );
    expect(sqs).toReceiveCommandTimes(ReceiveMessageCommand, 2);
    expect(sqs).not.toReceiveCommand(DeleteMessageCommand);
    expect(sqs).toReceiveCommandWith(ChangeMessageVisibilityCommand, {
      QueueUrl: QUEUE_URL,
      ReceiptHandle: 'handle-m-1',
      VisibilityTimeout: 0,
    });
  });

  it('deletes a message only after its event was handled', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [destinationRecord('m-2')] })
      .resolves({ Messages: [] });

    const entries = await redrive(
      deps(async () => DECISION),
      { queueUrl: QUEUE_URL },
    );

    expect(entries).toEqual([expect.objectContaining({ status: 'redriven', decision: DECISION })]);
    expect(sqs).toReceiveCommandWith(DeleteMessageCommand, {
      QueueUrl: QUEUE_URL,
      ReceiptHandle: 'handle-m-2',
    });
    expect(sqs).not.toReceiveCommand(ChangeMessageVisibilityCommand);
  });

  it('releases what it kept even when the queue fails mid-run', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [destinationRecord('m-3')] })
      .rejects(new Error('AWS.SimpleQueueService.NonExistentQueue'));

    await expect(
      redrive(
        deps(() => Promise.reject(new Error('boom'))),
        { queueUrl: QUEUE_URL },
      ),
    ).rejects.toThrow('NonExistentQueue');
    expect(sqs).toReceiveCommandWith(ChangeMessageVisibilityCommand, {
      ReceiptHandle: 'handle-m-3',
      VisibilityTimeout: 0,
    });
  });

  it('asks for long polls, all message attributes, and a visibility longer than a handler run', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });

    await redrive(
      deps(async () => DECISION),
      { queueUrl: QUEUE_URL, limit: 4 },
    );

    expect(sqs).toReceiveCommandWith(ReceiveMessageCommand, {
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 4,
      VisibilityTimeout: 300,
      WaitTimeSeconds: 2,
      MessageAttributeNames: ['All'],
    });
  });
});

import { DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.js';
import { SweepIncompleteError } from '../../lib/errors.js';
import { createSweepHandler } from '../../lib/sweep-handler.js';
import { DAY_MS, NOW, testDeps } from '../support/deps.js';
import { itemsOutput, putItems } from '../support/dynamo.js';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const OLD = new Date(NOW.getTime() - 200 * DAY_MS);

/** An EventBridge schedule rule's event, as Lambda receives it. */
const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-06-01T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/iam-warden-SweepFunctionSchedule'],
  detail: {},
};

function context(remainingMs = 900_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'iam-warden-sweep',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:iam-warden-sweep',
    memoryLimitInMB: '512',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/iam-warden-sweep',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

beforeEach(() => {
  for (const mock of [iam, sns, events, dynamo]) mock.reset();
  const csv = [
    'user,arn,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated',
    `alice,arn:aws:iam::123456789012:user/alice,true,${OLD.toISOString()},false,N/A`,
  ].join('\n');
  iam.on(GenerateCredentialReportCommand).resolves({ State: 'COMPLETE' });
  iam.on(GetCredentialReportCommand).resolves({ Content: new TextEncoder().encode(csv), GeneratedTime: NOW });
  iam.on(GetAccountAuthorizationDetailsCommand).resolves({
    UserDetailList: [
      {
        UserName: 'alice',
        Arn: 'arn:aws:iam::123456789012:user/alice',
        UserId: 'AIDA1',
        Path: '/',
        CreateDate: OLD,
      },
    ],
    RoleDetailList: [],
    IsTruncated: false,
  });
  iam.on(ListAccessKeysCommand).resolves({
    AccessKeyMetadata: [{ UserName: 'alice', AccessKeyId: 'AKIAOLD', CreateDate: OLD, Status: 'Active' }],
  });
  iam.on(UpdateAccessKeyCommand).resolves({});
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({});
  dynamo.on(QueryCommand).resolves(itemsOutput([]));
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});

function recordedEventId(): string | undefined {
  return putItems<AuditRecord>(dynamo)[0]?.trigger.eventId;
}

describe('createSweepHandler', () => {
  it('names the run after the scheduled event, which a Lambda retry keeps, and returns the summary', async () => {
    const handler = createSweepHandler(testDeps());

    const summary = await handler(structuredClone(SCHEDULED_EVENT), context());

    expect(recordedEventId()).toBe(`sweep:${SCHEDULED_EVENT.id}:access-keys:alice`);
    expect(summary).toMatchObject({ runId: SCHEDULED_EVENT.id, remediated: 1, failed: 0, deferred: 0 });
    expect(summary).not.toHaveProperty('decisions');
  });

  it('names a run invoked by hand after the Lambda request', async () => {
    const handler = createSweepHandler(testDeps());

    await handler({}, context());

    expect(recordedEventId()).toBe('sweep:request-1:access-keys:alice');
  });

  it('fails the invocation after reporting, when an offender failed, so Lambda retries it', async () => {
    iam.on(UpdateAccessKeyCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const handler = createSweepHandler(testDeps());

    await expect(handler(structuredClone(SCHEDULED_EVENT), context())).rejects.toThrow(SweepIncompleteError);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      Subject: 'iam-warden: FAILED to deactivate 1 old access key of user alice',
    });
  });

  it('fails the invocation when time ran out before every offender was reached', async () => {
    const handler = createSweepHandler(testDeps());

    await expect(handler(structuredClone(SCHEDULED_EVENT), context(30_000))).rejects.toThrow(
      'sweep 53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa: 0 failed, 1 not reached before the timeout',
    );
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
  });
});

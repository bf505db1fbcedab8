import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler, idempotencyStore } from '../../lib/handler.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { sampleEvent, testDeps } from '../support/deps.js';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'iam-warden-admin-policy',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:iam-warden-admin-policy',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/iam-warden-admin-policy',
    logStreamName: '2025/06/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 120_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

beforeEach(() => {
  iam.reset();
  sns.reset();
  events.reset();
  dynamo.reset();
  iam
    .on(GetRoleCommand)
    .resolves({
      Role: {
        RoleName: 'new-role',
        Path: '/',
        Arn: 'arn:aws:iam::123456789012:role/new-role',
        RoleId: 'AROAEXAMPLE',
        CreateDate: new Date('2024-01-01T00:00:00Z'),
      },
    })
    .on(ListAttachedRolePoliciesCommand)
    .resolves({
      AttachedPolicies: [{ PolicyArn: ADMIN, PolicyName: 'AdministratorAccess' }],
      IsTruncated: false,
    })
    .on(DetachRolePolicyCommand)
    .resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  dynamo
    .on(GetItemCommand)
    .resolves({})
    .on(PutItemCommand)
    .resolves({})
    .on(UpdateItemCommand)
    .resolves({})
    .on(QueryCommand)
    .resolves({ Items: [] });
});

describe('createHandler', () => {
  it('runs the pipeline through middy and returns its decision', async () => {
    const handler = createHandler(adminPolicyRule, testDeps());

    const decision = await handler(sampleEvent('attach-role-policy-admin'), lambdaContext());

    expect(decision).toMatchObject({ rule: 'admin-policy', outcome: 'remediated', eventId: '1' });
    expect(iam).toHaveReceivedCommandWith(DetachRolePolicyCommand, {
      RoleName: 'new-role',
      PolicyArn: ADMIN,
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('adds the Lambda context to the logger', async () => {
    const deps = testDeps();
    const addContext = vi.spyOn(deps.logger, 'addContext');
    const context = lambdaContext();

    await createHandler(adminPolicyRule, deps)(sampleEvent('attach-role-policy-admin'), context);

    expect(addContext).toHaveBeenCalledWith(context);
  });

  it('resolves a malformed event to a rejected decision instead of failing the invocation', async () => {
    const handler = createHandler(adminPolicyRule, testDeps());

    const decision = await handler(sampleEvent('s3-create-bucket'), lambdaContext());

    expect(decision).toMatchObject({ outcome: 'rejected', error: 'InvalidEventError' });
    expect(iam.calls()).toHaveLength(0);
  });

  it('lets the pipeline run to the deadline: no early timeout that would end the invocation but not the work', async () => {
    // The detach takes longer than the time left. middy's default would throw TimeoutError 5 ms before the
    // deadline and leave the pipeline running; here Lambda's own timeout is what stops it.
    iam
      .on(DetachRolePolicyCommand)
      .callsFake(() => new Promise((resolve) => setTimeout(() => resolve({}), 100)));
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 30 };

    const decision = await createHandler(adminPolicyRule, testDeps())(
      sampleEvent('attach-role-policy-admin'),
      context,
    );

    expect(decision).toMatchObject({ outcome: 'remediated' });
  });

  it('keys idempotency on the event ID and the mode: a notify decision never answers an enforcing run', async () => {
    const idempotencyKeys = (mode: string, event: unknown) => {
      dynamo.resetHistory();
      const deps = testDeps({ env: { IDEMPOTENCY_TABLE: 'idempotency', MODE_ADMIN_POLICY: mode } });
      const store = idempotencyStore(deps.config, new DynamoDBClient({}));
      return createHandler(
        adminPolicyRule,
        deps,
        store,
      )(event, lambdaContext()).then(() =>
        dynamo
          .commandCalls(PutItemCommand)
          .map((call) => call.args[0].input)
          .filter((input) => input.TableName === 'idempotency' && input.Item?.status?.S === 'INPROGRESS')
          .map((input) => input.Item?.id?.S),
      );
    };
    const event = sampleEvent('attach-role-policy-admin');
    const redelivered = { ...structuredClone(event), id: 'another-envelope' };

    const notify = await idempotencyKeys('notify', event);
    const enforce = await idempotencyKeys('enforce', event);

    expect(notify).toHaveLength(1);
    expect(await idempotencyKeys('notify', redelivered)).toEqual(notify);
    expect(enforce).toHaveLength(1);
    expect(enforce).not.toEqual(notify);
    // An event with neither ID is not made idempotent (all such events would share one key): it is rejected.
    const { id: _id, ...anonymous } = structuredClone(event);
    delete (anonymous.detail as { eventID?: string }).eventID;
    expect(await idempotencyKeys('enforce', anonymous)).toEqual([]);
  });

  it('fails the invocation when the pipeline fails, so Lambda retries and the failure destination apply', async () => {
    const failure = new ServiceFailureException({ message: 'IAM is down', $metadata: {} });
    iam.on(DetachRolePolicyCommand).rejects(failure);
    const handler = createHandler(adminPolicyRule, testDeps());

    await expect(handler(sampleEvent('attach-role-policy-admin'), lambdaContext())).rejects.toBe(failure);
  });
});

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalResources,
  provisionLocal,
  readNotifications,
  readResults,
} from '../../lib/local/provision.js';
import { localAws, motoEndpoint, resetMoto } from '../support/moto.js';

const ADMIN_POLICY_ARN = 'arn:aws:iam::aws:policy/AdministratorAccess';

// One moto_server serves every integration file; start from an empty account, not from the previous file's.
beforeAll(() => resetMoto());

describe('provisionLocal', () => {
  let resources: LocalResources;

  // Provisioned once: with managed policies loaded, a moto reset costs a second or two, and each test below
  // only reads back what it wrote itself.
  beforeAll(async () => {
    resources = await provisionLocal({ endpoint: motoEndpoint() });
  });

  it('returns the environment the functions read', () => {
    expect(resources.env).toEqual({
      AWS_ENDPOINT_URL: motoEndpoint(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      TOPIC_ARN: resources.topicArn,
      AUDIT_TABLE: 'iam-warden-audit',
      IDEMPOTENCY_TABLE: 'iam-warden-idempotency',
      QUARANTINE_POLICY_ARN: 'arn:aws:iam::123456789012:policy/iam-warden/iam-warden-quarantine',
      EVENT_BUS_NAME: 'default',
    });
  });

  it('delivers an SNS notification with its subject and attributes to the tap', async () => {
    const sns = new SNSClient(localAws());
    await sns.send(
      new PublishCommand({
        TopicArn: resources.topicArn,
        Subject: 'iam-warden: detached AdministratorAccess',
        Message: 'Detached AdministratorAccess from role app-role',
        MessageAttributes: { rule: { DataType: 'String', StringValue: 'admin-on-role' } },
      }),
    );

    await expect(readNotifications(resources)).resolves.toEqual([
      {
        subject: 'iam-warden: detached AdministratorAccess',
        message: 'Detached AdministratorAccess from role app-role',
        attributes: { rule: 'admin-on-role' },
      },
    ]);
    await expect(readNotifications(resources)).resolves.toEqual([]);
  });

  it('copies iam-warden events from the default bus to the results tap', async () => {
    const events = new EventBridgeClient(localAws());
    await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'other-app', DetailType: 'Ignored', Detail: '{}' },
          {
            Source: 'iam-warden',
            DetailType: 'Remediation Result',
            Detail: JSON.stringify({ outcome: 'remediated', rule: 'admin-on-role' }),
          },
        ],
      }),
    );

    const results = await readResults(resources);

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      source: 'iam-warden',
      'detail-type': 'Remediation Result',
      detail: { outcome: 'remediated', rule: 'admin-on-role' },
    });
  });
});

describe('moto_server', () => {
  it('loads AWS managed policies such as AdministratorAccess', async () => {
    const iam = new IAMClient(localAws());
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'app-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'app-role', PolicyArn: ADMIN_POLICY_ARN }));

    const { AttachedPolicies } = await iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: 'app-role' }),
    );
    expect(AttachedPolicies).toEqual([{ PolicyName: 'AdministratorAccess', PolicyArn: ADMIN_POLICY_ARN }]);
  });

  it('clears IAM users on reset', async () => {
    const iam = new IAMClient(localAws());
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    expect((await iam.send(new ListUsersCommand({}))).Users?.map((user) => user.UserName)).toContain('alice');

    await resetMoto();

    expect((await iam.send(new ListUsersCommand({}))).Users ?? []).toEqual([]);
  });
});

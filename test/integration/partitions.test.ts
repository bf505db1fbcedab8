import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../lib/audit.js';
import { runCli } from '../../lib/cli/run.js';
import { type LocalResources, localClientConfig, provisionLocal } from '../../lib/local/provision.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { attachRolePolicyEvent, MOTO_ACCOUNT } from '../support/events.js';
import { invoker, type MotoClients, readAudit } from '../support/integration.js';
import { motoEndpoint, resetMoto } from '../support/moto.js';

/**
 * The China and GovCloud partitions, end to end on moto, which serves each partition from the region a client
 * names (its IAM, SNS and DynamoDB answer with `arn:aws-cn:` / `arn:aws-us-gov:` ARNs, and AdministratorAccess
 * exists there as `arn:<partition>:iam::aws:policy/AdministratorAccess`). A change made by an AWS service has
 * no caller ARN; its record, the restore of it, the grace period the restore's own event finds, and
 * `history --resource` must all agree on the deployment's partition (read from its topic ARN).
 */

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

describe.each([
  ['aws-us-gov', 'us-gov-west-1'],
  ['aws-cn', 'cn-north-1'],
])('in the %s partition', (partition, region) => {
  const config = localClientConfig({ endpoint: motoEndpoint(), region });
  const clients: MotoClients = {
    iam: new IAMClient(config),
    sns: new SNSClient(config),
    events: new EventBridgeClient(config),
    dynamo: new DynamoDBClient(config),
  };
  const sts = new STSClient(config);
  const admin = `arn:${partition}:iam::aws:policy/AdministratorAccess`;
  let resources: LocalResources;

  beforeAll(async () => {
    await resetMoto();
    resources = await provisionLocal({ endpoint: motoEndpoint(), region });
  });
  afterAll(() => {
    for (const client of [...Object.values(clients), sts]) client.destroy();
  });

  async function cli(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const status = await runCli(args, {
      env: resources.env,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      clients,
      sts,
    });
    return { status, stdout, stderr };
  }

  async function attachedTo(roleName: string): Promise<string[]> {
    const { AttachedPolicies = [] } = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
    );
    return AttachedPolicies.map((policy) => policy.PolicyArn ?? '');
  }

  /** AttachRolePolicy of AdministratorAccess, made by CloudFormation on someone's behalf: no caller ARN. */
  function attachedByService(roleName: string) {
    const event = attachRolePolicyEvent(roleName, admin);
    event.region = region;
    event.detail.awsRegion = region;
    event.detail.userIdentity = { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' };
    return event;
  }

  /** The AttachRolePolicy a restore causes: made by the person restoring, whose ARN is in the partition. */
  function attachedByRestorer(roleName: string) {
    const event = attachRolePolicyEvent(roleName, admin);
    event.region = region;
    event.detail.awsRegion = region;
    event.detail.userIdentity = {
      type: 'AssumedRole',
      arn: `arn:${partition}:sts::${MOTO_ACCOUNT}:assumed-role/SecurityEngineer/jane`,
      accountId: MOTO_ACCOUNT,
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: `arn:${partition}:iam::${MOTO_ACCOUNT}:role/SecurityEngineer` },
      },
    };
    return event;
  }

  it('serves the partition: the topic ARN, hence the deployment, is in it', () => {
    expect(resources.env.TOPIC_ARN).toMatch(new RegExp(`^arn:${partition}:sns:${region}:`));
  });

  it("files a service's change, its restore and the restore's own event under one ARN: grace holds, history shows all", async () => {
    const roleName = `${partition}-app`;
    await clients.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: admin }));
    const { invoke } = invoker(adminPolicyRule, resources, clients, { env: { IDEMPOTENCY_TABLE: '' } });
    const resourceArn = `arn:${partition}:iam::${MOTO_ACCOUNT}:role/${roleName}`;

    const remediated = await invoke(attachedByService(roleName));
    expect(remediated.outcome).toBe('remediated');
    expect(await attachedTo(roleName)).toEqual([]);
    const record = (await readAudit(clients, resources, remediated.remediationId)) as AuditEntry;
    expect(record.resourceArn).toBe(resourceArn);

    const restore = await cli(['restore', remediated.remediationId ?? '']);
    expect(restore).toMatchObject({ status: 0, stderr: '' });
    const restoreId = `rst-${remediated.remediationId?.slice(4)}`;
    expect((await readAudit(clients, resources, restoreId))?.resourceArn).toBe(resourceArn);
    expect(await attachedTo(roleName)).toEqual([admin]);

    // The restore's own event finds the grace period: it is only notified, and the restore stands.
    const own = await invoke(attachedByRestorer(roleName));
    expect(own).toMatchObject({ outcome: 'would-remediate' });
    expect(own.reason).toContain(`restored by arn:${partition}:`);
    expect(await attachedTo(roleName)).toEqual([admin]);

    const history = await cli(['history', '--resource', `role/${roleName}`]);
    expect(history.status).toBe(0);
    expect(history.stdout).toContain(remediated.remediationId);
    expect(history.stdout).toContain(restoreId);
    // The remediation, the restore, and the restore's own event, which grace kept to notify-only.
    expect(history.stdout).toContain(`1 remediation, 1 notify-only, 1 restore for ${resourceArn}.`);
  });
});

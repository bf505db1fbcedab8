import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler, idempotencyStore } from '../../lib/handler.js';
import { type LocalResources, readNotifications } from '../../lib/local/provision.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';
import { readAll } from '../../lib/table.js';
import { ADMINISTRATOR_ACCESS, attachRolePolicyEvent } from '../support/events.js';
import { type FaultProxy, HANG, startFaultProxy } from '../support/fault-proxy.js';
import { drainTaps, ENFORCE, freshAccount, lambdaContext, motoClients } from '../support/integration.js';
import { localAws, motoEndpoint } from '../support/moto.js';

/**
 * Powertools idempotency on moto's DynamoDB, keyed on the CloudTrail eventID: a duplicate is answered with the
 * first decision, one still running makes Lambda retry later, and one that timed out does not block the key.
 */

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const clients = motoClients();
const idempotencyClient = new DynamoDBClient(localAws());
let resources: LocalResources;
let proxy: FaultProxy;
const hangingFor = new Set<string>();
const pending: Promise<unknown>[] = [];

beforeAll(async () => {
  resources = await freshAccount();
  proxy = await startFaultProxy(motoEndpoint(), {
    // A call that never returns: the invocation making it runs until Lambda's timeout.
    intercept: (request) => (hangingFor.has(request.params.get('RoleName') ?? '') ? HANG : undefined),
  });
});
beforeEach(() => drainTaps(resources));
afterAll(async () => {
  await proxy.stop();
  await Promise.allSettled(pending);
  idempotencyClient.destroy();
  for (const client of Object.values(clients)) client.destroy();
});

/** An execution environment of the admin-policy function, its IAM calls going through the proxy. */
function environment() {
  const iam = new IAMClient({ ...localAws(), endpoint: proxy.endpoint });
  const config = loadConfig({ ...ENFORCE, ...resources.env });
  const deps = {
    ...createDeps(config, { ...clients, iam }),
    logger: new Logger({ serviceName: 'iam-warden', logLevel: 'SILENT' }),
  };
  return createHandler(adminPolicyRule, deps, idempotencyStore(config, idempotencyClient));
}

/** The idempotency keys held "in progress" right now. */
async function inProgressKeys(): Promise<string[]> {
  const table = resources.env.IDEMPOTENCY_TABLE;
  if (table === undefined) throw new Error('these local resources have no IDEMPOTENCY_TABLE');
  const items = await readAll<{ id: string; status?: string }>(idempotencyClient, { table });
  return items.filter((item) => item.status === 'INPROGRESS').map((item) => item.id);
}

function contextWith(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return { ...lambdaContext, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

async function roleWithAdmin(roleName: string): Promise<void> {
  await clients.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
  await clients.iam.send(
    new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMINISTRATOR_ACCESS }),
  );
}

/** Start an invocation that hangs on IAM, and wait until it is stuck there (its key is then in progress). */
async function startHanging(roleName: string, event: unknown, remainingMs: number): Promise<void> {
  hangingFor.add(roleName);
  const before = proxy.counts.intercepted;
  pending.push(environment()(event, contextWith(remainingMs)).catch(() => undefined));
  while (proxy.counts.intercepted === before) await sleep(20);
  hangingFor.delete(roleName);
}

describe('idempotency keyed on the CloudTrail eventID', () => {
  it('answers a redelivery, even in a new envelope, with the first decision and no IAM call', async () => {
    await roleWithAdmin('idem+=,.@_-twice');
    const event = attachRolePolicyEvent('idem+=,.@_-twice');
    const first = await environment()(structuredClone(event), contextWith(60_000));
    proxy.resetCounts();

    // CloudTrail can hand EventBridge the same record twice: same eventID, new envelope id.
    const again = { ...structuredClone(event), id: randomUUID() };
    const second = await environment()(again, contextWith(60_000));

    expect(first.outcome).toBe('remediated');
    expect(second).toEqual(first);
    expect(proxy.counts.iamRequests).toBe(0);
    expect((await readNotifications(resources)).map((n) => n.attributes.outcome)).toEqual(['remediated']);
  });

  it('refuses a duplicate while the first delivery is still running, so that Lambda retries it later', async () => {
    await roleWithAdmin('idem+=,.@_-running');
    const event = attachRolePolicyEvent('idem+=,.@_-running');
    await startHanging('idem+=,.@_-running', structuredClone(event), 60_000);
    proxy.resetCounts();

    const locksBefore = await inProgressKeys();
    expect(locksBefore).toHaveLength(1);

    await expect(environment()(structuredClone(event), contextWith(60_000))).rejects.toMatchObject({
      name: 'IdempotencyAlreadyInProgressError',
    });
    expect(proxy.counts.iamRequests).toBe(0);
    // The refusal leaves the running delivery's lock in place, so Lambda's retry of the duplicate is refused
    // too (Powertools' middy middleware deleted it here: powertools-lambda-typescript#5675).
    expect(await inProgressKeys()).toEqual(locksBefore);
  });

  it('does not leave the key stuck when an invocation times out: the retry after its deadline runs', async () => {
    await roleWithAdmin('idem+=,.@_-timeout');
    const event = attachRolePolicyEvent('idem+=,.@_-timeout');
    // The first invocation has 300 ms left and never finishes, as if Lambda had killed it at its timeout.
    await startHanging('idem+=,.@_-timeout', structuredClone(event), 300);
    await sleep(400);

    const retried = await environment()(structuredClone(event), contextWith(60_000));

    expect(retried.outcome).toBe('remediated');
  });
});

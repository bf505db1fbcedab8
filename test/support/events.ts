import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * EventBridge events for integration tests, built from the samples in `events/` (real CloudTrail records in
 * the envelope EventBridge delivers; see scripts/make-events.ts). Each builder starts from a fresh copy and
 * sets only what the test needs: the names of entities that exist in moto, moto's account, and a new
 * `eventID` (the idempotency key, so two tests never share an audit record).
 */

/** The account moto serves. */
export const MOTO_ACCOUNT = '123456789012';

export const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** A CloudTrail record, with the fields the builders set typed; everything else kept as published. */
export interface CloudTrailRecord {
  eventID: string;
  eventName: string;
  eventTime: string;
  recipientAccountId: string;
  userIdentity: Record<string, unknown>;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** An IAM CloudTrail event as an EventBridge rule target receives it. */
export interface IamEventEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: unknown[];
  detail: CloudTrailRecord;
}

const cache = new Map<string, IamEventEnvelope>();

/**
 * A fresh copy of `events/<name>.json`, in moto's account, with new envelope and CloudTrail event IDs, so a
 * test can deliver it (or a `structuredClone` of it, to test redelivery) without meeting another's records.
 */
export function sampleEvent(name: string): IamEventEnvelope {
  let sample = cache.get(name);
  if (sample === undefined) {
    sample = JSON.parse(
      readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'),
    ) as IamEventEnvelope;
    cache.set(name, sample);
  }
  const event = structuredClone(sample);
  event.id = randomUUID();
  event.account = MOTO_ACCOUNT;
  event.detail.eventID = randomUUID();
  event.detail.recipientAccountId = MOTO_ACCOUNT;
  return event;
}

/** Make the caller an assumed-role session of `roleArn`, the identity the loop guard compares. */
export function calledByRole(event: IamEventEnvelope, roleArn: string): IamEventEnvelope {
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  event.detail.userIdentity = {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEID:session',
    arn: `arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/${roleName}/session`,
    accountId: MOTO_ACCOUNT,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEID',
        arn: roleArn,
        accountId: MOTO_ACCOUNT,
        userName: roleName,
      },
    },
  };
  return event;
}

/** Make the caller the IAM user `userName` of moto's account. */
export function calledByUser(event: IamEventEnvelope, userName: string): IamEventEnvelope {
  event.detail.userIdentity = {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEUSERID',
    arn: `arn:aws:iam::${MOTO_ACCOUNT}:user/${userName}`,
    accountId: MOTO_ACCOUNT,
    accessKeyId: 'AKIAEXAMPLECALLER',
    userName,
  };
  return event;
}

/**
 * `events/create-access-key.json` for `userName`, naming `accessKeyId` as the key it created, made by that user
 * itself (as in the sample); `calledByUser` makes someone else the caller.
 */
export function createAccessKeyEvent(userName: string, accessKeyId: string): IamEventEnvelope {
  const event = calledByUser(sampleEvent('create-access-key'), userName);
  event.detail.requestParameters = { userName };
  const accessKey = event.detail.responseElements?.accessKey as Record<string, unknown>;
  Object.assign(accessKey, { accessKeyId, userName });
  return event;
}

/** `events/create-access-key-root-own-key.json`: the root user creating a key for itself, no `userName`. */
export function rootCreateAccessKeyEvent(accessKeyId: string): IamEventEnvelope {
  const event = sampleEvent('create-access-key-root-own-key');
  const accessKey = event.detail.responseElements?.accessKey as Record<string, unknown>;
  accessKey.accessKeyId = accessKeyId;
  return event;
}

/** `events/update-access-key-active.json` (or another UpdateAccessKey sample) for this user and key. */
export function updateAccessKeyEvent(
  userName: string,
  accessKeyId: string,
  sample = 'update-access-key-active',
): IamEventEnvelope {
  const event = sampleEvent(sample);
  Object.assign(event.detail.requestParameters ?? {}, { userName, accessKeyId });
  return event;
}

/** `events/attach-role-policy-admin.json` for this role and policy. */
export function attachRolePolicyEvent(roleName: string, policyArn = ADMINISTRATOR_ACCESS): IamEventEnvelope {
  const event = sampleEvent('attach-role-policy-admin');
  event.detail.requestParameters = { policyArn, roleName };
  return event;
}

/** `events/put-user-policy-allow.json` for this user, policy name and document. */
export function putUserPolicyEvent(
  userName: string,
  policyName: string,
  policyDocument: string,
): IamEventEnvelope {
  const event = sampleEvent('put-user-policy-allow');
  event.detail.requestParameters = { userName, policyName, policyDocument };
  return event;
}

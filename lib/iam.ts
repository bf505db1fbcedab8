import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { KeyFacts } from './decisions/access-keys.js';
import type { Deps } from './deps.js';
import { AwsCallError, awsErrorName } from './errors.js';
import type { Action, Resource } from './plan.js';

type IamDeps = Pick<Deps, 'iam' | 'sleep' | 'logger'> & {
  readonly config: { readonly notFoundRetrySeconds: number };
};

/** IAM names the error `NoSuchEntity`; SDK v3 exposes the modeled shape name. */
export function isNoSuchEntity(error: unknown): boolean {
  const name = awsErrorName(error);
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

/** Returned by `readLive` when the entity stayed missing for the whole retry window. */
export const GONE = Symbol('gone');

/**
 * Run an IAM read, retrying `NoSuchEntity` with exponential backoff for up to `notFoundRetrySeconds`:
 * IAM is eventually consistent, so an entity created a moment ago may not be readable yet.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 */
export async function readLive<T>(deps: IamDeps, read: () => Promise<T>): Promise<T | typeof GONE> {
  const budgetMs = deps.config.notFoundRetrySeconds * 1000;
  let waitedMs = 0;
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 8000)) {
    try {
      return await read();
    } catch (error) {
      if (!isNoSuchEntity(error)) throw error;
      if (waitedMs >= budgetMs) return GONE;
      const wait = Math.min(delayMs, budgetMs - waitedMs);
      deps.logger.debug('target not found yet, retrying', { waitMs: wait });
      await deps.sleep(wait);
      waitedMs += wait;
    }
  }
}

/** The user's access keys, all pages. */
export async function listAccessKeys(iam: IamDeps['iam'], userName: string): Promise<KeyFacts[]> {
  const keys: KeyFacts[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListAccessKeysCommand({ UserName: userName, Marker: marker }));
    for (const key of page.AccessKeyMetadata ?? []) {
      if (key.AccessKeyId && key.CreateDate && key.Status) {
        keys.push({ accessKeyId: key.AccessKeyId, status: key.Status, createDate: key.CreateDate });
      }
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return keys;
}

export interface RoleFacts {
  readonly name: string;
  readonly arn: string;
  readonly path: string;
  readonly attachedPolicyArns: string[];
  /** The trust policy (`AssumeRolePolicyDocument`), URL-decoded; undefined when IAM did not return one. */
  readonly trustPolicy: string | undefined;
}

/**
 * URL-decode a policy document as IAM returns it (RFC 3986); a document that is not encoded (as some emulators
 * return it) is returned as it is.
 */
function decodePolicyDocument(document: string): string {
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}

/** The role, its trust policy and its attached managed policies. */
export async function describeRole(iam: IamDeps['iam'], roleName: string): Promise<RoleFacts> {
  const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const attachedPolicyArns: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const policy of page.AttachedPolicies ?? [])
      if (policy.PolicyArn) attachedPolicyArns.push(policy.PolicyArn);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return {
    name: role?.RoleName ?? roleName,
    arn: role?.Arn ?? '',
    path: role?.Path ?? '/',
    attachedPolicyArns,
    // GetRole returns the trust policy URL-encoded, like every policy document:
    // https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html
    trustPolicy:
      role?.AssumeRolePolicyDocument === undefined
        ? undefined
        : decodePolicyDocument(role.AssumeRolePolicyDocument),
  };
}

/** The managed policies attached to a user or role, all pages. */
export async function attachedPolicies(
  iam: IamDeps['iam'],
  principalType: 'user' | 'role',
  name: string,
): Promise<string[]> {
  const arns: string[] = [];
  let marker: string | undefined;
  do {
    const page =
      principalType === 'user'
        ? await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name, Marker: marker }))
        : await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker: marker }));
    for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn) arns.push(policy.PolicyArn);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return arns;
}

/**
 * An inline user policy's document, URL-decoded: IAM returns documents URL-encoded (RFC 3986) and the
 * SDK does not decode them. https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUserPolicy.html
 */
export async function getUserPolicyDocument(
  iam: IamDeps['iam'],
  userName: string,
  policyName: string,
): Promise<string> {
  const out = await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName }));
  if (out.PolicyDocument === undefined) {
    throw new AwsCallError(`GetUserPolicy returned no document for ${policyName} of user ${userName}`);
  }
  return decodeURIComponent(out.PolicyDocument);
}

/**
 * Run an IAM removal, counting `NoSuchEntity` as done. IAM has no idempotency token for removals: when the
 * connection drops after IAM applied a `DetachRolePolicy` or `DeleteUserPolicy`, the SDK retries it and IAM
 * answers `NoSuchEntity`, because the policy is already gone. Gone is what the removal wants (so is a role or
 * user deleted meanwhile: nothing holds the policy any more). Failing here would make Lambda retry an event
 * whose work is done, then dead-letter it.
 */
async function removal(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
  }
}

/**
 * Make the change an action describes. Removals of something already gone succeed (see `removal`);
 * `UpdateAccessKey` needs no such care, as setting a status twice is harmless.
 */
export async function applyAction(iam: IamDeps['iam'], action: Action): Promise<void> {
  switch (action.kind) {
    case 'deactivate-keys':
      for (const key of action.keys) {
        await iam.send(
          new UpdateAccessKeyCommand({
            UserName: action.userName,
            AccessKeyId: key.accessKeyId,
            Status: 'Inactive',
          }),
        );
      }
      return;
    case 'detach-policy':
      await removal(() =>
        iam.send(new DetachRolePolicyCommand({ RoleName: action.roleName, PolicyArn: action.policyArn })),
      );
      return;
    case 'delete-inline-policy':
      await removal(() =>
        iam.send(new DeleteUserPolicyCommand({ UserName: action.userName, PolicyName: action.policyName })),
      );
      return;
    case 'quarantine':
      // Attaching a policy that is attached already succeeds: a retry needs no special care.
      if (action.principalType === 'user')
        await iam.send(
          new AttachUserPolicyCommand({ UserName: action.principalName, PolicyArn: action.policyArn }),
        );
      else
        await iam.send(
          new AttachRolePolicyCommand({ RoleName: action.principalName, PolicyArn: action.policyArn }),
        );
      return;
  }
}

/** Put back what an action removed: the exact inverse of `applyAction`. */
export async function revertAction(iam: IamDeps['iam'], action: Action): Promise<void> {
  switch (action.kind) {
    case 'deactivate-keys':
      for (const key of action.keys) {
        await iam.send(
          new UpdateAccessKeyCommand({
            UserName: action.userName,
            AccessKeyId: key.accessKeyId,
            Status: 'Active',
          }),
        );
      }
      return;
    case 'detach-policy':
      await iam.send(new AttachRolePolicyCommand({ RoleName: action.roleName, PolicyArn: action.policyArn }));
      return;
    case 'delete-inline-policy':
      await iam.send(
        new PutUserPolicyCommand({
          UserName: action.userName,
          PolicyName: action.policyName,
          PolicyDocument: action.policyDocument,
        }),
      );
      return;
    case 'quarantine':
      await removal(() =>
        action.principalType === 'user'
          ? iam.send(
              new DetachUserPolicyCommand({ UserName: action.principalName, PolicyArn: action.policyArn }),
            )
          : iam.send(
              new DetachRolePolicyCommand({ RoleName: action.principalName, PolicyArn: action.policyArn }),
            ),
      );
      return;
  }
}

/**
 * The value of one tag of a user or role, or undefined when it has none. Reads all tag pages: IAM allows 50
 * tags per entity. Errors propagate: callers must fail closed.
 */
export async function readTag(
  iam: IamDeps['iam'],
  resource: Resource,
  key: string,
): Promise<string | undefined> {
  let marker: string | undefined;
  do {
    const page =
      resource.type === 'role'
        ? await iam.send(new ListRoleTagsCommand({ RoleName: resource.name, Marker: marker }))
        : await iam.send(new ListUserTagsCommand({ UserName: resource.name, Marker: marker }));
    const tag = page.Tags?.find((candidate) => candidate.Key === key);
    if (tag) return tag.Value ?? '';
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return undefined;
}

import * as z from 'zod/mini';
import { decideAccessKeys, type ForeignKey } from '../decisions/access-keys.js';
import { InvalidEventError } from '../errors.js';
import { accessKeyId, type Change, iamName, readParameters } from '../event.js';
import { GONE, listAccessKeys, readLive } from '../iam.js';
import type { Rule, Targeted } from './rule.js';

interface KeyTarget {
  readonly userName: string;
  /** The key the event created (`CreateAccessKey`); an `UpdateAccessKey` target is judged like any other. */
  readonly createdKeyId: string | undefined;
  /** Set when the caller is not the key's owner (see `foreignKey`). */
  readonly foreign: ForeignKey | undefined;
}

const userNameSchema = iamName(64);
const createParams = z.object({ userName: z.optional(userNameSchema) });
const createResponse = z.object({ accessKey: z.object({ accessKeyId }) });
const updateParams = z.object({
  userName: z.optional(userNameSchema),
  accessKeyId,
  status: z.string(),
});

/** Whose key an event is about: the account's root user, or an IAM user by name. */
type Owner = { readonly kind: 'root' } | { readonly kind: 'user'; readonly userName: string };

/**
 * Whose key an event is about. Without `userName`, IAM acts on the caller's own keys: an IAM user's, or the
 * root user's, which IAM's API cannot manage (only the root user can, signed in). The root user is known by
 * `userIdentity.type` only: an IAM user may be named `root`.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
 */
function ownerOf(change: Change, userName: string | undefined): Owner {
  if (userName !== undefined) return { kind: 'user', userName };
  const identity = change.detail.userIdentity;
  if (identity.type === 'Root') return { kind: 'root' };
  if (identity.type === 'IAMUser' && identity.userName) {
    const parsed = userNameSchema.safeParse(identity.userName);
    if (!parsed.success) {
      const issue = `detail.userIdentity.userName: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
      throw new InvalidEventError(
        `${change.eventName} event ${change.eventId} names no valid user: ${issue}`,
        [issue],
      );
    }
    return { kind: 'user', userName: parsed.data };
  }
  return {
    kind: 'user',
    userName: readParameters(change, z.object({ userName: userNameSchema })).userName,
  };
}

/**
 * The key as seen from its owner, when the caller is someone else: any principal but the IAM user itself
 * (another user, a role session, the root user, a federated user). IAM user names are case-insensitively
 * unique, so the comparison ignores case. `userIdentity.userName` is informational (read as absent when it is
 * not a string): the caller's ARN names the user too. A caller that is an IAM user named by neither is not
 * taken for someone else, so `ForeignKeyAction=deactivate` never turns off a user's own new key on a guess.
 */
function foreignKey(
  change: Change,
  owner: string,
  accessKeyId: string | undefined,
  verb: ForeignKey['verb'],
): ForeignKey | undefined {
  const identity = change.detail.userIdentity;
  if (identity.type !== 'IAMUser') return { accessKeyId, callerArn: change.actor.arn, verb };
  const caller = identity.userName ?? /:user\/(?:[^/]*\/)*([^/]+)$/.exec(identity.arn ?? '')?.[1];
  const sameAccount = identity.accountId === undefined || identity.accountId === change.account;
  if (caller === undefined) return undefined;
  return caller.toLowerCase() === owner.toLowerCase() && sameAccount
    ? undefined
    : { accessKeyId, callerArn: change.actor.arn, verb };
}

function rootAlert(change: Change, what: string): Targeted<KeyTarget> {
  return {
    resource: { type: 'root', name: 'root' },
    plan: {
      kind: 'alert',
      reason: `the root user ${what} in account ${change.account}; root keys cannot be managed through IAM's API: delete it signed in as root and use roles instead`,
    },
  };
}

/** Deactivate every active access key of the user that is older than `MAX_KEY_AGE_DAYS`. */
export const accessKeysRule: Rule<KeyTarget> = {
  name: 'access-keys',
  eventNames: ['CreateAccessKey', 'UpdateAccessKey'],

  target(change) {
    if (change.eventName === 'UpdateAccessKey') {
      const params = readParameters(change, updateParams);
      if (params.status !== 'Active') {
        return {
          resource: { type: 'user', name: params.userName ?? 'self' },
          plan: {
            kind: 'none',
            reason: `UpdateAccessKey set ${params.accessKeyId} ${params.status}, not Active`,
          },
        };
      }
      const owner = ownerOf(change, params.userName);
      if (owner.kind === 'root') return rootAlert(change, `reactivated access key ${params.accessKeyId}`);
      const { userName } = owner;
      return {
        resource: { type: 'user', name: userName },
        target: {
          userName,
          createdKeyId: undefined,
          foreign: foreignKey(change, userName, params.accessKeyId, 'reactivated'),
        },
      };
    }
    const owner = ownerOf(change, readParameters(change, createParams).userName);
    const created = change.detail.responseElements
      ? readParameters(change, createResponse, 'responseElements')
      : undefined;
    const createdKeyId = created?.accessKey.accessKeyId;
    if (owner.kind === 'root')
      return rootAlert(change, `created access key ${createdKeyId ?? '(id not recorded)'}`);
    const { userName } = owner;
    return {
      resource: { type: 'user', name: userName },
      target: { userName, createdKeyId, foreign: foreignKey(change, userName, createdKeyId, 'created') },
    };
  },

  async evaluate(deps, target) {
    const keys = await readLive(deps, () => listAccessKeys(deps.iam, target.userName));
    if (keys === GONE) return undefined;
    return decideAccessKeys({
      userName: target.userName,
      keys,
      createdKeyId: target.createdKeyId,
      now: deps.clock(),
      maxKeyAgeDays: deps.config.maxKeyAgeDays,
      foreign: target.foreign,
      foreignKeyAction: deps.config.foreignKeyAction,
    });
  },
};

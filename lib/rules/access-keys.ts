import * as z from 'zod/mini';
import { decideAccessKeys } from '../decisions/access-keys.js';
import { InvalidEventError } from '../errors.js';
import { accessKeyId, type Change, iamName, readParameters } from '../event.js';
import { GONE, listAccessKeys, readLive } from '../iam.js';
import type { Rule, Targeted } from './rule.js';

interface KeyTarget {
  readonly userName: string;
  /** The key the event created (`CreateAccessKey`); an `UpdateAccessKey` target is judged like any other. */
  readonly createdKeyId: string | undefined;
}

const userNameSchema = iamName(64);
const createParams = z.object({ userName: z.optional(userNameSchema) });
const createResponse = z.object({ accessKey: z.object({ accessKeyId }) });
const updateParams = z.object({
  userName: z.optional(userNameSchema),
  accessKeyId,
  status: z.string(),
});

/**
 * Whose key an event is about. Without `userName`, IAM acts on the caller's own keys: an IAM user's, or the
 * root user's, which IAM's API cannot manage (only the root user can, signed in).
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
 */
function ownerOf(change: Change, userName: string | undefined): string | 'root' {
  if (userName !== undefined) return userName;
  const identity = change.detail.userIdentity;
  if (identity.type === 'Root') return 'root';
  if (identity.type === 'IAMUser' && identity.userName) {
    const parsed = userNameSchema.safeParse(identity.userName);
    if (!parsed.success) {
      const issue = `detail.userIdentity.userName: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
      throw new InvalidEventError(
        `${change.eventName} event ${change.eventId} names no valid user: ${issue}`,
        [issue],
      );
    }
    return parsed.data;
  }
  return readParameters(change, z.object({ userName: userNameSchema })).userName;
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
      if (owner === 'root') return rootAlert(change, `reactivated access key ${params.accessKeyId}`);
      return {
        resource: { type: 'user', name: owner },
        target: { userName: owner, createdKeyId: undefined },
      };
    }
    const owner = ownerOf(change, readParameters(change, createParams).userName);
    const created = change.detail.responseElements
      ? readParameters(change, createResponse, 'responseElements')
      : undefined;
    const createdKeyId = created?.accessKey.accessKeyId;
    if (owner === 'root')
      return rootAlert(change, `created access key ${createdKeyId ?? '(id not recorded)'}`);
    return { resource: { type: 'user', name: owner }, target: { userName: owner, createdKeyId } };
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
    });
  },
};

import type { Plan, StaleKey } from '../plan.js';

const DAY_MS = 86_400_000;

/** What to do about a key made or re-activated for a user by someone else: tell people, or also deactivate it. */
export const FOREIGN_KEY_ACTIONS = ['alert', 'deactivate'] as const;
export type ForeignKeyAction = (typeof FOREIGN_KEY_ACTIONS)[number];

/** An access key as IAM lists it (`ListAccessKeys`) or the credential report describes it. */
export interface KeyFacts {
  readonly accessKeyId: string;
  readonly status: string;
  readonly createDate: Date;
}

/**
 * A key the event created (`CreateAccessKey`) or set `Active` (`UpdateAccessKey`) for a user by a principal
 * other than that user: the most common way to keep access to an account (MITRE ATT&CK T1098.001).
 */
export interface ForeignKey {
  /** The key; undefined when the record does not say (a `CreateAccessKey` without `responseElements`). */
  readonly accessKeyId: string | undefined;
  readonly callerArn: string;
  readonly verb: 'created' | 'reactivated';
}

export interface AccessKeyInput {
  readonly userName: string;
  readonly keys: readonly KeyFacts[];
  /** The key the triggering event created: never deactivated for its age, whatever its reported age. */
  readonly createdKeyId?: string | undefined;
  readonly now: Date;
  readonly maxKeyAgeDays: number;
  /** Set when the event's caller is not the key's owner. */
  readonly foreign?: ForeignKey | undefined;
  /** `alert` (default) tells people of a foreign key; `deactivate` also deactivates it while it is active. */
  readonly foreignKeyAction?: ForeignKeyAction;
}

function toStale(key: KeyFacts, now: Date): StaleKey {
  return {
    accessKeyId: key.accessKeyId,
    createDate: key.createDate.toISOString(),
    ageDays: Math.floor((now.getTime() - key.createDate.getTime()) / DAY_MS),
  };
}

function foreignNote(userName: string, foreign: ForeignKey): string {
  return `${foreign.callerArn} ${foreign.verb} access key ${foreign.accessKeyId ?? '(ID not recorded)'} of user ${userName}: a key made for someone else`;
}

/**
 * Decide which of a user's keys to deactivate: every `Active` key older than `maxKeyAgeDays`, judged per key
 * by its creation date, and, with `foreignKeyAction: deactivate`, a key another principal made for the user.
 * Keys are deactivated, never deleted, so the decision is reversible. A foreign key that is not deactivated is
 * an `alert`: never silent.
 */
export function decideAccessKeys(input: AccessKeyInput): Plan {
  const { foreign, userName } = input;
  const limitMs = input.maxKeyAgeDays * DAY_MS;
  const stale = input.keys
    .filter((key) => key.status === 'Active' && key.accessKeyId !== input.createdKeyId)
    .filter((key) => input.now.getTime() - key.createDate.getTime() > limitMs);
  const foreignActive =
    foreign !== undefined && input.foreignKeyAction === 'deactivate'
      ? input.keys.find((key) => key.status === 'Active' && key.accessKeyId === foreign.accessKeyId)
      : undefined;
  const reasons: string[] = [];
  if (stale.length > 0) {
    const ages = stale
      .map((key) => `${key.accessKeyId} (${toStale(key, input.now).ageDays} days)`)
      .join(', ');
    reasons.push(
      `active access key${stale.length > 1 ? 's' : ''} older than ${input.maxKeyAgeDays} days: ${ages}`,
    );
  }
  if (foreign !== undefined) reasons.push(foreignNote(userName, foreign));
  const deactivate =
    foreignActive !== undefined && !stale.includes(foreignActive) ? [...stale, foreignActive] : stale;
  if (deactivate.length > 0) {
    return {
      kind: 'act',
      action: {
        kind: 'deactivate-keys',
        userName,
        keys: deactivate.map((key) => toStale(key, input.now)),
      },
      reason: reasons.join('; '),
    };
  }
  if (foreign !== undefined) {
    const advice =
      input.foreignKeyAction === 'deactivate'
        ? 'it is no longer active'
        : 'check with its owner; ForeignKeyAction=deactivate makes iam-warden deactivate such keys';
    return {
      kind: 'alert',
      summary: `access key of user ${userName} ${foreign.verb} by another principal`,
      reason: `${reasons.join('; ')}; ${advice}`,
    };
  }
  return {
    kind: 'none',
    reason: `no active access key of ${userName} is older than ${input.maxKeyAgeDays} days`,
  };
}

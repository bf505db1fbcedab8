import type { Plan, StaleKey } from '../plan.js';

const DAY_MS = 86_400_000;

/** An access key as IAM lists it (`ListAccessKeys`) or the credential report describes it. */
export interface KeyFacts {
  readonly accessKeyId: string;
  readonly status: string;
  readonly createDate: Date;
}

export interface AccessKeyInput {
  readonly userName: string;
  readonly keys: readonly KeyFacts[];
  /** The key the triggering event created: never touched, whatever its reported age. */
  readonly createdKeyId?: string | undefined;
  readonly now: Date;
  readonly maxKeyAgeDays: number;
}

/**
 * Decide which of a user's keys to deactivate: every `Active` key older than `maxKeyAgeDays`, judged per key
 * by its creation date. Keys are deactivated, never deleted, so the decision is reversible.
 */
export function decideAccessKeys(input: AccessKeyInput): Plan {
  const limitMs = input.maxKeyAgeDays * DAY_MS;
  const stale: StaleKey[] = input.keys
    .filter((key) => key.status === 'Active' && key.accessKeyId !== input.createdKeyId)
    .filter((key) => input.now.getTime() - key.createDate.getTime() > limitMs)
    .map((key) => ({
      accessKeyId: key.accessKeyId,
      createDate: key.createDate.toISOString(),
      ageDays: Math.floor((input.now.getTime() - key.createDate.getTime()) / DAY_MS),
    }));
  if (stale.length === 0) {
    return {
      kind: 'none',
      reason: `no active access key of ${input.userName} is older than ${input.maxKeyAgeDays} days`,
    };
  }
  const ages = stale.map((key) => `${key.accessKeyId} (${key.ageDays} days)`).join(', ');
  return {
    kind: 'act',
    action: { kind: 'deactivate-keys', userName: input.userName, keys: stale },
    reason: `active access key${stale.length > 1 ? 's' : ''} older than ${input.maxKeyAgeDays} days: ${ages}`,
  };
}

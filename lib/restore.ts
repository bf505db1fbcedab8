import {
  type AuditEntry,
  type AuditRecord,
  inPartition,
  type RestoreRecord,
  remediationId,
  resourceHistory,
} from './audit.js';
import { RULES } from './config.js';
import { actionStates, actionTargets } from './decisions/guards.js';
import { accountOfArn, type CurrentState, decideRestore, refuseOtherAccount } from './decisions/restore.js';
import type { Deps } from './deps.js';
import { AuditWriteError, RestoreRefusedError, UsageError } from './errors.js';
import {
  attachedPolicies,
  describeRole,
  getUserPolicyDocument,
  isNoSuchEntity,
  listAccessKeys,
  revertAction,
} from './iam.js';
import type { Action } from './plan.js';
import { getItem, putItem, readAll, updateItem } from './table.js';

type RestoreDeps = Pick<Deps, 'iam' | 'dynamo' | 'config' | 'clock'>;

/** Run an IAM read; a missing entity reads as `undefined`. */
async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
}

/** Read, from IAM, the current state of what an action changed. */
export async function readCurrentState(iam: Deps['iam'], action: Action): Promise<CurrentState> {
  switch (action.kind) {
    case 'deactivate-keys':
      return { kind: action.kind, keys: await orMissing(() => listAccessKeys(iam, action.userName)) };
    case 'detach-policy': {
      const role = await orMissing(() => describeRole(iam, action.roleName));
      return { kind: action.kind, attachedPolicyArns: role?.attachedPolicyArns };
    }
    case 'quarantine':
      return {
        kind: action.kind,
        attachedPolicyArns: await orMissing(() =>
          attachedPolicies(iam, action.principalType, action.principalName),
        ),
      };
    case 'delete-inline-policy': {
      const keys = await orMissing(() => listAccessKeys(iam, action.userName));
      const document = await orMissing(() => getUserPolicyDocument(iam, action.userName, action.policyName));
      return { kind: action.kind, userExists: keys !== undefined, document };
    }
  }
}

/**
 * An event ID several remediation records share: one per rule that acted on it, and the quarantine of the
 * principal behind a repeat. Restoring one of them is a choice a person makes by its remediation ID.
 */
export class AmbiguousRemediationError extends UsageError {
  override name = 'AmbiguousRemediationError';
  constructor(
    message: string,
    readonly candidates: readonly AuditRecord[],
  ) {
    super(message);
  }
}

/** Every remediation ID a CloudTrail event can have been recorded under: each rule's, and each rule's quarantine. */
export function remediationIdsOfEvent(eventId: string): string[] {
  return RULES.flatMap((rule) => [
    remediationId(rule, eventId),
    remediationId(rule, `${eventId}#quarantine`),
  ]);
}

/**
 * A remediation record by ID, or by the CloudTrail event ID that triggered it. An event ID that several records
 * share (one per rule, or a repeat offender's quarantine) throws `AmbiguousRemediationError` listing them: which
 * one to undo is for a person to say, never the first one found.
 */
export async function findRemediation(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  key: { remediationId: string } | { eventId: string },
): Promise<AuditRecord> {
  const ids = 'remediationId' in key ? [key.remediationId] : remediationIdsOfEvent(key.eventId);
  // Strongly consistent: people restore right after the notification, and a stale read would either miss
  // the record or miss its `restoredBy` (letting a second restore through).
  const items = await Promise.all(
    ids.map((id) =>
      getItem<AuditEntry>(deps.dynamo, deps.config.auditTable, { id }, { consistentRead: true }),
    ),
  );
  const found = items.filter((item): item is AuditRecord => item?.kind === 'remediation');
  const [only] = found;
  if (found.length > 1 && 'eventId' in key) {
    throw new AmbiguousRemediationError(
      `event ${key.eventId} has ${found.length} remediations; restore one by its remediation ID`,
      found,
    );
  }
  if (only !== undefined) return only;
  const what = 'remediationId' in key ? key.remediationId : `event ${key.eventId}`;
  throw new RestoreRefusedError(`no remediation recorded for ${what}`);
}

export interface RestoreResult {
  readonly remediation: AuditRecord;
  readonly restore: RestoreRecord;
  /** What was put back; undefined when everything was back already. */
  readonly restored: Action | undefined;
  readonly already: readonly string[];
}

/**
 * Put back exactly what a remediation removed: reactivate the keys, re-attach the policy, re-put the identical
 * inline policy document. Refuses (`RestoreRefusedError`) when the current state makes that unsafe or
 * impossible, or when the remediation is of another account than the restorer's (`restoredBy`, an STS caller
 * ARN). The restore is recorded BEFORE IAM is touched, so that the events the restore itself causes
 * (`UpdateAccessKey` Active, `AttachRolePolicy`, `PutUserPolicy`) find the resource in its grace period and
 * only notify instead of undoing the restore.
 */
export async function restoreRemediation(
  deps: RestoreDeps,
  remediation: AuditRecord,
  restoredBy: string,
): Promise<RestoreResult> {
  // Before IAM is read: the caller's credentials act in the account their ARN names, and nowhere else.
  const callerAccount = accountOfArn(restoredBy);
  const otherAccount =
    callerAccount === undefined
      ? `the restorer ${restoredBy} names no account`
      : refuseOtherAccount(remediation, callerAccount);
  if (otherAccount !== undefined)
    throw new RestoreRefusedError(`cannot restore ${remediation.id}: ${otherAccount}`);
  const plan = decideRestore(remediation, await readCurrentState(deps.iam, remediation.action));
  if (plan.kind === 'refuse')
    throw new RestoreRefusedError(`cannot restore ${remediation.id}: ${plan.reason}`);
  const now = deps.clock();
  const restore: RestoreRecord = {
    kind: 'restore',
    id: `rst-${remediation.id.slice(4)}`,
    createdAt: now.toISOString(),
    // Where the restore's own event (AttachRolePolicy, UpdateAccessKey, PutUserPolicy) looks for a grace period.
    resourceArn: inPartition(remediation.resourceArn, deps.config.partition),
    restores: remediation.id,
    restoredBy,
    graceUntil: new Date(now.getTime() + deps.config.restoreGraceHours * 3_600_000).toISOString(),
    rule: remediation.rule,
    targets: actionTargets(remediation.action),
    states: actionStates(remediation.action),
  };
  try {
    // No condition: a restore whose IAM write failed is retried by running it again, which rewrites this
    // record; `decideRestore` refuses once the remediation is stamped `restoredBy`.
    await putItem(deps.dynamo, deps.config.auditTable, restore);
  } catch (error) {
    throw new AuditWriteError(`could not record the restore of ${remediation.id}; nothing was changed`, {
      cause: error,
    });
  }
  if (plan.action !== undefined) {
    try {
      await revertAction(deps.iam, plan.action);
    } catch (error) {
      // Nothing (or not all) was put back: end the grace period at once, so events for the resource are acted
      // on again; running the restore again starts a new one.
      await putItem(deps.dynamo, deps.config.auditTable, { ...restore, graceUntil: restore.createdAt });
      throw error;
    }
  }
  await updateItem(
    deps.dynamo,
    deps.config.auditTable,
    { id: remediation.id },
    { expression: 'SET restoredBy = :restore', values: { ':restore': restore.id } },
  );
  return { remediation, restore, restored: plan.action, already: plan.already };
}

/**
 * Audit entries, newest first: of one resource (its pathless ARN, in the deployment's partition whatever
 * partition it is given in) through the `byResource` index, or of the whole account (a scan; the table holds
 * one item per remediation or restore).
 */
export async function listHistory(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  filter: { resourceArn?: string; since?: string },
): Promise<AuditEntry[]> {
  const since = filter.since ?? '0000';
  if (filter.resourceArn !== undefined) {
    const { partition } = deps.config;
    const arn = inPartition(filter.resourceArn, partition);
    if (partition === 'aws') return resourceHistory(deps, arn, since);
    // Outside the aws partition, earlier versions filed changes made by AWS services under `arn:aws:`.
    const [current, earlier] = await Promise.all([
      resourceHistory(deps, arn, since),
      resourceHistory(deps, inPartition(arn, 'aws'), since),
    ]);
    return [...current, ...earlier].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
  const entries = await readAll<AuditEntry>(deps.dynamo, {
    table: deps.config.auditTable,
    filter: 'createdAt >= :since',
    values: { ':since': since },
  });
  return entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

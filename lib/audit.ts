import { createHash } from 'node:crypto';
import type { Mode, RuleName } from './config.js';
import { actionTargets, type HistoryEntry } from './decisions/guards.js';
import type { Deps } from './deps.js';
import { AuditWriteError, awsErrorName } from './errors.js';
import type { Action, Resource } from './plan.js';
import { type Condition, getItem, putItem, readAll, updateItem } from './table.js';

/**
 * Where a remediation stands. `pending`: before-state saved, IAM not yet changed (or the change's outcome is
 * unknown: a retry resumes it). `applied`: IAM changed. `failed`: IAM refused. `notified-only`: mode notify; it
 * changed nothing, so an enforcing run of the same event replaces it (see `beginRecord`).
 */
export type AuditStatus = 'pending' | 'applied' | 'failed' | 'notified-only';

/** The durable record of one remediation: everything needed to explain it and to put things back. */
export interface AuditRecord {
  readonly kind: 'remediation';
  readonly id: string;
  readonly createdAt: string;
  readonly rule: RuleName;
  readonly mode: Mode;
  readonly status: AuditStatus;
  /** Pathless ARN of the entity (`arn:aws:iam::<account>:user/<name>`), the key of the `byResource` index. */
  readonly resourceArn: string;
  readonly resource: Resource;
  /** The before-state: the action holds exactly what it removes (document, policy ARN, key IDs, all `Active`). */
  readonly action: Action;
  readonly reason: string;
  readonly trigger: {
    readonly eventId: string;
    readonly eventName: string;
    readonly eventTime: string;
    readonly principalArn: string;
    readonly sourceIp?: string | undefined;
    readonly userAgent?: string | undefined;
  };
  /** The sweep run that made it (sweep records only): the key of the `byRun` index. */
  readonly runId?: string;
  /** Set on the remediation that sent its window's repeat-offender escalation (see `guardAction`). */
  readonly escalated?: boolean;
  readonly notifiedAt?: string;
  /**
   * Set when this enforcing record took the place of a notify-only one for the same event (a back-test in
   * notify mode, then in enforce; or a rule switched to enforce before a redelivery): that earlier decision,
   * kept so the history still shows it. The record keeps its ID, so restore and history find one record.
   */
  readonly notifiedOnly?: NotifiedOnly;
  readonly error?: string;
  /** Set once `iam-warden restore` put the before-state back: the ID of the restore record. */
  readonly restoredBy?: string;
}

/** A notify-only decision that an enforcing run of the same event superseded (see `beginRecord`). */
export interface NotifiedOnly {
  readonly createdAt: string;
  readonly reason: string;
  readonly notifiedAt?: string;
}

/** The record of a restore: who put what back, and until when iam-warden must not undo it again. */
export interface RestoreRecord {
  readonly kind: 'restore';
  readonly id: string;
  readonly createdAt: string;
  readonly resourceArn: string;
  /** The remediation that was undone. */
  readonly restores: string;
  readonly restoredBy: string;
  readonly graceUntil: string;
  /** The rule and targets (see `actionTargets`) of what was put back: the grace period covers only them. */
  readonly rule?: RuleName;
  readonly targets?: readonly string[];
  /** Exactly what was put back (see `actionStates`: an inline policy's document digest): what grace covers. */
  readonly states?: readonly string[];
}

export type AuditEntry = AuditRecord | RestoreRecord;

/**
 * A remediation's ID, derived from what triggered it so a redelivered event maps to the same record.
 * Short enough to type: `rem-` and 20 hex digits of SHA-256.
 */
export function remediationId(rule: RuleName, triggerId: string): string {
  return `rem-${createHash('sha256').update(`${rule}\n${triggerId}`).digest('hex').slice(0, 20)}`;
}

/**
 * The pathless ARN iam-warden files a resource under: the deployment's partition (`Config.partition`) and the
 * account of the event or sweep. Every writer and reader of the `byResource` index builds it here, so records,
 * grace lookups, history and restore agree in every partition.
 */
export function resourceArnOf(resource: Resource, account: string, partition: string): string {
  return resource.type === 'root'
    ? `arn:${partition}:iam::${account}:root`
    : `arn:${partition}:iam::${account}:${resource.type}/${resource.name}`;
}

/**
 * A resource ARN of the audit table moved to `partition`. Versions before the partition came from the
 * deployment filed changes made by AWS services (no caller ARN) under `arn:aws:` in every partition; a restore
 * of such a record is filed under the deployment's partition, where the restore's own event looks for it.
 */
export function inPartition(resourceArn: string, partition: string): string {
  return resourceArn.replace(/^arn:[\w-]+:/, `arn:${partition}:`);
}

/**
 * Save the before-state, unless a record for this remediation exists already; then return that record so the
 * caller resumes it instead of acting twice. A decision that changed nothing does not count: an enforcing
 * record takes the place of a `notified-only` one (keeping it as `notifiedOnly`), with a conditional put so
 * that of concurrent enforcing deliveries only one does, and the others resume its record. A failure to
 * write throws `AuditWriteError`: without the record, the change must not happen.
 */
export async function beginRecord(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  record: AuditRecord,
): Promise<AuditRecord | undefined> {
  const table = deps.config.auditTable;
  if (await putRecord(deps, record, { expression: 'attribute_not_exists(id)' })) return undefined;
  // Read consistently: the item that made the put fail may be a few milliseconds old.
  const existing = await getItem<AuditRecord>(
    deps.dynamo,
    table,
    { id: record.id },
    { consistentRead: true },
  );
  if (record.mode !== 'enforce' || existing?.status !== 'notified-only') return existing;
  const superseding: AuditRecord = {
    ...record,
    notifiedOnly: {
      createdAt: existing.createdAt,
      reason: existing.reason,
      ...(existing.notifiedAt === undefined ? {} : { notifiedAt: existing.notifiedAt }),
    },
  };
  const replaced = await putRecord(deps, superseding, {
    expression: '#status = :notifiedOnly',
    names: { '#status': 'status' },
    values: { ':notifiedOnly': 'notified-only' },
  });
  if (replaced) return undefined;
  // Another enforcing delivery replaced it first: resume that one's record.
  return getItem<AuditRecord>(deps.dynamo, table, { id: record.id }, { consistentRead: true });
}

/** Put a record if `condition` holds: true when written, false when the condition failed. */
async function putRecord(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  record: AuditRecord,
  condition: Condition,
): Promise<boolean> {
  try {
    await putItem(deps.dynamo, deps.config.auditTable, record, condition);
    return true;
  } catch (error) {
    if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
    throw new AuditWriteError(`could not record ${record.id} before changing ${record.resourceArn}`, {
      cause: error,
    });
  }
}

/** The remediation record with this ID, if any. */
export async function getRecord(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  id: string,
): Promise<AuditRecord | undefined> {
  const item = await getItem<AuditEntry>(deps.dynamo, deps.config.auditTable, { id });
  return item?.kind === 'remediation' ? item : undefined;
}

/** Move a record to its next status; `notified` stamps `notifiedAt`, after which a redelivery is a no-op. */
export async function updateRecord(
  deps: Pick<Deps, 'dynamo' | 'config' | 'clock'>,
  id: string,
  change: { status?: AuditStatus; notified?: true; error?: string },
): Promise<void> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  if (change.status) {
    names['#status'] = 'status';
    values[':status'] = change.status;
    sets.push('#status = :status');
  }
  if (change.notified) {
    values[':notifiedAt'] = deps.clock().toISOString();
    sets.push('notifiedAt = :notifiedAt');
  }
  if (change.error) {
    names['#error'] = 'error';
    values[':error'] = change.error;
    sets.push('#error = :error');
  }
  await updateItem(
    deps.dynamo,
    deps.config.auditTable,
    { id },
    {
      expression: `SET ${sets.join(', ')}`,
      values,
      ...(Object.keys(names).length > 0 ? { names } : {}),
    },
  );
}

/**
 * Every audit entry about a resource since a time, newest first (the `byResource` index). One query serves
 * both guards: restores still in their grace period and the resource's recent remediations.
 */
export async function resourceHistory(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  resourceArn: string,
  since: string,
): Promise<AuditEntry[]> {
  return readAll<AuditEntry>(deps.dynamo, {
    table: deps.config.auditTable,
    index: 'byResource',
    keyCondition: 'resourceArn = :arn AND createdAt >= :since',
    values: { ':arn': resourceArn, ':since': since },
    newestFirst: true,
  });
}

/** Every remediation a sweep run recorded, by all its attempts so far (the `byRun` index). */
export async function recordsOfRun(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  runId: string,
): Promise<AuditRecord[]> {
  const entries = await readAll<AuditEntry>(deps.dynamo, {
    table: deps.config.auditTable,
    index: 'byRun',
    keyCondition: 'runId = :run',
    values: { ':run': runId },
  });
  return entries.filter((entry): entry is AuditRecord => entry.kind === 'remediation');
}

/**
 * Of a run's records, those it has not notified: what its earlier attempt left unfinished when Lambda retries
 * it. Failed ones are not: their offenders are listed again if still there.
 */
export function unfinished(records: readonly AuditRecord[]): AuditRecord[] {
  return records.filter((record) => record.notifiedAt === undefined && record.status !== 'failed');
}

/**
 * The remediations a sweep run recorded and has not notified (the `byRun` index): what its earlier attempt
 * left unfinished when Lambda retries it. Failed ones are not: their offenders are listed again if still there.
 */
export async function unfinishedOfRun(
  deps: Pick<Deps, 'dynamo' | 'config'>,
  runId: string,
): Promise<AuditRecord[]> {
  return unfinished(await recordsOfRun(deps, runId));
}

/** The guards' view of an audit entry. */
export function toHistoryEntry(entry: AuditEntry): HistoryEntry {
  return entry.kind === 'restore'
    ? {
        kind: 'restore',
        createdAt: entry.createdAt,
        graceUntil: entry.graceUntil,
        restoredBy: entry.restoredBy,
        ...(entry.rule === undefined ? {} : { rule: entry.rule }),
        ...(entry.targets === undefined ? {} : { targets: entry.targets }),
        ...(entry.states === undefined ? {} : { states: entry.states }),
      }
    : {
        kind: 'remediation',
        id: entry.id,
        rule: entry.rule,
        status: entry.status,
        createdAt: entry.createdAt,
        targets: actionTargets(entry.action),
        principalArn: entry.trigger.principalArn,
        ...(entry.escalated === true ? { escalated: true } : {}),
      };
}

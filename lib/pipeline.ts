import { type AuditRecord, beginRecord, remediationId, resourceArnOf, updateRecord } from './audit.js';
import type { Deps } from './deps.js';
import { InvalidEventError } from './errors.js';
import { type Change, parseIamEvent } from './event.js';
import { applyAction } from './iam.js';
import { formatNotification, publishNotification, putResultEvent } from './notify.js';
import { type Decision, NOTIFIED_OUTCOMES, type Plan, type Resource } from './plan.js';
import type { Rule } from './rules/rule.js';

/** A decision, and the error to rethrow after reporting it when it is a failure. */
interface Concluded {
  readonly decision: Decision;
  readonly failure?: unknown;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The partition of the account, read from the caller's ARN (`arn:aws-cn:...`). */
function partitionOf(change: Change): string {
  return /^arn:(aws[\w-]*):/.exec(change.actor.arn)?.[1] ?? 'aws';
}

/**
 * Why a change must not be acted on, decided from the event alone, or undefined. The loop guard compares the
 * role behind the caller's session with iam-warden's own roles; the rule patterns also never match our own
 * writes (`UpdateAccessKey` to `Inactive`, `DetachRolePolicy`, `DeleteUserPolicy`).
 */
function ignoreReason(rule: Rule<unknown>, deps: Deps, change: Change): string | undefined {
  if (change.errorCode !== undefined)
    return `the ${change.eventName} call failed (${change.errorCode}); nothing changed`;
  const issuer = change.actor.issuerArn?.toLowerCase();
  if (issuer !== undefined && deps.config.ownRoleArns.some((arn) => arn.toLowerCase() === issuer)) {
    return `made by iam-warden's own role ${change.actor.issuerArn}`;
  }
  if (deps.config.modes[rule.name] === 'off') return `rule ${rule.name} is off`;
  return undefined;
}

/** Log every decision, notify people of those worth their attention, and put a result event for machines. */
async function report(deps: Deps, decision: Decision, change: Change | undefined): Promise<void> {
  const fields = {
    rule: decision.rule,
    outcome: decision.outcome,
    reason: decision.reason,
    eventId: decision.eventId,
    eventName: decision.eventName,
    principalArn: change?.actor.arn,
    resource: decision.resource,
    remediationId: decision.remediationId,
    error: decision.error,
  };
  if (decision.outcome === 'failed' || decision.outcome === 'rejected') deps.logger.error('decision', fields);
  else deps.logger.info('decision', fields);
  if (change !== undefined && NOTIFIED_OUTCOMES.has(decision.outcome)) {
    await publishNotification(deps, formatNotification(decision, change));
  }
  await putResultEvent(deps, decision, change);
}

function auditRecordFor(
  deps: Deps,
  rule: Rule<unknown>,
  change: Change,
  resource: Resource,
  plan: ActPlan,
): AuditRecord {
  const mode = deps.config.modes[rule.name];
  return {
    id: remediationId(rule.name, change.eventId),
    createdAt: deps.clock().toISOString(),
    rule: rule.name,
    mode,
    status: mode === 'enforce' ? 'pending' : 'notified-only',
    resourceArn: resourceArnOf(resource, change.account, partitionOf(change)),
    resource,
    action: plan.action,
    reason: plan.reason,
    trigger: {
      eventId: change.eventId,
      eventName: change.eventName,
      eventTime: change.eventTime,
      principalArn: change.actor.arn,
      sourceIp: change.actor.sourceIp,
      userAgent: change.actor.userAgent,
    },
  };
}

type ActPlan = Extract<Plan, { kind: 'act' }>;

/**
 * Act on a plan per mode. The before-state is recorded first; a record that exists already means a
 * redelivery, which resumes where the first delivery stopped instead of acting twice.
 */
async function carryOut(
  deps: Deps,
  rule: Rule<unknown>,
  change: Change,
  base: Omit<Decision, 'outcome' | 'reason'>,
  plan: ActPlan,
): Promise<Concluded> {
  const record = auditRecordFor(deps, rule, change, base.resource as Resource, plan);
  const acting = { ...base, action: plan.action, remediationId: record.id, reason: plan.reason };
  const existing = await beginRecord(deps, record);
  if (existing?.notifiedAt !== undefined) {
    return {
      decision: {
        ...acting,
        outcome: 'ignored',
        reason: `already handled as ${record.id} (duplicate delivery)`,
      },
    };
  }
  if (record.mode !== 'enforce') return { decision: { ...acting, outcome: 'would-remediate' } };
  if (existing?.status !== 'applied') {
    try {
      await applyAction(deps.iam, plan.action);
    } catch (error) {
      await updateRecord(deps, record.id, { status: 'failed', error: describeError(error) });
      return { decision: { ...acting, outcome: 'failed', error: describeError(error) }, failure: error };
    }
    await updateRecord(deps, record.id, { status: 'applied' });
  }
  return { decision: { ...acting, outcome: 'remediated' } };
}

async function evaluate<T>(deps: Deps, rule: Rule<T>, change: Change): Promise<Concluded> {
  const base = {
    rule: rule.name,
    mode: deps.config.modes[rule.name],
    eventId: change.eventId,
    eventName: change.eventName,
  };
  const ignored = ignoreReason(rule as Rule<unknown>, deps, change);
  if (ignored !== undefined) return { decision: { ...base, outcome: 'ignored', reason: ignored } };
  let targeted: ReturnType<Rule<T>['target']>;
  try {
    targeted = rule.target(change);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return { decision: { ...base, outcome: 'rejected', reason: error.message, error: error.name } };
  }
  const withResource = { ...base, resource: targeted.resource };
  let plan: Plan | undefined;
  try {
    plan = 'plan' in targeted ? targeted.plan : await rule.evaluate(deps, targeted.target, change);
  } catch (error) {
    const reason = 'the live IAM state could not be read';
    return {
      decision: { ...withResource, outcome: 'failed', reason, error: describeError(error) },
      failure: error,
    };
  }
  if (plan === undefined) {
    const { type, name } = targeted.resource;
    return {
      decision: {
        ...withResource,
        outcome: 'ignored',
        reason: `${type} ${name} no longer exists (target gone)`,
      },
    };
  }
  switch (plan.kind) {
    case 'none':
      return { decision: { ...withResource, outcome: 'ignored', reason: plan.reason } };
    case 'skip':
      return { decision: { ...withResource, outcome: 'skipped', reason: plan.reason } };
    case 'alert':
      return { decision: { ...withResource, outcome: 'alert', reason: plan.reason } };
    case 'act':
      return carryOut(deps, rule as Rule<unknown>, change, withResource, plan);
  }
}

/**
 * The whole life of one event for one rule: validate, guard, re-read IAM, decide, act per mode with the
 * before-state recorded first, then notify and publish the result. An invalid event is rejected with its
 * reason and causes no IAM call. A failure is reported, then rethrown so Lambda's retries and DLQ apply.
 */
export async function handleEvent<T>(rule: Rule<T>, deps: Deps, event: unknown): Promise<Decision> {
  let concluded: Concluded;
  let change: Change | undefined;
  try {
    change = parseIamEvent(event);
    if (!rule.eventNames.includes(change.eventName)) {
      throw new InvalidEventError(
        `${change.eventName} is not handled by ${rule.name} (it handles ${rule.eventNames.join(', ')})`,
      );
    }
    concluded = await evaluate(deps, rule, change);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    const id = (event as { id?: unknown } | null)?.id;
    concluded = {
      decision: {
        rule: rule.name,
        mode: deps.config.modes[rule.name],
        outcome: 'rejected',
        reason: error.message,
        eventId: change?.eventId ?? (typeof id === 'string' ? id : 'unknown'),
        eventName: change?.eventName ?? 'unknown',
        error: error.name,
      },
    };
  }
  const { decision, failure } = concluded;
  await report(deps, decision, change);
  if (
    decision.remediationId !== undefined &&
    (decision.outcome === 'remediated' || decision.outcome === 'would-remediate')
  ) {
    await updateRecord(deps, decision.remediationId, { notified: true });
  }
  if (failure !== undefined) throw failure;
  return decision;
}

import {
  type AuditRecord,
  beginRecord,
  getRecord,
  remediationId,
  resourceArnOf,
  resourceHistory,
  toHistoryEntry,
  updateRecord,
} from './audit.js';
import type { Mode, RuleName } from './config.js';
import { actionStates, actionTargets, type Guard, guardAction, type Repeat } from './decisions/guards.js';
import { decideQuarantine } from './decisions/quarantine.js';
import { withinRecorded } from './decisions/resume.js';
import type { Deps } from './deps.js';
import { describeError, InvalidEventError } from './errors.js';
import { type Change, parseIamEvent, type Trigger } from './event.js';
import { applyAction, readTag } from './iam.js';
import { claimNotified, releaseNotified } from './notified.js';
import { formatNotification, publishNotification, putResultEvent } from './notify.js';
import {
  type Action,
  type Critical,
  type Decision,
  NOTIFIED_OUTCOMES,
  type Plan,
  type Resource,
} from './plan.js';
import type { Rule } from './rules/rule.js';

/** A decision, and the error to rethrow once it is reported, when it is a failure. */
export interface Concluded {
  readonly decision: Decision;
  readonly failure?: unknown;
}

type ActPlan = Extract<Plan, { kind: 'act' }>;
type Base = Omit<Decision, 'outcome' | 'reason'> & { readonly resource: Resource };

/**
 * Why a change must not be acted on, decided from the event alone, or undefined. The rule patterns never match
 * iam-warden's own writes (`UpdateAccessKey` to `Inactive`, `DetachRolePolicy`, `DeleteUserPolicy`); should one
 * reach a function anyway, it is ignored here (the loop guard).
 */
function ignoreReason(rule: RuleName, deps: Deps, change: Change): string | undefined {
  if (change.errorCode !== undefined)
    return `the ${change.eventName} call failed (${change.errorCode}); nothing changed`;
  if (byOwnRole(deps, change) && isOwnKindOfWrite(change, deps.config.quarantinePolicyArn)) {
    return `iam-warden's own ${change.eventName} by its role ${change.actor.issuerArn}`;
  }
  if (deps.config.modes[rule] === 'off') return `rule ${rule} is off`;
  return undefined;
}

/** True when the caller is a session of one of iam-warden's own roles. */
function byOwnRole(deps: Deps, change: Change): boolean {
  const issuer = change.actor.issuerArn?.toLowerCase();
  return issuer !== undefined && deps.config.ownRoleArns.some((arn) => arn.toLowerCase() === issuer);
}

/** The writes iam-warden makes: it only takes away (deactivates, detaches, deletes), never grants. */
function isOwnKindOfWrite(change: Change, quarantinePolicyArn: string | undefined): boolean {
  const parameters = change.detail.requestParameters ?? {};
  switch (change.eventName) {
    case 'UpdateAccessKey':
      return parameters.status === 'Inactive';
    case 'AttachUserPolicy':
    case 'AttachRolePolicy':
      // The quarantine of a repeat offender: the deny-all policy, and only it.
      return quarantinePolicyArn !== undefined && parameters.policyArn === quarantinePolicyArn;
    case 'DetachRolePolicy':
    case 'DeleteUserPolicy':
      return true;
    default:
      return false;
  }
}

/**
 * A grant made by one of iam-warden's own roles. The functions never grant, so this is someone else using the
 * role (its trust policy or credentials changed hands), not a remediation loop: it is remediated like any other
 * grant, and people are told at once. Ignoring it would make the role an invisible admin factory.
 */
function hijack(deps: Deps, change: Change): Critical | undefined {
  if (!byOwnRole(deps, change)) return undefined;
  return {
    title: `${change.eventName} by iam-warden's own role`,
    detail: `${change.eventName} was made by iam-warden's own role ${change.actor.issuerArn} (session ${change.actor.arn}), which never grants anything: someone else is using the role. Check its trust policy and recent AssumeRole calls in CloudTrail now.`,
  };
}

/**
 * Read what the guards need: the exemption tag (only when exemptions are configured) and the resource's
 * recent audit history (one query). Any failure propagates: the caller fails closed.
 */
async function checkGuards(
  deps: Deps,
  rule: RuleName,
  id: string,
  resource: Resource,
  resourceArn: string,
  action: Action,
  principalArn: string,
): Promise<Guard> {
  const { config } = deps;
  const key = config.exemptTagKey;
  const value =
    key !== undefined && resource.type !== 'root' ? await readTag(deps.iam, resource, key) : undefined;
  const lookBackHours = Math.max(config.repeatWindowHours, config.restoreGraceHours);
  const now = deps.clock();
  const since = new Date(now.getTime() - lookBackHours * 3_600_000).toISOString();
  const history = (await resourceHistory(deps, resourceArn, since)).map(toHistoryEntry);
  return guardAction({
    rule,
    now,
    exemptTag: key !== undefined && value !== undefined ? { key, value } : undefined,
    exemptTagValue: config.exemptTagValue,
    history,
    remediationId: id,
    targets: actionTargets(action),
    states: actionStates(action),
    principalArn,
    repeatLimit: config.repeatLimit,
    repeatWindowHours: config.repeatWindowHours,
  });
}

/**
 * Act on a plan in a mode. The before-state is recorded first; if that fails, nothing is changed. A record
 * that exists already means a redelivery, which resumes where the first delivery stopped instead of acting
 * twice, and is not notified again if it was already. A notify-only record does not stand in the way of
 * enforcing: `beginRecord` replaces it. A notify run that finds an enforcing record leaves it to that run.
 */
async function carryOut(
  deps: Deps,
  record: AuditRecord,
  base: Base,
  plan: ActPlan,
  reason: string,
): Promise<Concluded> {
  const acting = { ...base, mode: record.mode, action: plan.action, remediationId: record.id, reason };
  let existing: AuditRecord | undefined;
  try {
    existing = await beginRecord(deps, record);
  } catch (error) {
    const failed = `${reason}; not changed because the before-state could not be recorded`;
    return {
      decision: { ...acting, outcome: 'failed', reason: failed, error: describeError(error) },
      failure: error,
    };
  }
  if (existing !== undefined && (existing.notifiedAt !== undefined || record.mode !== 'enforce')) {
    return resume(existing, acting);
  }
  if (record.mode !== 'enforce') return { decision: { ...acting, outcome: 'would-remediate' } };
  let action = plan.action;
  if (existing !== undefined && existing.status !== 'applied') {
    // An earlier attempt saved the before-state and did not finish: do no more than that record can restore.
    const covered = withinRecorded(existing.action, plan.action);
    if (covered === undefined && existing.status === 'pending') {
      // None of what the record saved is left in IAM (its keys are no longer active, its document is gone): the
      // earlier attempt's write went through before it was interrupted. What IAM shows now is a later change,
      // decided by its own event.
      await updateRecord(deps, record.id, { status: 'applied' });
      return {
        decision: { ...acting, action: existing.action, outcome: 'remediated', reason: existing.reason },
      };
    }
    if (covered === undefined) {
      return {
        decision: {
          ...acting,
          action: existing.action,
          outcome: 'skipped',
          reason: `${reason}; not changed: IAM changed after ${record.id} saved the before-state on an earlier attempt that IAM refused, and the change is decided by its own event`,
        },
      };
    }
    action = covered;
  }
  if (existing?.status !== 'applied') {
    try {
      await applyAction(deps.iam, action);
    } catch (error) {
      // The IAM error is what people must hear about; a failure to stamp the record must not replace it.
      await updateRecord(deps, record.id, { status: 'failed', error: describeError(error) }).catch(
        (stampError: unknown) =>
          deps.logger.error('could not mark the audit record failed', {
            remediationId: record.id,
            error: describeError(stampError),
          }),
      );
      return { decision: { ...acting, outcome: 'failed', error: describeError(error) }, failure: error };
    }
    await updateRecord(deps, record.id, { status: 'applied' });
  }
  return { decision: { ...acting, action, outcome: 'remediated' } };
}

/**
 * Turn a plan into a decision, acting per mode and guards. Shared by the event path and the sweep: the same
 * guards (exemption tag, grace after restore, repeat offenders), audit records and modes apply to both.
 * `plan` undefined means the target no longer exists. `critical` (a grant by iam-warden's own role) makes the
 * decision one people hear of at once, whatever its outcome.
 */
export async function conclude(
  deps: Deps,
  rule: RuleName,
  trigger: Trigger,
  resource: Resource,
  plan: Plan | undefined,
  critical?: Critical,
): Promise<Concluded> {
  const base: Base = {
    rule,
    mode: deps.config.modes[rule],
    eventId: trigger.eventId,
    eventName: trigger.eventName,
    resource,
    ...(critical === undefined ? {} : { critical }),
  };
  if (plan === undefined) {
    const reason = `${resource.type} ${resource.name} no longer exists (target gone)`;
    return { decision: { ...base, outcome: critical === undefined ? 'ignored' : 'alert', reason } };
  }
  switch (plan.kind) {
    case 'none':
      return {
        decision: { ...base, outcome: critical === undefined ? 'ignored' : 'alert', reason: plan.reason },
      };
    case 'skip':
      return { decision: { ...base, outcome: 'skipped', reason: plan.reason } };
    case 'alert':
      return {
        decision: {
          ...base,
          outcome: 'alert',
          reason: plan.reason,
          ...(plan.summary === undefined ? {} : { summary: plan.summary }),
        },
      };
    case 'act':
      break;
  }
  const id = remediationId(rule, trigger.eventId);
  const resourceArn = resourceArnOf(resource, trigger.account, deps.config.partition);
  let guard: Guard;
  try {
    guard = await checkGuards(deps, rule, id, resource, resourceArn, plan.action, trigger.actor.arn);
  } catch (error) {
    const reason = `${plan.reason}; not changed: the exemption tag or audit history could not be read (failing closed)`;
    return {
      decision: { ...base, action: plan.action, outcome: 'failed', reason, error: describeError(error) },
      failure: error,
    };
  }
  if (guard.kind === 'exempt')
    return { decision: { ...base, action: plan.action, outcome: 'skipped', reason: guard.reason } };
  const mode: Mode = guard.kind === 'grace' ? 'notify' : deps.config.modes[rule];
  const repeat = guard.kind === 'proceed' ? guard.repeat : undefined;
  const record = remediationRecord(deps, trigger, {
    id,
    rule,
    mode,
    resourceArn,
    resource,
    action: plan.action,
    reason: plan.reason,
    ...(repeat?.escalate ? { escalated: true } : {}),
  });
  const concluded = await carryOut(
    deps,
    record,
    respondToRepeat(deps, base, repeat),
    plan,
    guardNotes(deps, plan.reason, guard),
  );
  const quarantining =
    repeat !== undefined &&
    deps.config.repeatOffenderAction === 'quarantine' &&
    concluded.decision.outcome === 'remediated' &&
    // A sweep has no caller to quarantine: it finds standing state, not who made it.
    trigger.runId === undefined;
  if (!quarantining) return concluded;
  const quarantine = await quarantineRepeater(deps, rule, trigger);
  const { quiet: _quiet, ...decision } = concluded.decision;
  // A principal fenced off is news even within a window already escalated.
  const stays = quarantine.outcome === 'remediated' ? decision : concluded.decision;
  return { ...concluded, decision: { ...stays, quarantine } };
}

/**
 * `RepeatOffenderAction: quarantine`: attach the stack's deny-all policy to the principal behind a repeat, its
 * before-state recorded first like any remediation (its own audit record, restorable with `iam-warden restore`).
 * A failure is reported with the decision, never thrown: the repeat itself was undone, and people are told.
 */
async function quarantineRepeater(
  deps: Deps,
  rule: RuleName,
  trigger: Trigger,
): Promise<NonNullable<Decision['quarantine']>> {
  const { config } = deps;
  const policyArn = config.quarantinePolicyArn ?? '';
  const plan = decideQuarantine({
    actor: trigger.actor,
    account: trigger.account,
    policyArn,
    ownRoleArns: config.ownRoleArns,
    adminRolePatterns: config.adminRolePatterns,
  });
  if (plan.kind === 'skip') return { outcome: 'skipped', reason: `not quarantined: ${plan.reason}` };
  const { resource, action } = plan;
  const id = remediationId(rule, `${trigger.eventId}#quarantine`);
  const reason = `${trigger.actor.arn} kept re-making a change iam-warden undoes, past the repeat limit`;
  const record = remediationRecord(deps, trigger, {
    id,
    rule,
    mode: 'enforce',
    resourceArn: resourceArnOf(resource, trigger.account, deps.config.partition),
    resource,
    action,
    reason,
  });
  const base: Base = {
    rule,
    mode: 'enforce',
    eventId: trigger.eventId,
    eventName: trigger.eventName,
    resource,
  };
  const { decision } = await carryOut(deps, record, base, { kind: 'act', action, reason }, reason);
  return {
    outcome: decision.outcome,
    reason: decision.reason,
    resource,
    action,
    remediationId: id,
    ...(decision.error === undefined ? {} : { error: decision.error }),
  };
}

type RecordFields = Pick<
  AuditRecord,
  'id' | 'rule' | 'mode' | 'resourceArn' | 'resource' | 'action' | 'reason'
> &
  Pick<AuditRecord, 'escalated'>;

/** A new remediation record: the before-state and what triggered it, pending when it is to be acted on. */
function remediationRecord(deps: Deps, trigger: Trigger, fields: RecordFields): AuditRecord {
  return {
    kind: 'remediation',
    createdAt: deps.clock().toISOString(),
    status: fields.mode === 'enforce' ? 'pending' : 'notified-only',
    ...fields,
    trigger: {
      eventId: trigger.eventId,
      eventName: trigger.eventName,
      eventTime: trigger.eventTime,
      principalArn: trigger.actor.arn,
      sourceIp: trigger.actor.sourceIp,
      userAgent: trigger.actor.userAgent,
    },
    ...(trigger.runId === undefined ? {} : { runId: trigger.runId }),
  };
}

/** The decision's reason: the plan's, and what the guards add (grace, a tag that does not exempt, a repeat). */
function guardNotes(deps: Deps, reason: string, guard: Exclude<Guard, { kind: 'exempt' }>): string {
  const notes = [reason];
  if (guard.kind === 'grace') notes.push(guard.reason);
  if (guard.kind === 'proceed' && guard.note !== undefined) notes.push(guard.note);
  const repeat = guard.kind === 'proceed' ? guard.repeat : undefined;
  if (repeat !== undefined && !repeat.escalate) {
    notes.push(
      `repeat ${repeat.count + 1} in the last ${deps.config.repeatWindowHours} hours, counted and not notified again: the repeat-offender escalation went out at ${repeat.escalatedAt}`,
    );
  }
  return notes.join('; ');
}

/** How people hear of a repeat: the window's one escalation (CRITICAL), then nothing more (quiet). */
function respondToRepeat(deps: Deps, base: Base, repeat: Repeat | undefined): Base {
  if (repeat === undefined) return base;
  if (!repeat.escalate) return { ...base, quiet: true };
  // A hijack's CRITICAL story comes first; the repeat is in the reason.
  return base.critical === undefined
    ? { ...base, critical: repeatEscalation(deps, base.resource, repeat) }
    : base;
}

/**
 * The window's one CRITICAL message about a resource changed back again and again: who keeps doing it, that
 * iam-warden keeps remediating, and how to end a legitimate fight (a pipeline re-applying) without an off switch.
 */
function repeatEscalation(deps: Deps, resource: Resource, repeat: Repeat): Critical {
  const { config } = deps;
  const exempt =
    config.exemptTagKey === undefined
      ? 'set ExemptTagKey and tag it'
      : `tag it ${config.exemptTagKey}=${config.exemptTagValue}`;
  return {
    title: 'repeat offender',
    detail: `${resource.type} ${resource.name} was changed back ${repeat.count + 1} times within ${config.repeatWindowHours} hours, by ${repeat.principals.join(', ')}. iam-warden undid it every time and keeps doing so; further repeats in this window are counted, not notified. Find out who or what re-applies it. If it is a pipeline that legitimately needs it, exempt the resource (${exempt}, or for a role holding AdministratorAccess add its ARN to AdminRolePatterns) instead of letting the pipeline and iam-warden fight.`,
  };
}

/**
 * Log every decision, notify people of those worth their attention, put a result event for machines, then
 * stamp the audit record as notified (a redelivery after this point is a no-op). A decision people were told
 * of already (its audit record's `notifiedAt`, or its notified mark: see lib/notified.ts) is not published to
 * the topic again: a redelivery, a Lambda retry, a back-test run again. With notifications off (the CLI's
 * `--no-notify`) nothing is published and nothing is stamped, so a later run still tells people. A failure is
 * rethrown after it has been reported, so Lambda's retries and failure destination apply.
 */
export async function publish(
  deps: Deps,
  concluded: Concluded,
  trigger: Trigger | undefined,
): Promise<Decision> {
  const { failure } = concluded;
  let decision = concluded.decision;
  const fields = {
    rule: decision.rule,
    outcome: decision.outcome,
    reason: decision.reason,
    eventId: decision.eventId,
    eventName: decision.eventName,
    principalArn: trigger?.actor.arn,
    resource: decision.resource,
    remediationId: decision.remediationId,
    error: decision.error,
  };
  if (decision.outcome === 'failed' || decision.outcome === 'rejected') deps.logger.error('decision', fields);
  else deps.logger.info('decision', fields);
  if (deps.config.notifications === 'off') {
    if (failure !== undefined) throw failure;
    return decision;
  }
  if (
    trigger !== undefined &&
    decision.quiet !== true &&
    decision.alreadyNotified !== true &&
    NOTIFIED_OUTCOMES.has(decision.outcome)
  ) {
    const claim = await claimNotified(deps, decision);
    if (claim === 'taken') decision = { ...decision, alreadyNotified: true };
    else {
      try {
        await publishNotification(deps, formatNotification(decision, trigger));
      } catch (error) {
        if (claim === 'claimed') await releaseNotified(deps, decision);
        throw error;
      }
    }
  }
  await putResultEvent(deps, decision, trigger);
  if (
    decision.remediationId !== undefined &&
    decision.alreadyNotified !== true &&
    (decision.outcome === 'remediated' || decision.outcome === 'would-remediate')
  ) {
    await updateRecord(deps, decision.remediationId, { notified: true });
  }
  if (decision.quarantine?.outcome === 'remediated' && decision.quarantine.remediationId !== undefined) {
    await updateRecord(deps, decision.quarantine.remediationId, { notified: true });
  }
  if (failure !== undefined) throw failure;
  return decision;
}

async function evaluate<T>(deps: Deps, rule: Rule<T>, change: Change): Promise<Concluded> {
  const ignored = ignoreReason(rule.name, deps, change);
  if (ignored !== undefined) {
    const base = { rule: rule.name, mode: deps.config.modes[rule.name], eventId: change.eventId };
    return { decision: { ...base, eventName: change.eventName, outcome: 'ignored', reason: ignored } };
  }
  const critical = hijack(deps, change);
  const targeted = rule.target(change);
  if ('plan' in targeted)
    return conclude(deps, rule.name, change, targeted.resource, targeted.plan, critical);
  return decideResuming(
    deps,
    rule.name,
    change,
    targeted.resource,
    () => getRecord(deps, remediationId(rule.name, change.eventId)),
    () => rule.evaluate(deps, targeted.target, change),
    critical,
  );
}

/**
 * Decide with what an earlier attempt left in the audit table, then conclude. A redelivery (or a retried sweep)
 * must finish what the first attempt started, even though IAM no longer shows the problem (it was fixed):
 * re-reading IAM alone would conclude "nothing to do" and lose the notification. So an earlier record that got
 * as far as IAM is resumed (notified, not acted on again); a pending one whose change IAM already shows is
 * settled as applied; otherwise the live plan is concluded. Shared by the event path and the sweep.
 * `readPlan` resolving to undefined means the target no longer exists.
 */
export async function decideResuming(
  deps: Deps,
  rule: RuleName,
  trigger: Trigger,
  resource: Resource,
  readEarlier: () => Promise<AuditRecord | undefined>,
  readPlan: () => Promise<Plan | undefined>,
  critical?: Critical,
): Promise<Concluded> {
  const base = {
    rule,
    mode: deps.config.modes[rule],
    eventId: trigger.eventId,
    eventName: trigger.eventName,
  };
  let plan: Plan | undefined;
  let earlier: AuditRecord | undefined;
  let reading = 'the audit table could not be read';
  try {
    earlier = await readEarlier();
    if (earlier !== undefined && resumable(earlier, base.mode)) return resume(earlier, base);
    reading = 'the live IAM state could not be read';
    plan = await readPlan();
  } catch (error) {
    const decision: Decision = {
      ...base,
      resource,
      outcome: 'failed',
      reason: reading,
      error: describeError(error),
    };
    return { decision, failure: error };
  }
  if (earlier?.status === 'pending' && (plan === undefined || plan.kind === 'none')) {
    // Recorded, then interrupted: IAM no longer shows the problem, so the write went through.
    await updateRecord(deps, earlier.id, { status: 'applied' });
    return resume({ ...earlier, status: 'applied' }, base);
  }
  return conclude(deps, rule, trigger, resource, plan, critical);
}

/**
 * An earlier delivery's record that settles this one: already notified, or acted on but not yet notified. A
 * notify-only record settles only a run that would notify too: it changed nothing, so an enforcing run of the
 * same event goes on to enforce (a back-test in notify mode must not block enforcement).
 */
function resumable(record: AuditRecord, mode: Mode): boolean {
  if (record.status === 'notified-only') return mode !== 'enforce';
  return record.notifiedAt !== undefined || record.status === 'applied';
}

/**
 * The decision an earlier delivery reached, from its record, marked `alreadyNotified` if people were told of
 * it (then it is not published again). A record still pending or failed belongs to an enforcing run this one
 * does not take over (a notify run finding it): nothing is done, and it is not stamped as notified.
 */
function resume(record: AuditRecord, base: Omit<Decision, 'outcome' | 'reason'>): Concluded {
  const acted = {
    ...base,
    mode: record.mode,
    resource: record.resource,
    action: record.action,
    remediationId: record.id,
    ...(record.notifiedAt === undefined ? {} : { alreadyNotified: true }),
  };
  switch (record.status) {
    case 'applied':
      return { decision: { ...acted, outcome: 'remediated', reason: record.reason } };
    case 'notified-only':
      return { decision: { ...acted, outcome: 'would-remediate', reason: record.reason } };
    default:
      return {
        decision: {
          ...acted,
          outcome: 'ignored',
          reason: `already handled as ${record.id} in ${record.mode} mode (${record.status})`,
        },
      };
  }
}

/**
 * The whole life of one event for one rule: validate, guard, re-read IAM, decide, act per mode with the
 * before-state recorded first, then notify and publish the result. An invalid event is rejected with its
 * reason and causes no IAM call. A failure is reported, then rethrown so Lambda's retries and DLQ apply.
 */
export async function handleEvent<T>(rule: Rule<T>, deps: Deps, event: unknown): Promise<Decision> {
  let change: Change | undefined;
  let concluded: Concluded;
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
  return publish(deps, concluded, change);
}

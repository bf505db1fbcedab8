import type { Mode, RuleName } from '../config.js';
import type { Deps } from '../deps.js';
import { describeError } from '../errors.js';
import { handleEvent } from '../pipeline.js';
import type { Action, Decision, Outcome, Resource } from '../plan.js';
import { RULES_BY_FUNCTION } from '../rules/index.js';
import { connectionFailure } from './clients.js';
import type { InputItem } from './input.js';
import type { EventBridgeEvent } from './normalize.js';
import type { NoRouteExplainer, Router } from './route.js';

/** How replaying one event for one function ended: a decision's outcome, or why no function ran. */
export type ReplayOutcome = Outcome | 'not-matched' | 'invalid';

/** One line of a replay report: an event, a function it reached (if any), and what came of it. */
export interface ReplayRow {
  /** The file the event came from, with its place in the file (`trail.json.gz#Records[3]`). */
  readonly source: string;
  readonly eventId: string;
  readonly eventName: string;
  readonly functionName?: RuleName;
  readonly mode?: Mode;
  readonly outcome: ReplayOutcome;
  readonly reason?: string;
  readonly resource?: Resource;
  readonly action?: Action;
  readonly remediationId?: string;
  readonly error?: string;
  /** Who made the call (CloudTrail's `userIdentity.arn`), for the summary's principals. */
  readonly principalArn?: string;
  /** People were told of this decision on an earlier run: it was not published again. */
  readonly alreadyNotified?: boolean;
  /** A `would-remediate` decided in notify mode only because a restore's grace period holds (lib/decisions/guards.ts). */
  readonly grace?: boolean;
}

/** Outcomes that make the CLI exit non-zero: bad input, an event the function rejected, a failure. */
export const PROBLEM_OUTCOMES: ReadonlySet<ReplayOutcome> = new Set(['invalid', 'rejected', 'failed']);

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The CloudTrail event ID of an event (its EventBridge ID for an old record without one), its name, and who
 * made the call.
 */
export function identify(event: EventBridgeEvent): {
  eventId: string;
  eventName: string;
  principalArn?: string;
} {
  const eventId = field(event.detail, 'eventID') ?? event.id;
  const eventName = field(event.detail, 'eventName') ?? event['detail-type'];
  const principalArn = field(field(event.detail, 'userIdentity'), 'arn');
  return {
    eventId: typeof eventId === 'string' ? eventId : '-',
    eventName: typeof eventName === 'string' ? eventName : '-',
    ...(typeof principalArn === 'string' ? { principalArn } : {}),
  };
}

function fromDecision(
  source: string,
  decision: Decision,
  event: EventBridgeEvent,
  configured: Mode,
): ReplayRow {
  const { principalArn } = identify(event);
  return {
    source,
    ...(principalArn === undefined ? {} : { principalArn }),
    // The guards turn an enforcing rule's action into a notification only during a restore's grace period.
    ...(decision.outcome === 'would-remediate' && configured === 'enforce' ? { grace: true } : {}),
    eventId: decision.eventId,
    eventName: decision.eventName,
    functionName: decision.rule,
    mode: decision.mode,
    outcome: decision.outcome,
    reason: decision.reason,
    ...(decision.resource ? { resource: decision.resource } : {}),
    ...(decision.action ? { action: decision.action } : {}),
    ...(decision.remediationId ? { remediationId: decision.remediationId } : {}),
    ...(decision.error ? { error: decision.error } : {}),
    ...(decision.alreadyNotified ? { alreadyNotified: true } : {}),
  };
}

/**
 * Run one event through one function's real pipeline. `handleEvent` reports a failure (notification, result
 * event) and then rethrows it for Lambda's retries; here it becomes a `failed` row and the replay goes on.
 */
export async function runFunction(
  deps: Deps,
  functionName: RuleName,
  source: string,
  event: EventBridgeEvent,
): Promise<ReplayRow> {
  try {
    const decision = await handleEvent(RULES_BY_FUNCTION[functionName], deps, event);
    return fromDecision(source, decision, event, deps.config.modes[functionName]);
  } catch (error) {
    // An endpoint that cannot be reached fails every event alike: the run stops and says so once.
    if (connectionFailure(error) !== undefined) throw error;
    return {
      source,
      ...identify(event),
      functionName,
      mode: deps.config.modes[functionName],
      outcome: 'failed',
      reason: 'the function threw: Lambda would retry the event, then send it to the failed-events queue',
      error: describeError(error),
    };
  }
}

/**
 * Replay events in order: each is routed through the template's rules and run by every function it reaches,
 * one row per function; an event no rule matches gives a `not-matched` row, an input error an `invalid` one.
 * Events run one at a time, as a log's order matters (a key created, then reactivated).
 */
export async function* replay(
  items: AsyncIterable<InputItem>,
  router: Router,
  deps: Deps,
  explain?: NoRouteExplainer,
): AsyncGenerator<ReplayRow> {
  for await (const item of items) {
    if (item.kind === 'error') {
      yield { source: item.source, eventId: '-', eventName: '-', outcome: 'invalid', error: item.message };
      continue;
    }
    const routes = router(item.event);
    if (routes.length === 0) {
      yield {
        source: item.source,
        ...identify(item.event),
        outcome: 'not-matched',
        ...(explain ? { reason: explain(item.event) } : {}),
      };
      continue;
    }
    for (const route of routes) yield await runFunction(deps, route.functionName, item.source, item.event);
  }
}

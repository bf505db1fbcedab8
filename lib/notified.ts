import type { Deps } from './deps.js';
import { awsErrorName, describeError } from './errors.js';
import type { Decision } from './plan.js';
import { deleteItem, putItem } from './table.js';

/**
 * How long people are remembered to have been told of a decision: as long as CloudTrail's event history
 * (`lookup-events`) reaches back, so a back-test of it run again within that time does not page anyone again.
 * Lambda's retries and redeliveries come within hours.
 */
export const NOTIFIED_MARK_DAYS = 90;

/**
 * The ID of the mark that says people were told of a decision: one per rule, event and outcome, so a later
 * decision that differs (an alert after a skip) is still told. Failures keep the ID they had when only they
 * were marked (`iam-warden#failure-notified#...`), so marks taken before an upgrade still count.
 */
export function notifiedMarkId(decision: Pick<Decision, 'rule' | 'eventId' | 'outcome'>): string {
  const what = decision.outcome === 'failed' ? 'failure' : decision.outcome;
  return `iam-warden#${what}-notified#${decision.rule}#${decision.eventId}`;
}

/**
 * A remediation (done or, in notify mode, to be done) has its audit record, whose `notifiedAt` says it was
 * told; every other decision (alerts, skips, failures) is remembered by a mark.
 */
function markable(decision: Decision): boolean {
  const recorded = decision.outcome === 'remediated' || decision.outcome === 'would-remediate';
  return !(recorded && decision.remediationId !== undefined);
}

/** `taken`: already told, do not publish; `claimed`: this call took the mark; `unmarked`: publish anyway. */
export type Claim = 'claimed' | 'taken' | 'unmarked';

/**
 * Take the notified mark of a decision before publishing it, with a conditional put in the idempotency table
 * (which expires items in `expiration`, as Powertools' own records). Only one of several attempts to tell
 * people of the same decision takes it: Lambda's retries of a failed event, a redelivery, a back-test run
 * again. When the mark cannot be written, or there is no table, the decision is published: better twice than
 * never. Release the mark (`releaseNotified`) when the publish then fails, so a later attempt sends it.
 */
export async function claimNotified(
  deps: Pick<Deps, 'dynamo' | 'config' | 'clock' | 'logger'>,
  decision: Decision,
): Promise<Claim> {
  const table = deps.config.idempotencyTable;
  if (table === undefined || !markable(decision)) return 'unmarked';
  const expiration = Math.floor(deps.clock().getTime() / 1000) + NOTIFIED_MARK_DAYS * 86_400;
  try {
    await putItem(
      deps.dynamo,
      table,
      { id: notifiedMarkId(decision), expiration },
      'attribute_not_exists(id)',
    );
    return 'claimed';
  } catch (error) {
    if (awsErrorName(error) !== 'ConditionalCheckFailedException') {
      deps.logger.warn('could not mark the decision notified', {
        rule: decision.rule,
        eventId: decision.eventId,
        error: describeError(error),
      });
      return 'unmarked';
    }
    deps.logger.info('decision already notified', {
      rule: decision.rule,
      outcome: decision.outcome,
      eventId: decision.eventId,
    });
    return 'taken';
  }
}

/** Take back a mark `claimNotified` took, when the decision could not be published after all. */
export async function releaseNotified(
  deps: Pick<Deps, 'dynamo' | 'config' | 'logger'>,
  decision: Decision,
): Promise<void> {
  const table = deps.config.idempotencyTable;
  if (table === undefined) return;
  await deleteItem(deps.dynamo, table, { id: notifiedMarkId(decision) }).catch((error: unknown) =>
    deps.logger.error('could not take back the notified mark', {
      eventId: decision.eventId,
      error: describeError(error),
    }),
  );
}

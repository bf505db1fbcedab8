import type { Action } from '../plan.js';
import type { ReplayOutcome, ReplayRow } from './replay.js';

/** How the table names each outcome. */
const OUTCOME_LABELS: Readonly<Record<ReplayOutcome, string>> = {
  remediated: 'remediated',
  'would-remediate': 'would remediate',
  skipped: 'skipped',
  alert: 'ALERT',
  ignored: 'ignored',
  failed: 'FAILED',
  rejected: 'rejected',
  'not-matched': 'not matched',
  invalid: 'INVALID INPUT',
};

/** The order outcomes are counted in the summary. */
const SUMMARY_ORDER: readonly ReplayOutcome[] = [
  'remediated',
  'would-remediate',
  'alert',
  'skipped',
  'ignored',
  'not-matched',
  'rejected',
  'failed',
  'invalid',
];

const COLUMNS = [
  { title: 'EVENT ID', width: 36 },
  { title: 'EVENT NAME', width: 18 },
  { title: 'FUNCTION', width: 13 },
  { title: 'OUTCOME', width: 15 },
] as const;

function policyName(policyArn: string): string {
  return policyArn.slice(policyArn.lastIndexOf('/') + 1);
}

/** An action in words, done (`deactivated ...`) or to be done (`deactivate ...`). */
export function describeAction(action: Action, done: boolean): string {
  switch (action.kind) {
    case 'deactivate-keys': {
      const keys = action.keys.map((key) => `${key.accessKeyId} (${key.ageDays} days old)`).join(', ');
      const noun = action.keys.length === 1 ? 'access key' : 'access keys';
      return `${done ? 'deactivated' : 'deactivate'} ${noun} ${keys} of user ${action.userName}`;
    }
    case 'detach-policy':
      return `${done ? 'detached' : 'detach'} ${policyName(action.policyArn)} from role ${action.roleName}`;
    case 'quarantine':
      return `${done ? 'quarantined' : 'quarantine'} ${action.principalType} ${action.principalName} (deny-all policy attached)`;
    case 'delete-inline-policy':
      return `${done ? 'deleted' : 'delete'} inline policy ${action.policyName} of user ${action.userName} (document saved first)`;
  }
}

/** The last column of the table: what was done, or why nothing was. */
export function describeRow(row: ReplayRow): string {
  const { action } = row;
  switch (row.outcome) {
    case 'remediated':
      return action
        ? `${describeAction(action, true)}${row.remediationId ? `; remediation ${row.remediationId}` : ''}`
        : (row.reason ?? '');
    case 'would-remediate':
      return action ? `would ${describeAction(action, false)} (notify mode)` : (row.reason ?? '');
    case 'failed':
      return [row.error, action ? `while trying to ${describeAction(action, false)}` : row.reason]
        .filter(Boolean)
        .join('; ');
    case 'not-matched':
      return 'no rule in template.yaml matches';
    case 'invalid':
      return `${row.source.slice(row.source.lastIndexOf('#') + 1)}: ${row.error ?? 'invalid input'}`;
    default:
      return row.reason ?? '';
  }
}

/** The table's header line. */
export function tableHeader(): string {
  return `${COLUMNS.map((column) => column.title.padEnd(column.width)).join(' ')} DETAILS`;
}

/** One table line. Values are never cut: an event ID longer than its column pushes the rest right. */
export function tableRow(row: ReplayRow): string {
  const cells = [row.eventId, row.eventName, row.functionName ?? '-', OUTCOME_LABELS[row.outcome]];
  return `${cells.map((cell, index) => cell.padEnd(COLUMNS[index]?.width ?? 0)).join(' ')} ${describeRow(row)}`;
}

/** One JSON object per line, for `--json`: the row as data, with the action's words added. */
export function jsonLine(row: ReplayRow): string {
  return JSON.stringify({
    source: row.source,
    eventId: row.eventId,
    eventName: row.eventName,
    function: row.functionName ?? null,
    mode: row.mode ?? null,
    outcome: row.outcome,
    reason: row.reason ?? null,
    resource: row.resource ?? null,
    action: row.action ?? null,
    actionSummary: row.action ? describeAction(row.action, row.outcome === 'remediated') : null,
    remediationId: row.remediationId ?? null,
    error: row.error ?? null,
  });
}

/** Counts of a replay, for the closing line. */
export interface ReplayTally {
  events: number;
  readonly outcomes: Map<ReplayOutcome, number>;
}

export function newTally(): ReplayTally {
  return { events: 0, outcomes: new Map() };
}

/** Count a row; rows of the same event (one per function) count it once. */
export function tally(counts: ReplayTally, row: ReplayRow, firstOfEvent: boolean): void {
  if (firstOfEvent && row.outcome !== 'invalid') counts.events++;
  counts.outcomes.set(row.outcome, (counts.outcomes.get(row.outcome) ?? 0) + 1);
}

/** `3 events: 1 remediated, 2 not matched; 1 invalid input`. */
export function summaryLine(counts: ReplayTally): string {
  const parts = SUMMARY_ORDER.filter((outcome) => outcome !== 'invalid' && counts.outcomes.has(outcome)).map(
    (outcome) => `${counts.outcomes.get(outcome)} ${OUTCOME_LABELS[outcome].toLowerCase()}`,
  );
  const invalid = counts.outcomes.get('invalid') ?? 0;
  const events = `${counts.events} ${counts.events === 1 ? 'event' : 'events'}`;
  const line = parts.length > 0 ? `${events}: ${parts.join(', ')}` : events;
  return invalid > 0 ? `${line}; ${invalid} invalid ${invalid === 1 ? 'input' : 'inputs'}` : line;
}

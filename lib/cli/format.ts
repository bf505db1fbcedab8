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
  // The sweep's only (its blast-radius cap); never an event's.
  capped: 'capped',
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

/** The grace guard's part of a reason (`restored by ... until ...`), which follows the plan's own. */
function graceOf(reason: string | undefined): string {
  if (reason === undefined) return 'a restore is recent';
  const at = reason.indexOf('restored by ');
  return at === -1 ? reason : reason.slice(at);
}

/** The last column of the table: what was done, or why nothing was. */
export function describeRow(row: ReplayRow): string {
  const { action } = row;
  switch (row.outcome) {
    case 'remediated':
      return action
        ? `${describeAction(action, true)}${row.remediationId ? `; remediation ${row.remediationId}` : ''}`
        : (row.reason ?? '');
    case 'would-remediate': {
      if (!action) return row.reason ?? '';
      const why = row.grace ? `grace period: ${graceOf(row.reason)}` : 'notify mode';
      return `would ${describeAction(action, false)} (${why})`;
    }
    case 'failed':
      return [row.error, action ? `while trying to ${describeAction(action, false)}` : row.reason]
        .filter(Boolean)
        .join('; ');
    case 'not-matched':
      return row.reason ?? 'no rule in template.yaml matches';
    case 'invalid': {
      // The file is the heading above the row: only the record within it is named here.
      const hash = row.source.lastIndexOf('#');
      const record = hash === -1 ? '' : `${row.source.slice(hash + 1)}: `;
      return `${record}${row.error ?? 'invalid input'}`;
    }
    default:
      return row.reason ?? '';
  }
}

/** The table's header line. */
export function tableHeader(): string {
  return `${COLUMNS.map((column) => column.title.padEnd(column.width)).join(' ')} DETAILS`;
}

/** How a row and the summary say that a decision was not published again. */
const ALREADY_NOTIFIED = 'already notified, not sent again';

/**
 * One table line. Values are never cut: an event ID longer than its column pushes the rest right. A decision
 * people were told of on an earlier run says so first.
 */
export function tableRow(row: ReplayRow): string {
  const cells = [row.eventId, row.eventName, row.functionName ?? '-', OUTCOME_LABELS[row.outcome]];
  const details = `${row.alreadyNotified ? `${ALREADY_NOTIFIED}: ` : ''}${describeRow(row)}`;
  return `${cells.map((cell, index) => cell.padEnd(COLUMNS[index]?.width ?? 0)).join(' ')} ${details}`;
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
    alreadyNotified: row.alreadyNotified === true,
  });
}

/** Counts of a replay, for the closing lines. */
export interface ReplayTally {
  events: number;
  /** Decisions people were told of on an earlier run, not published again. */
  alreadyNotified: number;
  /** Files a directory held that are not event files. */
  skippedFiles: number;
  readonly outcomes: Map<ReplayOutcome, number>;
  /** Outcomes per function (`-` for events no rule matched). */
  readonly byRule: Map<string, Map<ReplayOutcome, number>>;
  /** Who made the calls that would be (or were) remediated, with how many. */
  readonly principals: Map<string, number>;
}

export function newTally(): ReplayTally {
  return {
    events: 0,
    alreadyNotified: 0,
    skippedFiles: 0,
    outcomes: new Map(),
    byRule: new Map(),
    principals: new Map(),
  };
}

function add<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Count a row; rows of the same event (one per function) count it once. */
export function tally(counts: ReplayTally, row: ReplayRow, firstOfEvent: boolean): void {
  if (firstOfEvent && row.outcome !== 'invalid') counts.events++;
  add(counts.outcomes, row.outcome);
  if (row.alreadyNotified) counts.alreadyNotified++;
  if (row.outcome === 'invalid') return;
  const rule = row.functionName ?? '-';
  const outcomes = counts.byRule.get(rule) ?? new Map<ReplayOutcome, number>();
  counts.byRule.set(rule, outcomes);
  add(outcomes, row.outcome);
  if (row.outcome === 'would-remediate' || row.outcome === 'remediated') {
    add(counts.principals, row.principalArn ?? 'unknown principal');
  }
}

function outcomeList(outcomes: ReadonlyMap<ReplayOutcome, number>): string {
  return SUMMARY_ORDER.filter((outcome) => outcomes.has(outcome))
    .map((outcome) => `${outcomes.get(outcome)} ${OUTCOME_LABELS[outcome].toLowerCase()}`)
    .join(', ');
}

/** How many principals the summary names, most remediations first. */
export const TOP_PRINCIPALS = 5;

/**
 * The summary above the closing line: outcomes per function, then the principals behind what was or would be
 * remediated, most first. Empty when nothing was replayed.
 */
export function summaryBlock(counts: ReplayTally): string[] {
  if (counts.byRule.size === 0) return [];
  const rules = [...counts.byRule.keys()].sort((a, b) =>
    a === '-' ? 1 : b === '-' ? -1 : a.localeCompare(b),
  );
  const lines = ['By function:'];
  for (const rule of rules) {
    const name = rule === '-' ? '(no rule)' : rule;
    lines.push(`  ${name.padEnd(14)} ${outcomeList(counts.byRule.get(rule) ?? new Map())}`);
  }
  if (counts.principals.size > 0) {
    const top = [...counts.principals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const shown = top.slice(0, TOP_PRINCIPALS);
    lines.push('Principals behind what was or would be remediated:');
    for (const [principal, count] of shown) lines.push(`  ${String(count).padStart(5)}  ${principal}`);
    if (top.length > shown.length) lines.push(`  and ${top.length - shown.length} more`);
  }
  return lines;
}

/** `3 events: 1 remediated, 2 not matched; 1 invalid input`. */
export function summaryLine(counts: ReplayTally): string {
  const parts = SUMMARY_ORDER.filter((outcome) => outcome !== 'invalid' && counts.outcomes.has(outcome)).map(
    (outcome) => `${counts.outcomes.get(outcome)} ${OUTCOME_LABELS[outcome].toLowerCase()}`,
  );
  const invalid = counts.outcomes.get('invalid') ?? 0;
  const events = `${counts.events} ${counts.events === 1 ? 'event' : 'events'}`;
  let line = parts.length > 0 ? `${events}: ${parts.join(', ')}` : events;
  if (invalid > 0) line += `; ${invalid} invalid ${invalid === 1 ? 'input' : 'inputs'}`;
  if (counts.alreadyNotified > 0) line += `; ${counts.alreadyNotified} ${ALREADY_NOTIFIED}`;
  if (counts.skippedFiles > 0) {
    line += `; ${counts.skippedFiles} ${counts.skippedFiles === 1 ? 'file' : 'files'} skipped (not .json or .json.gz)`;
  }
  return line;
}

import { describe, expect, it } from 'vitest';
import {
  describeAction,
  describeRow,
  jsonLine,
  newTally,
  summaryLine,
  tableRow,
  tally,
} from '../../../lib/cli/format.js';
import type { ReplayRow } from '../../../lib/cli/replay.js';

const keys = {
  kind: 'deactivate-keys',
  userName: 'bob',
  keys: [
    { accessKeyId: 'AKIA1', createDate: '2025-01-01T00:00:00.000Z', ageDays: 151 },
    { accessKeyId: 'AKIA2', createDate: '2025-02-01T00:00:00.000Z', ageDays: 120 },
  ],
} as const;

const row = (outcome: ReplayRow['outcome'], extra: Partial<ReplayRow> = {}): ReplayRow => ({
  source: 'trail.json.gz#Records[1]',
  eventId: 'e1',
  eventName: 'CreateAccessKey',
  outcome,
  ...extra,
});

describe('describeAction', () => {
  it('names every key with its age, done or to be done', () => {
    expect(describeAction(keys, true)).toBe(
      'deactivated access keys AKIA1 (151 days old), AKIA2 (120 days old) of user bob',
    );
    expect(describeAction({ ...keys, keys: [keys.keys[0]] }, false)).toBe(
      'deactivate access key AKIA1 (151 days old) of user bob',
    );
  });

  it('names the policy and the role or user', () => {
    expect(
      describeAction(
        { kind: 'detach-policy', roleName: 'app', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        true,
      ),
    ).toBe('detached AdministratorAccess from role app');
    expect(
      describeAction(
        { kind: 'delete-inline-policy', userName: 'bob', policyName: 'p', policyDocument: '{}' },
        false,
      ),
    ).toBe('delete inline policy p of user bob (document saved first)');
  });
});

describe('describeRow', () => {
  it('says what was done and where the record is', () => {
    expect(describeRow(row('remediated', { action: keys, remediationId: 'rem-1' }))).toBe(
      `${describeAction(keys, true)}; remediation rem-1`,
    );
  });

  it('says what would be done in notify mode', () => {
    expect(describeRow(row('would-remediate', { action: keys }))).toBe(
      `would ${describeAction(keys, false)} (notify mode)`,
    );
  });

  it('gives the reason of other outcomes, the error of failures and the place of bad input', () => {
    expect(describeRow(row('skipped', { reason: 'designated admin role' }))).toBe('designated admin role');
    expect(describeRow(row('failed', { error: 'Throttling: slow down', reason: 'the function threw' }))).toBe(
      'Throttling: slow down; the function threw',
    );
    expect(describeRow(row('invalid', { error: 'not a CloudTrail record' }))).toBe(
      'Records[1]: not a CloudTrail record',
    );
  });
});

describe('summaryLine', () => {
  it('counts events once and outcomes per function, with invalid inputs apart', () => {
    const counts = newTally();
    tally(counts, row('remediated'), true);
    tally(counts, row('not-matched'), true);
    tally(counts, row('not-matched'), true);
    tally(counts, row('invalid'), true);
    expect(summaryLine(counts)).toBe('3 events: 1 remediated, 2 not matched; 1 invalid input');
  });

  it('counts the decisions people were told of on an earlier run', () => {
    const counts = newTally();
    tally(counts, row('alert', { alreadyNotified: true }), true);
    tally(counts, row('would-remediate', { alreadyNotified: true }), true);
    tally(counts, row('would-remediate'), true);
    expect(summaryLine(counts)).toBe(
      '3 events: 2 would remediate, 1 alert; 2 already notified, not sent again',
    );
  });

  it('reads well with nothing replayed', () => {
    expect(summaryLine(newTally())).toBe('0 events');
  });
});

describe('tableRow and jsonLine', () => {
  it('say first that a decision was notified on an earlier run and not sent again', () => {
    const told = row('would-remediate', { functionName: 'access-keys', action: keys, alreadyNotified: true });
    expect(tableRow(told)).toMatch(
      /^e1 +CreateAccessKey +access-keys +would remediate +already notified, not sent again: would deactivate access keys AKIA1/,
    );
    expect(tableRow({ ...told, alreadyNotified: false })).not.toContain('already notified');
    expect(JSON.parse(jsonLine(told))).toMatchObject({ outcome: 'would-remediate', alreadyNotified: true });
    expect(JSON.parse(jsonLine(row('alert')))).toMatchObject({ alreadyNotified: false });
  });
});

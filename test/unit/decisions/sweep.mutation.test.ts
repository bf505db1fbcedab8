import { describe, expect, it } from 'vitest';
import { type ReportRow, ROOT_ACCOUNT } from '../../../lib/credential-report.js';
import {
  selectKeyCandidates,
  selectKeyWarnings,
  usersMissingFromReport,
} from '../../../lib/decisions/sweep.js';

// Edges of the sweep's bulk decisions that mutation testing (docs/mutation-testing.md) found untested: report rows
// without a rotation date, and the ends of the warning and report-age windows.

const DAY_MS = 86_400_000;
const NOW = new Date('2025-06-01T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

type Slot = [active: boolean, lastRotated: Date | undefined];

function row(user: string, key1: Slot, key2: Slot = [false, undefined]): ReportRow {
  return {
    user,
    arn: user === ROOT_ACCOUNT ? 'arn:aws:iam::123456789012:root' : `arn:aws:iam::123456789012:user/${user}`,
    keys: [
      { slot: 1, active: key1[0], lastRotated: key1[1] },
      { slot: 2, active: key2[0], lastRotated: key2[1] },
    ],
  };
}

describe('selectKeyCandidates: the root user', () => {
  it('alerts on an active root key without a rotation date, naming its slot only', () => {
    const result = selectKeyCandidates(
      { rows: [row(ROOT_ACCOUNT, [false, undefined], [true, undefined])] },
      NOW,
      90,
    );

    expect(result).toEqual({
      users: [],
      rootPlan: {
        kind: 'alert',
        reason:
          "the root user has an active access key: key 2; root keys cannot be managed through IAM's API: delete it signed in as root and use roles instead",
      },
    });
  });

  it('gives a root key’s age in whole days, rounded down', () => {
    const result = selectKeyCandidates({ rows: [row(ROOT_ACCOUNT, [true, daysAgo(3.9)])] }, NOW, 90);

    expect(result.rootPlan?.reason).toContain('active access key: key 1 (3 days old);');
  });

  it('still selects the other users of the report', () => {
    const rows = [row(ROOT_ACCOUNT, [true, daysAgo(900)]), row('old', [true, daysAgo(91)])];

    expect(selectKeyCandidates({ rows }, NOW, 90).users).toEqual(['old']);
  });
});

describe('selectKeyWarnings: edges', () => {
  it('skips an active key without a rotation date', () => {
    const rows = [row('dateless', [true, undefined], [true, daysAgo(83.5)])];

    expect(selectKeyWarnings({ rows }, NOW, 90, 7)).toEqual([expect.objectContaining({ slot: 2 })]);
  });

  it('warns about nothing at 0 days, even a key exactly at the limit', () => {
    const rows = [row('at-limit', [true, daysAgo(90.5)])];

    expect(selectKeyWarnings({ rows }, NOW, 90, 0)).toEqual([]);
  });

  it('warns about nothing when the warning period is the whole key age, even a new key', () => {
    expect(selectKeyWarnings({ rows: [row('new', [true, daysAgo(0.2)])] }, NOW, 90, 90)).toEqual([]);
    expect(selectKeyWarnings({ rows: [row('new', [true, daysAgo(0.2)])] }, NOW, 90, 89)).toEqual([]);
    expect(selectKeyWarnings({ rows: [row('day-1', [true, daysAgo(1.2)])] }, NOW, 90, 89)).toHaveLength(1);
  });

  it('warns at exactly the warning age, from its first millisecond', () => {
    const rows = [
      row('exactly', [true, daysAgo(83)]),
      row('not-yet', [true, new Date(daysAgo(83).getTime() + 1)]),
    ];

    expect(selectKeyWarnings({ rows }, NOW, 90, 7).map((warning) => warning.userName)).toEqual(['exactly']);
  });
});

describe('usersMissingFromReport: edges', () => {
  it('includes a user created at the very moment the report was generated', () => {
    const generatedAt = daysAgo(0.1);
    const users = [
      { name: 'same-instant', arn: 'arn:x', createDate: generatedAt, inlinePolicies: [] },
      {
        name: 'a-moment-later',
        arn: 'arn:y',
        createDate: new Date(generatedAt.getTime() + 1),
        inlinePolicies: [],
      },
    ];

    expect(usersMissingFromReport(users, { rows: [] }, generatedAt)).toEqual(['same-instant']);
  });
});

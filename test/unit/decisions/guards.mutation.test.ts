import { describe, expect, it } from 'vitest';
import {
  type Guard,
  type GuardInput,
  guardAction,
  type HistoryEntry,
} from '../../../lib/decisions/guards.js';

// Edges of the guards that mutation testing (docs/mutation-testing.md) found untested: entries with several
// targets (a restore of two keys, a remediation of several), the exact ends of the grace period and of the repeat
// window, and restores recorded before their rule and targets were kept.

const NOW = new Date('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

function input(changes: Partial<GuardInput> = {}): GuardInput {
  return {
    rule: 'access-keys',
    now: NOW,
    exemptTag: undefined,
    exemptTagValue: 'true',
    history: [],
    remediationId: 'rem-current',
    targets: ['access-key:AKIA1'],
    states: ['access-key:AKIA1'],
    principalArn: 'arn:aws:iam::1:user/mallory',
    repeatLimit: 3,
    repeatWindowHours: 24,
    ...changes,
  };
}

function restore(changes: Partial<Extract<HistoryEntry, { kind: 'restore' }>> = {}): HistoryEntry {
  return {
    kind: 'restore',
    createdAt: at(-HOUR),
    graceUntil: at(23 * HOUR),
    restoredBy: 'jane',
    rule: 'access-keys',
    targets: ['access-key:AKIA1'],
    ...changes,
  };
}

function remediation(id: string, createdAt: string, targets: string[]): HistoryEntry {
  return { kind: 'remediation', id, rule: 'access-keys', status: 'applied', createdAt, targets };
}

/**
 * Whether the repeat limit was reached. The one place to adapt when what the guard does at the limit changes
 * (these tests are about which remediations count, not about what happens then).
 */
function atRepeatLimit(guard: Guard): boolean {
  return guard.kind === 'proceed' && guard.repeat !== undefined;
}

describe('guardAction: grace after a restore of several targets', () => {
  it('covers an action on any one of the keys a restore reactivated', () => {
    const history = [restore({ targets: ['access-key:AKIA1', 'access-key:AKIA2'] })];

    expect(guardAction(input({ history, targets: ['access-key:AKIA2'] })).kind).toBe('grace');
    expect(guardAction(input({ history, targets: ['access-key:AKIA3', 'access-key:AKIA1'] })).kind).toBe(
      'grace',
    );
    expect(guardAction(input({ history, targets: ['access-key:AKIA3'] }))).toEqual({ kind: 'proceed' });
  });

  it('ends at the instant graceUntil names', () => {
    const reason = (graceUntil: string) => guardAction(input({ history: [restore({ graceUntil })] }));

    expect(reason(at(1)).kind).toBe('grace');
    expect(reason(at(0))).toEqual({ kind: 'proceed' });
  });

  it('names the restore whose grace lasts longest, whatever the order of the history', () => {
    const early = restore({ restoredBy: 'jane', createdAt: at(-5 * HOUR), graceUntil: at(19 * HOUR) });
    const late = restore({ restoredBy: 'joe', createdAt: at(-HOUR), graceUntil: at(23 * HOUR) });
    const expected = {
      kind: 'grace',
      reason: `restored by joe at ${at(-HOUR)}; iam-warden only notifies about it until ${at(23 * HOUR)}`,
    };

    expect(guardAction(input({ history: [early, late] }))).toEqual(expected);
    expect(guardAction(input({ history: [late, early] }))).toEqual(expected);
  });

  it('covers every rule and target after a restore recorded without its rule or without its targets', () => {
    const inline = { rule: 'inline-policy', targets: ['inline-policy:p'] } as const;
    const noRule: HistoryEntry = {
      kind: 'restore',
      createdAt: at(-HOUR),
      graceUntil: at(HOUR),
      restoredBy: 'jane',
      targets: ['access-key:AKIA1'],
    };
    const noTargets: HistoryEntry = {
      kind: 'restore',
      createdAt: at(-HOUR),
      graceUntil: at(HOUR),
      restoredBy: 'jane',
      rule: 'access-keys',
    };

    expect(guardAction(input({ ...inline, history: [noRule] })).kind).toBe('grace');
    expect(guardAction(input({ ...inline, history: [noTargets] })).kind).toBe('grace');
  });
});

describe('guardAction: which remediations count towards the repeat limit', () => {
  it('counts a remediation of several keys as a repeat for any one of them', () => {
    const history = [1, 2, 3].map((hours) =>
      remediation(`r${hours}`, at(-hours * HOUR), ['access-key:AKIA0', 'access-key:AKIA1']),
    );

    expect(atRepeatLimit(guardAction(input({ history, targets: ['access-key:AKIA1'] })))).toBe(true);
    expect(atRepeatLimit(guardAction(input({ history, targets: ['access-key:AKIA2'] })))).toBe(false);
  });

  it('counts a remediation made exactly repeatWindowHours ago, and not one a millisecond older', () => {
    const recent = [
      remediation('a', at(-HOUR), ['access-key:AKIA1']),
      remediation('b', at(-2 * HOUR), ['access-key:AKIA1']),
    ];
    const withThird = (createdAt: string) =>
      input({ history: [...recent, remediation('c', createdAt, ['access-key:AKIA1'])] });

    expect(atRepeatLimit(guardAction(withThird(at(-24 * HOUR))))).toBe(true);
    expect(atRepeatLimit(guardAction(withThird(at(-24 * HOUR - 1))))).toBe(false);
  });

  it('measures the window in hours as configured', () => {
    const history = [1, 2, 3].map((hours) =>
      remediation(`r${hours}`, at(-hours * HOUR), ['access-key:AKIA1']),
    );

    expect(atRepeatLimit(guardAction(input({ history, repeatWindowHours: 3 })))).toBe(true);
    expect(atRepeatLimit(guardAction(input({ history, repeatWindowHours: 2 })))).toBe(false);
  });

  it('does not count restores, whatever they name', () => {
    const past = (hours: number) => restore({ createdAt: at(-hours * HOUR), graceUntil: at(-0.5 * HOUR) });
    const history = [remediation('a', at(-HOUR), ['access-key:AKIA1']), past(2), past(3)];

    expect(atRepeatLimit(guardAction(input({ history, repeatLimit: 2 })))).toBe(false);
  });
});

describe('guardAction: repeats are counted per rule', () => {
  it("does not count another rule's remediations, even of targets named alike", () => {
    const history: HistoryEntry[] = [1, 2, 3].map((hours) => ({
      kind: 'remediation',
      id: `r${hours}`,
      rule: 'inline-policy',
      status: 'applied',
      createdAt: at(-hours * HOUR),
      targets: ['access-key:AKIA1'],
    }));

    expect(atRepeatLimit(guardAction(input({ history })))).toBe(false);
  });
});

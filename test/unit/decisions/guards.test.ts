import { describe, expect, it } from 'vitest';
import {
  actionStates,
  actionTargets,
  type GuardInput,
  guardAction,
  type HistoryEntry,
} from '../../../lib/decisions/guards.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR).toISOString();
const ahead = (hours: number) => new Date(NOW.getTime() + hours * HOUR).toISOString();

function applied(
  id: string,
  hoursAgo: number,
  targets = ['attached-policy:admin'],
  rule: 'admin-policy' | 'inline-policy' = 'admin-policy',
  extra: { principalArn?: string; escalated?: boolean } = {},
): HistoryEntry {
  return { kind: 'remediation', id, rule, status: 'applied', createdAt: ago(hoursAgo), targets, ...extra };
}

const MALLORY = 'arn:aws:iam::1:user/mallory';

function input(changes: Partial<GuardInput> = {}): GuardInput {
  return {
    rule: 'admin-policy',
    now: NOW,
    exemptTag: undefined,
    exemptTagValue: 'true',
    history: [],
    remediationId: 'rem-current',
    targets: ['attached-policy:admin'],
    states: ['attached-policy:admin'],
    principalArn: MALLORY,
    repeatLimit: 3,
    repeatWindowHours: 24,
    ...changes,
  };
}

describe('guardAction', () => {
  it('proceeds with no tag and no history', () => {
    expect(guardAction(input())).toEqual({ kind: 'proceed' });
  });

  it('exempts a resource carrying the exemption tag with the exempting value, whatever its history', () => {
    const guard = guardAction(
      input({ exemptTag: { key: 'iam-warden:exempt', value: 'true' }, history: [applied('a', 1)] }),
    );

    expect(guard).toEqual({ kind: 'exempt', reason: 'exempt by tag iam-warden:exempt=true' });
  });

  it.each([['false'], [''], ['TRUE'], ['true ']])(
    'does not exempt a resource whose tag has another value (%j), and says why',
    (value) => {
      const guard = guardAction(input({ exemptTag: { key: 'iam-warden:exempt', value } }));

      expect(guard).toEqual({
        kind: 'proceed',
        note: `tag iam-warden:exempt=${value} does not exempt it: only the value "true" does`,
      });
    },
  );

  it('exempts with the configured value only', () => {
    const tag = { key: 'k', value: 'CHG-1234' };

    expect(guardAction(input({ exemptTag: tag, exemptTagValue: 'CHG-1234' })).kind).toBe('exempt');
    expect(guardAction(input({ exemptTag: tag })).kind).toBe('proceed');
  });

  it('only notifies while a restore of the resource is in its grace period, naming who restored it', () => {
    const restore: HistoryEntry = {
      kind: 'restore',
      createdAt: ago(1),
      graceUntil: ahead(23),
      restoredBy: 'arn:aws:sts::1:assumed-role/sec/jane',
    };

    const guard = guardAction(input({ history: [restore] }));

    expect(guard.kind).toBe('grace');
    expect(guard).toMatchObject({ reason: expect.stringContaining('arn:aws:sts::1:assumed-role/sec/jane') });
    expect(guard).toMatchObject({ reason: expect.stringContaining(ahead(23)) });
  });

  it('limits the grace period to the rule and targets the restore put back', () => {
    const restore: HistoryEntry = {
      kind: 'restore',
      createdAt: ago(1),
      graceUntil: ahead(23),
      restoredBy: 'jane',
      rule: 'inline-policy',
      targets: ['inline-policy:S3All'],
    };
    const inline = (targets: string[]) => input({ rule: 'inline-policy', targets, history: [restore] });

    expect(guardAction(inline(['inline-policy:S3All'])).kind).toBe('grace');
    // Another inline policy put on the same user, and another rule on it, are guarded as usual.
    expect(guardAction(inline(['inline-policy:Other']))).toEqual({ kind: 'proceed' });
    expect(guardAction(input({ targets: ['inline-policy:S3All'], history: [restore] }))).toEqual({
      kind: 'proceed',
    });
  });

  it('covers a key the restore reactivated even when the action would deactivate others too', () => {
    const restore: HistoryEntry = {
      kind: 'restore',
      createdAt: ago(1),
      graceUntil: ahead(23),
      restoredBy: 'jane',
      rule: 'access-keys',
      targets: ['access-key:AKIA1'],
    };

    const guard = guardAction(
      input({ rule: 'access-keys', targets: ['access-key:AKIA1', 'access-key:AKIA2'], history: [restore] }),
    );

    expect(guard.kind).toBe('grace');
  });

  it('covers the restored inline document only, not another document put under its name', () => {
    const restored = {
      kind: 'delete-inline-policy',
      userName: 'u',
      policyName: 'p',
      policyDocument: '{"a":1}',
    } as const;
    const replaced = {
      ...restored,
      policyDocument: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    };
    const restore: HistoryEntry = {
      kind: 'restore',
      createdAt: ago(1),
      graceUntil: ahead(23),
      restoredBy: 'jane',
      rule: 'inline-policy',
      targets: actionTargets(restored),
      states: actionStates(restored),
    };
    const deciding = (action: typeof restored | typeof replaced) =>
      input({
        rule: 'inline-policy',
        targets: actionTargets(action),
        states: actionStates(action),
        history: [restore],
      });

    expect(guardAction(deciding(restored)).kind).toBe('grace');
    expect(guardAction(deciding(replaced))).toEqual({ kind: 'proceed' });
  });

  it('acts again once the grace period is over', () => {
    const restore: HistoryEntry = {
      kind: 'restore',
      createdAt: ago(30),
      graceUntil: ago(6),
      restoredBy: 'jane',
    };

    expect(guardAction(input({ history: [restore] }))).toEqual({ kind: 'proceed' });
  });

  it('keeps remediating past the limit, escalating once and naming who repeats, most frequent first', () => {
    const bob = 'arn:aws:iam::1:user/bob';
    const history = [
      applied('a', 1, undefined, undefined, { principalArn: bob }),
      applied('b', 2, undefined, undefined, { principalArn: MALLORY }),
      applied('c', 3, undefined, undefined, { principalArn: MALLORY }),
    ];

    expect(guardAction(input({ history }))).toEqual({
      kind: 'proceed',
      repeat: { count: 3, principals: [MALLORY, bob], escalate: true },
    });
  });

  it('counts a repeat after the window was escalated without escalating again', () => {
    const history = [
      applied('a', 1, undefined, undefined, { escalated: true }),
      applied('b', 2),
      applied('c', 3),
      applied('d', 4),
    ];

    expect(guardAction(input({ history }))).toEqual({
      kind: 'proceed',
      repeat: { count: 4, principals: ['unknown', MALLORY], escalate: false, escalatedAt: ago(1) },
    });
  });

  it('escalates again once the escalation has left the window', () => {
    const history = [
      applied('a', 1),
      applied('b', 2),
      applied('c', 3),
      applied('d', 25, undefined, undefined, { escalated: true }),
    ];

    expect(guardAction(input({ history }))).toMatchObject({ repeat: { count: 3, escalate: true } });
  });

  it("does not take another target's escalation for this one's", () => {
    const history = [
      applied('a', 1),
      applied('b', 2),
      applied('c', 3),
      applied('d', 1, ['attached-policy:other'], undefined, { escalated: true }),
    ];

    expect(guardAction(input({ history }))).toMatchObject({ repeat: { escalate: true } });
  });

  it('proceeds one short of the limit', () => {
    expect(guardAction(input({ history: [applied('a', 1), applied('b', 2)] }))).toEqual({ kind: 'proceed' });
  });

  it('does not count remediations older than the window', () => {
    expect(guardAction(input({ history: [applied('a', 1), applied('b', 2), applied('c', 25)] }))).toEqual({
      kind: 'proceed',
    });
  });

  it('does not count its own earlier record (a redelivery) as a repeat', () => {
    const history = [applied('a', 1), applied('b', 2), applied('rem-current', 0)];

    expect(guardAction(input({ history }))).toEqual({ kind: 'proceed' });
  });

  it('does not count remediations that were not applied', () => {
    const history: HistoryEntry[] = [
      applied('a', 1),
      applied('b', 2),
      { ...(applied('c', 3) as HistoryEntry & { kind: 'remediation' }), status: 'notified-only' },
    ];

    expect(guardAction(input({ history }))).toEqual({ kind: 'proceed' });
  });

  it("does not count another rule's remediations of the same resource", () => {
    const other = ['inline-policy:p'];
    const history = [
      applied('a', 1, other, 'inline-policy'),
      applied('b', 2, other, 'inline-policy'),
      applied('c', 3, other, 'inline-policy'),
    ];

    expect(guardAction(input({ history }))).toEqual({ kind: 'proceed' });
  });

  it("does not take a user's fourth distinct inline policy for a repeat of the first three", () => {
    const history = ['p1', 'p2', 'p3'].map((name, index) =>
      applied(`r${index}`, index + 1, [`inline-policy:${name}`], 'inline-policy'),
    );

    const guard = guardAction(input({ rule: 'inline-policy', history, targets: ['inline-policy:p4'] }));

    expect(guard).toEqual({ kind: 'proceed' });
  });

  it('escalates the same inline policy put back again and again', () => {
    const history = [1, 2, 3].map((hours) =>
      applied(`r${hours}`, hours, ['inline-policy:p1'], 'inline-policy'),
    );

    expect(
      guardAction(input({ rule: 'inline-policy', history, targets: ['inline-policy:p1'] })),
    ).toMatchObject({ kind: 'proceed', repeat: { count: 3, escalate: true } });
  });

  it('prefers the exemption over the grace period, and the grace period over the repeat count', () => {
    const restore: HistoryEntry = {
      kind: 'restore',
      createdAt: ago(1),
      graceUntil: ahead(1),
      restoredBy: 'jane',
    };
    const repeats = [applied('a', 1), applied('b', 2), applied('c', 3)];

    expect(guardAction(input({ history: [restore, ...repeats] })).kind).toBe('grace');
    expect(
      guardAction(input({ exemptTag: { key: 'k', value: 'true' }, history: [restore, ...repeats] })).kind,
    ).toBe('exempt');
  });
});

describe('actionStates', () => {
  it('names an inline policy by its document digest, and everything else as actionTargets does', () => {
    const inline = {
      kind: 'delete-inline-policy',
      userName: 'u',
      policyName: 'p',
      policyDocument: '{}',
    } as const;

    expect(actionStates(inline)).toEqual([
      'inline-policy:p:sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    ]);
    expect(actionStates({ ...inline, policyDocument: '{ }' })).not.toEqual(actionStates(inline));
    expect(actionStates({ kind: 'detach-policy', roleName: 'r', policyArn: 'arn:p' })).toEqual([
      'attached-policy:arn:p',
    ]);
  });
});

describe('actionTargets', () => {
  it('names each deactivated key, the detached policy and the deleted inline policy', () => {
    const keys = [
      { accessKeyId: 'AKIA1', createDate: 'x', ageDays: 100 },
      { accessKeyId: 'AKIA2', createDate: 'x', ageDays: 100 },
    ];
    expect(actionTargets({ kind: 'deactivate-keys', userName: 'u', keys })).toEqual([
      'access-key:AKIA1',
      'access-key:AKIA2',
    ]);
    expect(actionTargets({ kind: 'detach-policy', roleName: 'r', policyArn: 'arn:p' })).toEqual([
      'attached-policy:arn:p',
    ]);
    expect(
      actionTargets({ kind: 'delete-inline-policy', userName: 'u', policyName: 'p', policyDocument: '{}' }),
    ).toEqual(['inline-policy:p']);
  });
});

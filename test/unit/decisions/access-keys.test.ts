import { describe, expect, it } from 'vitest';
import { decideAccessKeys, type KeyFacts } from '../../../lib/decisions/access-keys.js';
import { DAY_MS, NOW } from '../../support/deps.js';

const MAX = 90;

function key(accessKeyId: string, ageMs: number, status = 'Active'): KeyFacts {
  return { accessKeyId, status, createDate: new Date(NOW.getTime() - ageMs) };
}

function decide(keys: KeyFacts[], createdKeyId?: string, maxKeyAgeDays = MAX) {
  return decideAccessKeys({ userName: 'alice', keys, createdKeyId, now: NOW, maxKeyAgeDays });
}

describe('decideAccessKeys', () => {
  it('deactivates an active key older than the maximum age, with its creation date and age', () => {
    const plan = decide([key('AKIAOLD', 200 * DAY_MS)]);

    expect(plan).toEqual({
      kind: 'act',
      action: {
        kind: 'deactivate-keys',
        userName: 'alice',
        keys: [
          {
            accessKeyId: 'AKIAOLD',
            createDate: new Date(NOW.getTime() - 200 * DAY_MS).toISOString(),
            ageDays: 200,
          },
        ],
      },
      reason: 'active access key older than 90 days: AKIAOLD (200 days)',
    });
  });

  it('leaves a key that is exactly the maximum age', () => {
    expect(decide([key('AKIAEDGE', MAX * DAY_MS)]).kind).toBe('none');
  });

  it('deactivates a key one millisecond older than the maximum age', () => {
    const plan = decide([key('AKIAEDGE', MAX * DAY_MS + 1)]);

    expect(plan).toMatchObject({ kind: 'act', action: { keys: [{ accessKeyId: 'AKIAEDGE', ageDays: 90 }] } });
  });

  it('leaves a young key', () => {
    expect(decide([key('AKIANEW', 5 * DAY_MS)])).toEqual({
      kind: 'none',
      reason: 'no active access key of alice is older than 90 days',
    });
  });

  it('leaves an inactive key however old it is', () => {
    expect(decide([key('AKIAOFF', 1000 * DAY_MS, 'Inactive')]).kind).toBe('none');
  });

  it('never touches the key the event created, even when its reported creation date is old', () => {
    const plan = decide([key('AKIACREATED', 400 * DAY_MS), key('AKIAOTHER', 400 * DAY_MS)], 'AKIACREATED');

    expect(plan).toMatchObject({ kind: 'act', action: { keys: [{ accessKeyId: 'AKIAOTHER' }] } });
  });

  it('does nothing when the only old key is the one just created', () => {
    expect(decide([key('AKIACREATED', 400 * DAY_MS)], 'AKIACREATED').kind).toBe('none');
  });

  it('does nothing for a user without keys', () => {
    expect(decide([]).kind).toBe('none');
  });

  it('judges each of many keys by its own creation date, keeping their order', () => {
    const keys = [
      key('AKIA1', 91 * DAY_MS),
      key('AKIA2', 30 * DAY_MS),
      key('AKIA3', 365 * DAY_MS, 'Inactive'),
      key('AKIA4', 1000 * DAY_MS),
      key('AKIA5', MAX * DAY_MS),
      key('AKIA6', 120 * DAY_MS),
    ];

    const plan = decide(keys, 'AKIA2');

    expect(plan).toMatchObject({ kind: 'act' });
    if (plan.kind !== 'act' || plan.action.kind !== 'deactivate-keys') throw new Error('expected act');
    expect(plan.action.keys.map((stale) => [stale.accessKeyId, stale.ageDays])).toEqual([
      ['AKIA1', 91],
      ['AKIA4', 1000],
      ['AKIA6', 120],
    ]);
    expect(plan.reason).toBe(
      'active access keys older than 90 days: AKIA1 (91 days), AKIA4 (1000 days), AKIA6 (120 days)',
    );
  });

  it('applies the configured maximum age', () => {
    expect(decide([key('AKIA', DAY_MS + 1)], undefined, 1).kind).toBe('act');
    expect(decide([key('AKIA', DAY_MS)], undefined, 1).kind).toBe('none');
  });

  it('rounds the age down to whole days', () => {
    const plan = decide([key('AKIA', 100 * DAY_MS + DAY_MS - 1)]);

    expect(plan).toMatchObject({ action: { keys: [{ ageDays: 100 }] } });
  });
});

describe('decideAccessKeys: a key made for someone else', () => {
  const foreign = {
    accessKeyId: 'AKIAFOREIGN',
    callerArn: 'arn:aws:iam::1:user/mallory',
    verb: 'created',
  } as const;
  const decideForeign = (keys: KeyFacts[], foreignKeyAction?: 'alert' | 'deactivate') =>
    decideAccessKeys({
      userName: 'alice',
      keys,
      createdKeyId: 'AKIAFOREIGN',
      now: NOW,
      maxKeyAgeDays: MAX,
      foreign,
      ...(foreignKeyAction === undefined ? {} : { foreignKeyAction }),
    });

  it('alerts, naming the caller and the owner, when there is nothing else to do', () => {
    expect(decideForeign([key('AKIAFOREIGN', 0)])).toEqual({
      kind: 'alert',
      summary: 'access key of user alice created by another principal',
      reason:
        'arn:aws:iam::1:user/mallory created access key AKIAFOREIGN of user alice: a key made for someone else; check with its owner; ForeignKeyAction=deactivate makes iam-warden deactivate such keys',
    });
  });

  it('deactivates the foreign key when told to, with its age', () => {
    expect(decideForeign([key('AKIAFOREIGN', 0)], 'deactivate')).toEqual({
      kind: 'act',
      action: {
        kind: 'deactivate-keys',
        userName: 'alice',
        keys: [{ accessKeyId: 'AKIAFOREIGN', createDate: NOW.toISOString(), ageDays: 0 }],
      },
      reason:
        'arn:aws:iam::1:user/mallory created access key AKIAFOREIGN of user alice: a key made for someone else',
    });
  });

  it('deactivates old keys and says who made the new one, leaving it active in alert mode', () => {
    const plan = decideForeign([key('AKIAFOREIGN', 0), key('AKIAOLD', 200 * DAY_MS)]);

    expect(plan).toMatchObject({
      kind: 'act',
      action: { keys: [{ accessKeyId: 'AKIAOLD' }] },
      reason:
        'active access key older than 90 days: AKIAOLD (200 days); arn:aws:iam::1:user/mallory created access key AKIAFOREIGN of user alice: a key made for someone else',
    });
  });

  it('deactivates both the old keys and the foreign one, each once', () => {
    const plan = decideForeign([key('AKIAOLD', 200 * DAY_MS), key('AKIAFOREIGN', 0)], 'deactivate');

    expect(plan).toMatchObject({
      action: { keys: [{ accessKeyId: 'AKIAOLD' }, { accessKeyId: 'AKIAFOREIGN' }] },
    });
  });

  it('deactivates a reactivated foreign key that is also old only once', () => {
    const plan = decideAccessKeys({
      userName: 'alice',
      keys: [key('AKIAFOREIGN', 200 * DAY_MS)],
      now: NOW,
      maxKeyAgeDays: MAX,
      foreign: { ...foreign, verb: 'reactivated' },
      foreignKeyAction: 'deactivate',
    });

    expect(plan).toMatchObject({ kind: 'act', action: { keys: [{ accessKeyId: 'AKIAFOREIGN' }] } });
  });

  it('still alerts when the foreign key is no longer active, saying so', () => {
    const plan = decideForeign([key('AKIAFOREIGN', 0, 'Inactive')], 'deactivate');

    expect(plan).toMatchObject({ kind: 'alert', reason: expect.stringMatching(/it is no longer active$/) });
  });

  it('alerts without a key ID when the record has none', () => {
    const plan = decideAccessKeys({
      userName: 'alice',
      keys: [],
      now: NOW,
      maxKeyAgeDays: MAX,
      foreign: { ...foreign, accessKeyId: undefined },
      foreignKeyAction: 'deactivate',
    });

    expect(plan).toMatchObject({
      kind: 'alert',
      reason: expect.stringContaining('access key (ID not recorded)'),
    });
  });
});

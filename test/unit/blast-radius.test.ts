import { describe, expect, it } from 'vitest';
import { formatCapSummary, StandingBudget } from '../../lib/blast-radius.js';
import type { Decision } from '../../lib/plan.js';

describe('StandingBudget', () => {
  it('grants exactly the limit, then refuses', async () => {
    const budget = new StandingBudget(2, 0);

    expect(await budget.claim()).toBe(true);
    budget.settle(true);
    expect(await budget.claim()).toBe(true);
    budget.settle(true);
    expect(await budget.claim()).toBe(false);
    expect(budget.made).toBe(2);
  });

  it('counts what earlier attempts of the run made', async () => {
    const budget = new StandingBudget(25, 25);

    expect(await budget.claim()).toBe(false);
  });

  it('gives the place of a change that was not made to the next one', async () => {
    const budget = new StandingBudget(1, 0);

    expect(await budget.claim()).toBe(true);
    budget.settle(false);
    expect(await budget.claim()).toBe(true);
    budget.settle(true);
    expect(await budget.claim()).toBe(false);
  });

  it('makes a claim wait while the last place is in flight, and grants it if that change is not made', async () => {
    const budget = new StandingBudget(1, 0);
    expect(await budget.claim()).toBe(true);

    const waiting = budget.claim();
    let answered = false;
    void waiting.then(() => {
      answered = true;
    });
    await Promise.resolve();
    expect(answered).toBe(false);
    budget.settle(false);

    expect(await waiting).toBe(true);
  });

  it('refuses a waiting claim once the change in flight is made', async () => {
    const budget = new StandingBudget(1, 0);
    expect(await budget.claim()).toBe(true);

    const waiting = budget.claim();
    budget.settle(true);

    expect(await waiting).toBe(false);
  });

  it('never refuses a confirmed run', async () => {
    const budget = new StandingBudget(undefined, 1_000);

    for (let index = 0; index < 100; index++) expect(await budget.claim()).toBe(true);
  });
});

function keys(userName: string, outcome: 'remediated' | 'capped', id?: string): Decision {
  return {
    rule: 'access-keys',
    mode: 'enforce',
    outcome,
    reason: 'old',
    eventId: `sweep:run-1:access-keys:${userName}`,
    eventName: 'ScheduledSweep',
    resource: { type: 'user', name: userName },
    action: {
      kind: 'deactivate-keys',
      userName,
      keys: [
        {
          accessKeyId: `AKIA${userName.toUpperCase()}`,
          createDate: '2025-01-01T00:00:00.000Z',
          ageDays: 151,
        },
      ],
    },
    ...(id === undefined ? {} : { remediationId: id }),
  };
}

describe('formatCapSummary', () => {
  const summary = {
    account: '123456789012',
    runId: 'run-1',
    startedAt: new Date('2025-06-01T12:00:00.000Z'),
    limit: 2,
    madeBefore: 0,
    made: [
      keys('alice', 'remediated', 'rem-aaaaaaaaaaaaaaaaaaaa'),
      keys('bob', 'remediated', 'rem-bbbbbbbbbbbbbbbbbbbb'),
    ],
    capped: [keys('carol', 'capped')],
    freshUndone: 1,
  };

  it('is CRITICAL, under 100 characters, filtered as rule sweep and outcome capped', () => {
    const message = formatCapSummary(summary);

    expect(message.subject).toBe(
      'iam-warden: CRITICAL sweep capped at 2 changes: 1 of 3 wait for a person (123456789012)',
    );
    expect(message.subject.length).toBeLessThan(100);
    expect(message.attributes).toEqual({ rule: 'sweep', outcome: 'capped', account: '123456789012' });
  });

  it('lists every standing change found: those waiting with what would be done, those made with their IDs', () => {
    const { body } = formatCapSummary(summary);

    expect(body).toContain('found 3 standing changes to make');
    expect(body).toContain('It made 2 and left 1 unmade until a person confirms');
    expect(body).toContain(
      'Waiting for a person (1):\n  deactivate 1 old access key of user carol (AKIACAROL, 151 days old)\n',
    );
    expect(body).toContain(
      'Made by this run (2), each also notified on its own:\n  deactivated 1 old access key of user alice (AKIAALICE, 151 days old): rem-aaaaaaaaaaaaaaaaaaaa\n  deactivated 1 old access key of user bob (AKIABOB, 151 days old): rem-bbbbbbbbbbbbbbbbbbbb\n',
    );
    expect(body).toContain('npx iam-warden sweep --confirm');
    expect(body).toContain('raise MaxActionsPerRun');
    expect(body).toContain('this run undid 1');
    expect(body).toContain('Sweep run:   run-1, as of 2025-06-01T12:00:00.000Z');
  });

  it('counts what an earlier attempt of the run made', () => {
    const { body, subject } = formatCapSummary({ ...summary, madeBefore: 5 });

    expect(subject).toContain('1 of 8 wait');
    expect(body).toContain('It made 7 (5 of them by an earlier attempt of this run, not listed) and left 1');
  });

  it('fits SNS whatever the backlog', () => {
    const capped = Array.from({ length: 5_000 }, (_, index) => keys(`user-${index}`, 'capped'));

    const { body } = formatCapSummary({ ...summary, capped });

    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(200 * 1024);
    expect(body).toContain('cut to fit the message size limit');
  });
});

import { describe, expect, it } from 'vitest';
import { changeAge, decideCap, FRESH_HOURS } from '../../../lib/decisions/blast-radius.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const HOUR_MS = 3_600_000;
const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR_MS);

describe('changeAge', () => {
  it('counts an old access key as standing, whenever its user was created', () => {
    expect(changeAge({ rule: 'access-keys', entityCreatedAt: ago(1) }, NOW)).toBe('standing');
    expect(changeAge({ rule: 'access-keys', entityCreatedAt: undefined }, NOW)).toBe('standing');
  });

  it.each(['admin-policy', 'inline-policy'] as const)(
    'counts a %s finding on an entity created in the last day as fresh: the grant cannot be older',
    (rule) => {
      expect(changeAge({ rule, entityCreatedAt: ago(0) }, NOW)).toBe('fresh');
      expect(changeAge({ rule, entityCreatedAt: ago(FRESH_HOURS - 0.001) }, NOW)).toBe('fresh');
    },
  );

  it.each(['admin-policy', 'inline-policy'] as const)(
    'counts a %s finding on an entity a day old or older as standing: the sweep cannot date the grant',
    (rule) => {
      expect(changeAge({ rule, entityCreatedAt: ago(FRESH_HOURS) }, NOW)).toBe('standing');
      expect(changeAge({ rule, entityCreatedAt: ago(24 * 400) }, NOW)).toBe('standing');
    },
  );

  it('counts a finding on an entity of unknown creation as standing', () => {
    expect(changeAge({ rule: 'admin-policy', entityCreatedAt: undefined }, NOW)).toBe('standing');
    expect(changeAge({ rule: 'inline-policy', entityCreatedAt: new Date('not a date') }, NOW)).toBe(
      'standing',
    );
  });

  it('counts an entity created after the time judged as of (a sweep run "as of" the past) as fresh', () => {
    expect(changeAge({ rule: 'admin-policy', entityCreatedAt: ago(-5) }, NOW)).toBe('fresh');
  });
});

describe('decideCap', () => {
  it('acts while made and in-flight changes stay under the limit', () => {
    expect(decideCap({ limit: 25, made: 0, inFlight: 0 })).toBe('act');
    expect(decideCap({ limit: 25, made: 20, inFlight: 4 })).toBe('act');
  });

  it('caps once the limit is made and nothing is in flight', () => {
    expect(decideCap({ limit: 25, made: 25, inFlight: 0 })).toBe('capped');
    expect(decideCap({ limit: 1, made: 3, inFlight: 0 })).toBe('capped');
  });

  it('waits when the limit is reached only if every change in flight is made', () => {
    expect(decideCap({ limit: 25, made: 21, inFlight: 4 })).toBe('wait');
    expect(decideCap({ limit: 1, made: 0, inFlight: 1 })).toBe('wait');
  });

  it('never caps a run a person confirmed', () => {
    expect(decideCap({ limit: undefined, made: 10_000, inFlight: 0 })).toBe('act');
  });
});

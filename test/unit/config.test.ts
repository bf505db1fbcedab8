import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../lib/config.js';
import { ConfigError, IamWardenError } from '../../lib/errors.js';
import { OWN_ROLE_ARN, TEST_ENV } from '../support/deps.js';

const MINIMAL = {
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:iam-warden',
  AUDIT_TABLE: 'iam-warden-audit',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('applies the documented defaults to a minimal environment', () => {
    const config = loadConfig(MINIMAL);

    expect(config).toEqual({
      topicArn: MINIMAL.TOPIC_ARN,
      partition: 'aws',
      auditTable: MINIMAL.AUDIT_TABLE,
      idempotencyTable: undefined,
      eventBusName: 'default',
      maxKeyAgeDays: 90,
      adminRolePatterns: [],
      // Safe by default: nothing is changed in IAM until enforce is chosen.
      modes: { 'access-keys': 'notify', 'admin-policy': 'notify', 'inline-policy': 'notify' },
      ownRoleArns: [],
      exemptTagKey: undefined,
      exemptTagValue: 'true',
      foreignKeyAction: 'alert',
      notFoundRetrySeconds: 60,
      restoreGraceHours: 24,
      repeatLimit: 3,
      repeatWindowHours: 24,
      repeatOffenderAction: 'alert',
      quarantinePolicyArn: undefined,
      iamCallsPerSecond: 5,
      earlyWarningDays: 0,
      maxActionsPerRun: 25,
    } satisfies Config);
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      ...MINIMAL,
      IDEMPOTENCY_TABLE: 'iam-warden-idempotency',
      EVENT_BUS_NAME: 'security',
      MAX_KEY_AGE_DAYS: '30',
      ADMIN_ROLE_PATTERNS: 'ops-*,arn:aws:iam::123456789012:role/admins/*',
      MODE_ACCESS_KEYS: 'off',
      MODE_ADMIN_POLICY: 'notify',
      MODE_INLINE_POLICY: 'enforce',
      OWN_ROLE_ARNS: OWN_ROLE_ARN,
      EXEMPT_TAG_KEY: 'iam-warden:exempt',
      NOT_FOUND_RETRY_SECONDS: '0',
      RESTORE_GRACE_HOURS: '48',
      REPEAT_LIMIT: '5',
      REPEAT_WINDOW_HOURS: '12',
      IAM_CALLS_PER_SECOND: '2.5',
      EARLY_WARNING_DAYS: '7',
      MAX_ACTIONS_PER_RUN: '40',
    });

    expect(config).toMatchObject({
      idempotencyTable: 'iam-warden-idempotency',
      eventBusName: 'security',
      maxKeyAgeDays: 30,
      modes: { 'access-keys': 'off', 'admin-policy': 'notify', 'inline-policy': 'enforce' },
      ownRoleArns: [OWN_ROLE_ARN],
      exemptTagKey: 'iam-warden:exempt',
      notFoundRetrySeconds: 0,
      restoreGraceHours: 48,
      repeatLimit: 5,
      repeatWindowHours: 12,
      iamCallsPerSecond: 2.5,
      earlyWarningDays: 7,
      maxActionsPerRun: 40,
    });
  });

  it('rejects an early warning that is not earlier than the key age limit', () => {
    const error = configError({ ...MINIMAL, MAX_KEY_AGE_DAYS: '30', EARLY_WARNING_DAYS: '30' });

    expect(error.message).toContain('EARLY_WARNING_DAYS');
    expect(
      loadConfig({ ...MINIMAL, MAX_KEY_AGE_DAYS: '30', EARLY_WARNING_DAYS: '29' }).earlyWarningDays,
    ).toBe(29);
  });

  it('holds only the configured admin role patterns: built-in admin roles are judged by their trust policy', () => {
    const config = loadConfig({ ...MINIMAL, ADMIN_ROLE_PATTERNS: 'ops-*,arn:aws:iam::123456789012:role/x' });

    expect(config.adminRolePatterns).toEqual(['ops-*', 'arn:aws:iam::123456789012:role/x']);
  });

  it('trims list items and drops empty ones', () => {
    const config = loadConfig({
      ...MINIMAL,
      ADMIN_ROLE_PATTERNS: ' ops-* , ,admin ',
      OWN_ROLE_ARNS: ` ${OWN_ROLE_ARN} ,, `,
    });

    expect(config.adminRolePatterns).toEqual(['ops-*', 'admin']);
    expect(config.ownRoleArns).toEqual([OWN_ROLE_ARN]);
  });

  it('treats an empty variable as unset, as SAM passes empty parameters', () => {
    const config = loadConfig({ ...MINIMAL, MAX_KEY_AGE_DAYS: '', EVENT_BUS_NAME: '', MODE_ACCESS_KEYS: '' });

    expect(config).toMatchObject({ maxKeyAgeDays: 90, eventBusName: 'default' });
    expect(config.modes['access-keys']).toBe('notify');
  });

  it.each([
    ['aws', 'arn:aws:sns:us-east-1:123456789012:iam-warden'],
    ['aws-cn', 'arn:aws-cn:sns:cn-north-1:123456789012:iam-warden'],
    ['aws-us-gov', 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:iam-warden'],
    ['aws-iso-b', 'arn:aws-iso-b:sns:us-isob-east-1:123456789012:iam-warden'],
  ])("takes the deployment's partition %s from its topic", (partition, topicArn) => {
    expect(loadConfig({ ...MINIMAL, TOPIC_ARN: topicArn }).partition).toBe(partition);
  });

  it('accepts own role ARNs in the China and GovCloud partitions', () => {
    const arns = ['arn:aws-cn:iam::123456789012:role/a', 'arn:aws-us-gov:iam::123456789012:role/path/b'];

    expect(loadConfig({ ...MINIMAL, OWN_ROLE_ARNS: arns.join(',') }).ownRoleArns).toEqual(arns);
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ ...MINIMAL, PATH: '/usr/bin', POWERTOOLS_LOG_LEVEL: 'INFO' })).not.toThrow();
  });

  it.each<[string, string | undefined]>([
    ['TOPIC_ARN', undefined],
    ['TOPIC_ARN', 'iam-warden'],
    ['TOPIC_ARN', 'arn:aws:sqs:us-east-1:123456789012:iam-warden'],
    ['AUDIT_TABLE', undefined],
    ['AUDIT_TABLE', 'ab'],
    ['IDEMPOTENCY_TABLE', 'ab'],
    ['MAX_KEY_AGE_DAYS', 'ninety'],
    ['MAX_KEY_AGE_DAYS', '0'],
    ['MAX_KEY_AGE_DAYS', '-5'],
    ['MAX_KEY_AGE_DAYS', '1.5'],
    ['MAX_KEY_AGE_DAYS', '3651'],
    ['MODE_ACCESS_KEYS', 'bogus'],
    ['MODE_ACCESS_KEYS', 'Enforce'],
    ['MODE_ADMIN_POLICY', 'on'],
    ['MODE_INLINE_POLICY', 'dry-run'],
    ['OWN_ROLE_ARNS', 'iam-warden-AccessKeysRole'],
    ['OWN_ROLE_ARNS', 'arn:aws:iam::123456789012:user/iam-warden'],
    ['OWN_ROLE_ARNS', 'arn:aws:iam::1234:role/iam-warden'],
    ['OWN_ROLE_ARNS', `${OWN_ROLE_ARN},arn:aws:sts::123456789012:assumed-role/x/y`],
    ['EXEMPT_TAG_KEY', 'k'.repeat(129)],
    ['NOT_FOUND_RETRY_SECONDS', 'soon'],
    ['NOT_FOUND_RETRY_SECONDS', '-1'],
    ['NOT_FOUND_RETRY_SECONDS', '301'],
    ['RESTORE_GRACE_HOURS', '-1'],
    ['RESTORE_GRACE_HOURS', 'a day'],
    ['REPEAT_LIMIT', '0'],
    ['REPEAT_LIMIT', '2.5'],
    ['REPEAT_WINDOW_HOURS', '0'],
    ['IAM_CALLS_PER_SECOND', '0'],
    ['IAM_CALLS_PER_SECOND', '101'],
    ['IAM_CALLS_PER_SECOND', 'fast'],
    ['EARLY_WARNING_DAYS', '-1'],
    ['EARLY_WARNING_DAYS', '1.5'],
  ])('rejects %s=%j with a ConfigError naming the variable', (name, value) => {
    const error = configError({ ...MINIMAL, [name]: value });

    expect(error).toBeInstanceOf(IamWardenError);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(name);
  });

  it('names every bad variable at once', () => {
    const error = configError({ TOPIC_ARN: 'nope', MAX_KEY_AGE_DAYS: '0', MODE_INLINE_POLICY: 'loud' });

    for (const name of ['TOPIC_ARN', 'AUDIT_TABLE', 'MAX_KEY_AGE_DAYS', 'MODE_INLINE_POLICY']) {
      expect(error.message).toContain(name);
    }
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ ...MINIMAL, OWN_ROLE_ARNS: OWN_ROLE_ARN });

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.modes)).toBe(true);
    expect(Object.isFrozen(config.adminRolePatterns)).toBe(true);
    expect(Object.isFrozen(config.ownRoleArns)).toBe(true);
    expect(() => {
      (config as { maxKeyAgeDays: number }).maxKeyAgeDays = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.modes as Record<string, string>)['access-keys'] = 'off';
    }).toThrow(TypeError);
  });

  it("accepts the unit tests' environment", () => {
    expect(loadConfig(TEST_ENV).ownRoleArns).toContain(OWN_ROLE_ARN);
  });

  it('accepts the sample environment of every function in sam-env.json, in notify mode', () => {
    const env = JSON.parse(readFileSync(new URL('../../sam-env.json', import.meta.url), 'utf8')) as Record<
      string,
      Record<string, string>
    >;

    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const variables of Object.values(env)) {
      const config = loadConfig(variables);
      expect(Object.values(config.modes)).toEqual(['notify', 'notify', 'notify']);
      expect(config.ownRoleArns).toContain(OWN_ROLE_ARN);
    }
  });
});

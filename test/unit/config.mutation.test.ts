import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { ConfigError } from '../../lib/errors.js';

// Edges of loadConfig that mutation testing (docs/mutation-testing.md) found untested: the partitions the SNS
// topic ARN may be in, the bounds of each number, and the exact message a misconfigured deployment logs.

const MINIMAL = {
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:iam-warden',
  AUDIT_TABLE: 'iam-warden-audit',
};

function message(env: Record<string, string>): string {
  try {
    loadConfig({ ...MINIMAL, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig: the SNS topic ARN', () => {
  it('accepts a topic in the China and GovCloud partitions', () => {
    for (const arn of [
      'arn:aws-cn:sns:cn-north-1:123456789012:iam-warden',
      'arn:aws-us-gov:sns:us-gov-west-1:123456789012:iam-warden',
    ]) {
      expect(loadConfig({ ...MINIMAL, TOPIC_ARN: arn }).topicArn).toBe(arn);
    }
  });

  it('rejects text around an ARN and other services', () => {
    for (const arn of [
      ' arn:aws:sns:us-east-1:123456789012:x',
      'xarn:aws:sns:us-east-1:123456789012:x',
      'arn:aws cn:sns:cn-north-1:123456789012:x',
    ]) {
      expect(message({ TOPIC_ARN: arn }), arn).toBe(
        'invalid iam-warden configuration: TOPIC_ARN: must be an SNS topic ARN',
      );
    }
  });
});

describe('loadConfig: bounds, inclusive, and their messages', () => {
  it.each([
    ['MAX_KEY_AGE_DAYS', '1', '3650', 'maxKeyAgeDays'],
    ['NOT_FOUND_RETRY_SECONDS', '0', '300', 'notFoundRetrySeconds'],
    ['RESTORE_GRACE_HOURS', '0', '720', 'restoreGraceHours'],
    ['REPEAT_LIMIT', '1', '1000', 'repeatLimit'],
    ['REPEAT_WINDOW_HOURS', '1', '720', 'repeatWindowHours'],
    ['IAM_CALLS_PER_SECOND', '0.1', '100', 'iamCallsPerSecond'],
    ['MAX_ACTIONS_PER_RUN', '1', '100000', 'maxActionsPerRun'],
  ])('%s accepts %s and %s', (name, min, max, key) => {
    expect(loadConfig({ ...MINIMAL, [name]: min })).toHaveProperty(key, Number(min));
    expect(loadConfig({ ...MINIMAL, [name]: max })).toHaveProperty(key, Number(max));
  });

  it('EARLY_WARNING_DAYS accepts 0 and MAX_KEY_AGE_DAYS - 1 at the largest key age', () => {
    expect(loadConfig({ ...MINIMAL, EARLY_WARNING_DAYS: '0' }).earlyWarningDays).toBe(0);
    expect(
      loadConfig({ ...MINIMAL, MAX_KEY_AGE_DAYS: '3650', EARLY_WARNING_DAYS: '3649' }).earlyWarningDays,
    ).toBe(3649);
  });

  it.each([
    ['MAX_KEY_AGE_DAYS', '0', 'must be at least 1 days'],
    ['MAX_KEY_AGE_DAYS', '3651', 'must be at most 3650 days'],
    ['MAX_KEY_AGE_DAYS', '1.5', 'must be a whole number days'],
    ['NOT_FOUND_RETRY_SECONDS', '301', 'must be at most 300 seconds'],
    ['RESTORE_GRACE_HOURS', '721', 'must be at most 720 hours'],
    ['REPEAT_LIMIT', '0', 'must be at least 1'],
    ['REPEAT_LIMIT', '2.5', 'must be a whole number'],
    ['REPEAT_WINDOW_HOURS', '0', 'must be at least 1 hours'],
    ['IAM_CALLS_PER_SECOND', '0.05', 'must be at least 0.1 calls per second'],
    ['EARLY_WARNING_DAYS', '3650', 'must be at most 3649 days'],
    ['MAX_ACTIONS_PER_RUN', '0', 'must be at least 1 changes'],
    ['MAX_ACTIONS_PER_RUN', '100001', 'must be at most 100000 changes'],
    ['MAX_ACTIONS_PER_RUN', '2.5', 'must be a whole number changes'],
    ['MODE_ACCESS_KEYS', 'on', 'must be one of off, notify, enforce'],
    ['AUDIT_TABLE', 'ab', 'must name a DynamoDB table'],
    ['IDEMPOTENCY_TABLE', 'ab', 'must name a DynamoDB table'],
    ['OWN_ROLE_ARNS', 'arn:aws:iam::123456789012:user/x', 'must be role ARNs'],
    ['EXEMPT_TAG_KEY', 'k'.repeat(129), 'must be at most 128 characters (an IAM tag key)'],
  ])('%s=%s: %s', (name, value, expected) => {
    const path = name === 'OWN_ROLE_ARNS' ? `${name}.0` : name;
    expect(message({ [name]: value })).toBe(`invalid iam-warden configuration: ${path}: ${expected}`);
  });

  it('accepts a 128-character tag key', () => {
    expect(loadConfig({ ...MINIMAL, EXEMPT_TAG_KEY: 'k'.repeat(128) }).exemptTagKey).toHaveLength(128);
  });

  it('separates several problems with semicolons', () => {
    expect(message({ AUDIT_TABLE: 'ab', REPEAT_LIMIT: '0' })).toBe(
      'invalid iam-warden configuration: AUDIT_TABLE: must name a DynamoDB table; REPEAT_LIMIT: must be at least 1',
    );
  });

  it('says what EARLY_WARNING_DAYS must be less than', () => {
    expect(message({ MAX_KEY_AGE_DAYS: '30', EARLY_WARNING_DAYS: '31' })).toBe(
      'invalid iam-warden configuration: EARLY_WARNING_DAYS: must be less than MAX_KEY_AGE_DAYS (30)',
    );
  });
});

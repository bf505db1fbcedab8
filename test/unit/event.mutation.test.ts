import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { accessKeyId, iamName, parseIamEvent, readParameters } from '../../lib/event.js';
import { requestOf, sampleEvent } from '../support/deps.js';

// Edges of lib/event.ts that mutation testing (docs/mutation-testing.md) found untested: the IAM name and
// access key ID patterns at their lengths and characters, and the field paths readParameters reports.

describe('iamName', () => {
  const valid = (max: 64 | 128, name: string) => iamName(max).safeParse(name).success;

  it('accepts 1 to max letters, digits and +=,.@_-', () => {
    expect(valid(64, 'a')).toBe(true);
    expect(valid(64, 'x'.repeat(64))).toBe(true);
    expect(valid(128, 'x'.repeat(128))).toBe(true);
    expect(valid(64, 'Az09+=,.@_-')).toBe(true);
  });

  it('rejects an empty name, a name over max, and any other character anywhere', () => {
    expect(valid(64, '')).toBe(false);
    expect(valid(64, 'x'.repeat(65))).toBe(false);
    expect(valid(128, 'x'.repeat(129))).toBe(false);
    for (const name of ['a/b', 'a b', ' ab', 'ab ', 'a*', 'é', 'a\nb'])
      expect(valid(128, name), name).toBe(false);
  });

  it('says what an IAM name is', () => {
    const result = iamName(64).safeParse('a/b');
    expect(result.success ? undefined : result.error.issues[0]?.message).toBe(
      'must be 1-64 letters, digits or +=,.@_- (an IAM name)',
    );
  });
});

describe('accessKeyId', () => {
  const valid = (id: string) => accessKeyId.safeParse(id).success;

  it('accepts 1 to 128 letters, digits or underscores', () => {
    expect([valid('A'), valid('AKIA_0123456789'), valid('A'.repeat(128))]).toEqual([true, true, true]);
  });

  it('rejects anything else, with the reason', () => {
    for (const id of ['', 'A'.repeat(129), 'AKIA-1', ' AKIA', 'AKIA ', 'AKIA/'])
      expect(valid(id), id).toBe(false);
    const result = accessKeyId.safeParse('AKIA-1');
    expect(result.success ? undefined : result.error.issues[0]?.message).toBe(
      'must be 1-128 letters or digits (an access key ID)',
    );
  });
});

describe('readParameters: the paths it names', () => {
  it('names responseElements fields under detail.responseElements', () => {
    const change = parseIamEvent(sampleEvent('create-access-key'));
    const schema = z.object({ accessKey: z.object({ status: z.literal('Inactive') }) });

    expect(() => readParameters(change, schema, 'responseElements')).toThrow(
      /lacks what it needs: detail\.responseElements\.accessKey\.status: /,
    );
  });

  it('separates several problems with semicolons', () => {
    const event = sampleEvent('put-user-policy');
    delete requestOf(event).policyName;
    delete requestOf(event).userName;
    const change = parseIamEvent(event);
    const schema = z.object({ userName: z.string(), policyName: z.string() });

    expect(() => readParameters(change, schema)).toThrow(
      /: detail\.requestParameters\.userName: [^;]+; detail\.requestParameters\.policyName: /,
    );
  });
});

describe('parseIamEvent: the message of a rejected event', () => {
  it('names each field after "not an IAM CloudTrail event", separated by semicolons', () => {
    const event = sampleEvent('create-access-key');
    event.source = 'aws.sts';
    event.detail.eventSource = 'sts.amazonaws.com';

    expect(() => parseIamEvent(event)).toThrow(
      /^not an IAM CloudTrail event: source: [^;]+; detail\.eventSource: [^;]+$/,
    );
  });

  it('names the event itself when it is not an object', () => {
    expect(() => parseIamEvent('x')).toThrow(/^not an IAM CloudTrail event: \(event\): /);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidEventError } from '../../lib/errors.js';
import { parseIamEvent, readParameters } from '../../lib/event.js';
import { wrap } from '../../scripts/make-events.js';
import { requestOf, sampleEvent } from '../support/deps.js';

const FIXTURES = new URL('../fixtures/cloudtrail/', import.meta.url);

type Json = Record<string, unknown>;

const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, json: JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as Json }));
const records = fixtures.filter(({ json }) => !('detail-type' in json));
const envelopes = fixtures.filter(({ json }) => 'detail-type' in json);

function invalid(input: unknown): InvalidEventError {
  try {
    parseIamEvent(input);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('parseIamEvent accepted the event');
}

describe('parseIamEvent', () => {
  it('has fixtures of both kinds to read', () => {
    expect(records.length).toBeGreaterThanOrEqual(20);
    expect(envelopes.length).toBeGreaterThanOrEqual(2);
  });

  it.each(records)(
    'accepts the real record $file once wrapped as EventBridge delivers it',
    ({ file, json }) => {
      const record = structuredClone(json);
      const change = parseIamEvent(wrap(record, file));

      expect(change.eventName).toBe(record.eventName);
      expect(change.eventTime).toBe(record.eventTime);
      expect(change.errorCode).toBe(record.errorCode);
      expect(change.detail).toEqual(record);
      expect(change.eventId).toBe(record.eventID ?? wrap(record, file).id);
      expect(change.actor.arn).toBe((record.userIdentity as Json).arn);
    },
  );

  it.each(envelopes)('rejects the non-IAM envelope $file and says why', ({ json }) => {
    const error = invalid(structuredClone(json));

    expect(error.name).toBe('InvalidEventError');
    expect(error.message).toMatch(/^not an IAM CloudTrail event: /);
    expect(error.issues.some((issue) => issue.startsWith('source:'))).toBe(true);
    expect(error.issues.some((issue) => issue.startsWith('detail.eventSource:'))).toBe(true);
  });

  it('takes the CloudTrail eventID as the event ID', () => {
    expect(parseIamEvent(sampleEvent('create-access-key')).eventId).toBe('12345');
  });

  it('falls back to the EventBridge id when an old record has no eventID', () => {
    const event = sampleEvent('create-user');
    expect(event.detail.eventID).toBeUndefined();

    expect(parseIamEvent(event).eventId).toBe(event.id);
  });

  it("prefers the record's recipientAccountId to the envelope's account", () => {
    const event = sampleEvent('create-access-key');
    event.account = '210987654321';

    expect(parseIamEvent(event).account).toBe('123456789');
  });

  it("uses the envelope's account when the record names none", () => {
    const event = sampleEvent('create-role');
    event.account = '210987654321';

    expect(parseIamEvent(event).account).toBe('210987654321');
  });

  it("takes the record's awsRegion, and the envelope's region without one", () => {
    const event = sampleEvent('attach-role-policy-admin');
    expect(parseIamEvent(event).region).toBe('us-west-2');

    delete event.detail.awsRegion;
    expect(parseIamEvent(event).region).toBe('us-east-1');
  });

  it('describes an assumed-role caller by its session ARN and the role it assumed', () => {
    expect(parseIamEvent(sampleEvent('put-user-policy')).actor).toEqual({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::123456789012:assumed-role/a-role/user.name',
      issuerArn: 'arn:aws:iam::123456789012:role/a-role',
      sourceIp: '136.32.237.81',
      userAgent: 'AWS Internal',
    });
  });

  it('describes the root user with no issuer', () => {
    expect(parseIamEvent(sampleEvent('create-access-key-root-console')).actor).toEqual({
      type: 'Root',
      arn: 'arn:aws:iam::493859302102:root',
      issuerArn: undefined,
      sourceIp: '92.55.146.245',
      userAgent: 'console.amazonaws.com',
    });
  });

  it('names a caller without an ARN by invokedBy, then principalId, then as unknown', () => {
    const event = sampleEvent('create-access-key-root-own-key');
    delete event.detail.userIdentity.arn;
    expect(parseIamEvent(event).actor.arn).toBe('signin.amazonaws.com');

    delete event.detail.userIdentity.invokedBy;
    expect(parseIamEvent(event).actor.arn).toBe('123456789012');

    event.detail.userIdentity = {};
    expect(parseIamEvent(event).actor).toMatchObject({ arn: 'unknown', type: 'Unknown' });
  });

  it('tolerates null or absent requestParameters and responseElements', () => {
    const event = sampleEvent('create-access-key-root-own-key');
    expect(event.detail.requestParameters).toBeNull();
    expect(() => parseIamEvent(event)).not.toThrow();

    delete event.detail.requestParameters;
    delete event.detail.responseElements;
    expect(() => parseIamEvent(event)).not.toThrow();
  });

  it('keeps fields it does not know', () => {
    const change = parseIamEvent(sampleEvent('put-user-policy'));

    expect(change.detail.sessionCredentialFromConsole).toBe('true');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'CreateAccessKey'],
    ['an array', [sampleEvent('create-access-key')]],
    ['an empty object', {}],
  ])('rejects %s', (_what, input) => {
    expect(invalid(input).issues.length).toBeGreaterThan(0);
  });

  it.each<[string, (event: ReturnType<typeof sampleEvent>) => void, string]>([
    [
      'another detail-type',
      (event) => (event['detail-type'] = 'AWS Console Sign In via CloudTrail'),
      'detail-type',
    ],
    ['another source', (event) => (event.source = 'aws.sts'), 'source'],
    ['no id', (event) => (event.id = ''), 'id'],
    ['no detail', (event) => delete (event as Partial<typeof event>).detail, 'detail'],
    [
      'another eventSource',
      (event) => (event.detail.eventSource = 'sts.amazonaws.com'),
      'detail.eventSource',
    ],
    ['no eventName', (event) => (event.detail.eventName = ''), 'detail.eventName'],
    [
      'no userIdentity',
      (event) => delete (event.detail as Partial<typeof event.detail>).userIdentity,
      'detail.userIdentity',
    ],
    [
      'requestParameters as a string',
      (event) => (event.detail.requestParameters = 'x' as never),
      'detail.requestParameters',
    ],
    ['errorCode as a number', (event) => (event.detail.errorCode = 42 as never), 'detail.errorCode'],
  ])('rejects an event with %s and names the field', (_what, spoil, path) => {
    const event = sampleEvent('create-access-key');
    spoil(event);

    const error = invalid(event);

    expect(error.issues.some((issue) => issue.startsWith(`${path}:`))).toBe(true);
    expect(error.message).toContain(`${path}:`);
  });
});

describe('readParameters', () => {
  const schema = z.object({ userName: z.string().min(1), policyName: z.string().min(1) });

  it('returns the requestParameters read with the schema', () => {
    const change = parseIamEvent(sampleEvent('put-user-policy'));

    expect(readParameters(change, schema)).toEqual({ userName: 'test-user', policyName: 'TestUserDenyAll' });
  });

  it('reads responseElements when asked', () => {
    const change = parseIamEvent(sampleEvent('create-access-key'));
    const response = z.object({ accessKey: z.object({ accessKeyId: z.string() }) });

    expect(readParameters(change, response, 'responseElements').accessKey.accessKeyId).toBe('ABCDEFG');
  });

  it('names the event, its ID and each missing field', () => {
    const event = sampleEvent('put-user-policy');
    delete requestOf(event).policyName;
    requestOf(event).userName = '';
    const change = parseIamEvent(event);

    expect(() => readParameters(change, schema)).toThrow(InvalidEventError);
    try {
      readParameters(change, schema);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      expect(error.message).toMatch(
        /^PutUserPolicy event 7ee6ba6e-1943-417a-a6a3-3a2b0292cdac lacks what it needs: /,
      );
      expect(error.issues).toHaveLength(2);
      expect(error.issues.some((issue) => issue.startsWith('detail.requestParameters.userName:'))).toBe(true);
      expect(error.issues.some((issue) => issue.startsWith('detail.requestParameters.policyName:'))).toBe(
        true,
      );
    }
  });

  it('reads null requestParameters as empty, so required fields are reported missing', () => {
    const change = parseIamEvent(sampleEvent('create-access-key-root-own-key'));

    expect(() => readParameters(change, schema)).toThrow(/detail\.requestParameters\.userName:/);
    expect(readParameters(change, z.object({ userName: z.string().optional() }))).toEqual({});
  });
});

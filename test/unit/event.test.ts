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

describe('parseIamEvent: informational fields', () => {
  type Event = ReturnType<typeof sampleEvent>;
  type Identity = Record<string, unknown> & { sessionContext: Record<string, unknown> };
  const identity = (event: Event) => event.detail.userIdentity as Identity;

  /** Fields no decision rests on, as paths a test can spoil. */
  const INFORMATIONAL: [string, (event: Event, value: unknown) => void][] = [
    ['userIdentity.userName', (event, value) => (identity(event).userName = value)],
    ['userIdentity.invokedBy', (event, value) => (identity(event).invokedBy = value)],
    ['userIdentity.principalId', (event, value) => (identity(event).principalId = value)],
    ['userIdentity.accountId', (event, value) => (identity(event).accountId = value)],
    ['userIdentity.sessionContext', (event, value) => (identity(event).sessionContext = value as never)],
    [
      'userIdentity.sessionContext.sessionIssuer',
      (event, value) => (identity(event).sessionContext.sessionIssuer = value),
    ],
    [
      'userIdentity.sessionContext.sessionIssuer.userName',
      (event, value) =>
        ((identity(event).sessionContext.sessionIssuer as Record<string, unknown>).userName = value),
    ],
    ['userAgent', (event, value) => (event.detail.userAgent = value)],
    ['sourceIPAddress', (event, value) => (event.detail.sourceIPAddress = value)],
    ['awsRegion', (event, value) => (event.detail.awsRegion = value)],
    ['eventVersion', (event, value) => (event.detail.eventVersion = value)],
    ['eventTime', (event, value) => (event.detail.eventTime = value as never)],
    ['errorMessage', (event, value) => (event.detail.errorMessage = value)],
    ['resources (envelope)', (event, value) => (event.resources = value as never)],
    ['version (envelope)', (event, value) => (event.version = value as never)],
  ];

  describe.each(INFORMATIONAL)('%s', (_field, spoil) => {
    it.each<[string, unknown]>([
      ['null', null],
      ['a number', 1.08],
      ['an object', { unexpected: true }],
    ])('reads %s as absent instead of rejecting the event', (_what, value) => {
      const event = sampleEvent('put-user-policy');
      spoil(event, value);

      const change = parseIamEvent(event);

      expect(change.eventName).toBe('PutUserPolicy');
      expect(change.actor.arn).toBe('arn:aws:sts::123456789012:assumed-role/a-role/user.name');
    });
  });

  it('shows nothing for a null user agent, source IP or region, and falls back to the envelope region', () => {
    const event = sampleEvent('put-user-policy');
    Object.assign(event.detail, { userAgent: null, sourceIPAddress: 42, awsRegion: null });

    const change = parseIamEvent(event);

    expect(change.actor).toMatchObject({ sourceIp: undefined, userAgent: undefined });
    expect(change.region).toBe(event.region);
  });

  it("records the envelope's time for a record whose eventTime is null or empty", () => {
    const event = sampleEvent('put-user-policy');
    for (const eventTime of [null, '']) {
      event.detail.eventTime = eventTime as never;

      expect(parseIamEvent(event).eventTime).toBe(event.time);
    }
  });

  it('never turns a number into a name: a numeric userName reads as absent', () => {
    const event = sampleEvent('create-access-key');
    identity(event).userName = 12345;

    expect(parseIamEvent(event).detail.userIdentity.userName).toBeUndefined();
  });

  it('names no issuer when sessionContext is null, and keeps the issuer of a sessionContext that has one', () => {
    const event = sampleEvent('put-user-policy');
    expect(parseIamEvent(event).actor.issuerArn).toBe('arn:aws:iam::123456789012:role/a-role');

    identity(event).sessionContext = null as never;
    expect(parseIamEvent(event).actor.issuerArn).toBeUndefined();
  });

  it.each<[string, (event: Event) => void, string]>([
    ['userIdentity.arn', (event) => (identity(event).arn = null), 'detail.userIdentity.arn'],
    ['userIdentity.arn as a number', (event) => (identity(event).arn = 7), 'detail.userIdentity.arn'],
    ['userIdentity.type', (event) => (identity(event).type = null), 'detail.userIdentity.type'],
    [
      'sessionIssuer.arn',
      (event) => ((identity(event).sessionContext.sessionIssuer as Record<string, unknown>).arn = null),
      'detail.userIdentity.sessionContext.sessionIssuer.arn',
    ],
    ['eventID', (event) => (event.detail.eventID = null as never), 'detail.eventID'],
    ['errorCode', (event) => (event.detail.errorCode = null as never), 'detail.errorCode'],
    [
      'recipientAccountId',
      (event) => (event.detail.recipientAccountId = 123456789012 as never),
      'detail.recipientAccountId',
    ],
  ])('still rejects a wrong %s, which a decision rests on, naming it', (_what, spoil, path) => {
    const event = sampleEvent('put-user-policy');
    spoil(event);

    expect(invalid(event).issues.some((issue) => issue.startsWith(`${path}:`))).toBe(true);
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

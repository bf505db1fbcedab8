import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractEvents, isCloudTrailRecord, wrapCloudTrailRecord } from '../../../lib/cli/normalize.js';
import { parseIamEvent } from '../../../lib/event.js';
import { sampleEvent } from '../../support/deps.js';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/cloudtrail/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

describe('wrapCloudTrailRecord', () => {
  it('builds the envelope EventBridge delivers around an IAM record', () => {
    const record = fixture('AttachRolePolicy__panther__1');
    const event = wrapCloudTrailRecord(structuredClone(record));
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.iam',
      account: record.recipientAccountId,
      time: '2019-01-01T00:00:00Z',
      region: record.awsRegion,
      resources: [],
      detail: record,
    });
  });

  it('gives the same record the same event ID, and different records different ones', () => {
    const record = fixture('CreateAccessKey__panther__2');
    expect(wrapCloudTrailRecord(structuredClone(record)).id).toBe(
      wrapCloudTrailRecord(structuredClone(record)).id,
    );
    expect(wrapCloudTrailRecord(fixture('CreateAccessKey__panther__3')).id).not.toBe(
      wrapCloudTrailRecord(record).id,
    );
  });

  it('reads a space-separated eventTime as UTC and keeps the record as published', () => {
    const event = wrapCloudTrailRecord(fixture('CreateAccessKey__panther__1'));
    expect(event.time).toBe('2022-09-27T17:09:18Z');
    expect((event.detail as { eventTime: string }).eventTime).toBe('2022-09-27 17:09:18');
  });

  it('falls back to the caller account for old records without recipientAccountId', () => {
    const record = fixture('CreateUser__awsdocs-ctug__1');
    expect(record.recipientAccountId).toBeUndefined();
    expect(wrapCloudTrailRecord(record).account).toBe(
      (record.userIdentity as { accountId: string }).accountId,
    );
  });

  it('names other services and event types as EventBridge does', () => {
    const event = wrapCloudTrailRecord({
      eventName: 'ConsoleLogin',
      eventSource: 'signin.amazonaws.com',
      eventType: 'AwsConsoleSignIn',
      eventTime: '2025-01-01T00:00:00Z',
    });
    expect(event).toMatchObject({
      source: 'aws.signin',
      'detail-type': 'AWS Console Sign In via CloudTrail',
    });
  });

  it('produces events the functions accept', () => {
    expect(parseIamEvent(wrapCloudTrailRecord(fixture('PutUserPolicy__panther__1')))).toMatchObject({
      eventName: 'PutUserPolicy',
    });
  });
});

describe('isCloudTrailRecord', () => {
  it('needs eventName and eventSource', () => {
    expect(isCloudTrailRecord(fixture('CreateUser__panther__1'))).toBe(true);
    expect(isCloudTrailRecord({ eventName: 'CreateUser' })).toBe(false);
    expect(isCloudTrailRecord('CreateUser')).toBe(false);
  });
});

describe('extractEvents', () => {
  it('takes an EventBridge event as it is', () => {
    const event = sampleEvent('create-access-key');
    expect(extractEvents(structuredClone(event))).toEqual([{ kind: 'event', at: undefined, event }]);
  });

  it('wraps a single CloudTrail record', () => {
    const [extracted] = extractEvents(fixture('CreateAccessKey__panther__2'));
    expect(extracted).toMatchObject({ kind: 'event', at: undefined, event: { source: 'aws.iam' } });
  });

  it('wraps every record of a CloudTrail log file and locates each bad one', () => {
    const log = {
      Records: [
        fixture('CreateAccessKey__panther__2'),
        { hello: 'world' },
        42,
        fixture('CreateUser__panther__1'),
      ],
    };
    expect(extractEvents(log).map(({ kind, at }) => [kind, at])).toEqual([
      ['event', 'Records[0]'],
      ['error', 'Records[1]'],
      ['error', 'Records[2]'],
      ['event', 'Records[3]'],
    ]);
    expect(extractEvents(log)[1]).toMatchObject({
      message: expect.stringContaining('not a CloudTrail record'),
    });
  });

  it('reads aws cloudtrail lookup-events output, whose records are JSON strings', () => {
    const record = fixture('PutUserPolicy__panther__2');
    const output = {
      Events: [
        { EventId: 'x', CloudTrailEvent: JSON.stringify(record) },
        { EventId: 'y', CloudTrailEvent: '{oops' },
      ],
    };
    const [good, bad] = extractEvents(output);
    expect(good).toMatchObject({ kind: 'event', at: 'Events[0]', event: { detail: record } });
    expect(bad).toMatchObject({
      kind: 'error',
      at: 'Events[1]',
      message: expect.stringContaining('not JSON'),
    });
  });

  it('reads a JSON array of events and records', () => {
    const items = extractEvents([sampleEvent('create-user'), fixture('CreateUser__panther__2'), 'x']);
    expect(items.map((item) => item.kind)).toEqual(['event', 'event', 'error']);
  });

  it('rejects JSON that is no event', () => {
    expect(extractEvents({ foo: 1 })).toEqual([
      { kind: 'error', at: undefined, message: expect.stringContaining('not an EventBridge event') },
    ]);
  });
});

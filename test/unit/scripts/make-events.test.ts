import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isoTime,
  renderEnv,
  renderEvents,
  SAM_ENV_FILE,
  SAMPLES,
  uuidFromName,
  wrap,
} from '../../../scripts/make-events.js';

const EVENTS = new URL('../../../events/', import.meta.url);
const FIXTURES = new URL('../../fixtures/cloudtrail/', import.meta.url);

type Json = Record<string, unknown>;

function readJson(url: URL): Json {
  return JSON.parse(readFileSync(url, 'utf8')) as Json;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('scripts/make-events.ts', () => {
  it('has written events/ as it would write it now (run `npx tsx scripts/make-events.ts`)', () => {
    for (const [file, content] of renderEvents()) {
      expect(readFileSync(new URL(file, EVENTS), 'utf8'), file).toBe(content);
    }
  });

  it('has written sam-env.json from template.yaml as it would write it now', () => {
    expect(readFileSync(SAM_ENV_FILE, 'utf8')).toBe(renderEnv());
  });

  it('documents every sample in events/README.md', () => {
    const readme = readFileSync(new URL('README.md', EVENTS), 'utf8');
    const files = readdirSync(EVENTS).filter((file) => file.endsWith('.json'));

    for (const file of files) expect(readme, file).toContain(`\`${file}\``);
  });

  it.each(SAMPLES.filter((sample) => sample.derive === undefined))(
    'keeps the record of $file exactly as published in $fixture',
    ({ file, fixture }) => {
      const source = readJson(new URL(fixture, FIXTURES));
      const event = readJson(new URL(file, EVENTS));

      if ('detail-type' in source) {
        expect(readFileSync(new URL(file, EVENTS), 'utf8')).toBe(
          readFileSync(new URL(fixture, FIXTURES), 'utf8'),
        );
      } else {
        expect(event.detail).toEqual(source);
        expect(JSON.stringify(event.detail)).toBe(JSON.stringify(source));
      }
    },
  );

  it.each(SAMPLES.filter((sample) => sample.derive !== undefined))(
    'derives $file from $fixture with a fresh eventID',
    ({ file, fixture }) => {
      const source = readJson(new URL(fixture, FIXTURES));
      const detail = readJson(new URL(file, EVENTS)).detail as Json;

      expect(detail.eventID).toMatch(UUID);
      expect(detail.eventID).not.toBe(source.eventID);
      const unchanged = Object.keys(source).filter(
        (key) =>
          !['eventID', 'eventName', 'requestParameters', 'responseElements', 'userIdentity'].includes(key),
      );
      for (const key of unchanged) expect(detail[key], key).toEqual(source[key]);
    },
  );

  it.each(SAMPLES)('wraps $file in an EventBridge envelope', ({ file }) => {
    const event = readJson(new URL(file, EVENTS));

    expect(Object.keys(event)).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
    expect(event.version).toBe('0');
    expect(event['detail-type']).toBe('AWS API Call via CloudTrail');
    expect(event.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(event.resources).toEqual([]);
  });

  it('gives every sample its own envelope id', () => {
    const ids = SAMPLES.map(({ file }) => readJson(new URL(file, EVENTS)).id);

    expect(new Set(ids).size).toBe(SAMPLES.length);
  });

  it('takes the account from recipientAccountId, else from the caller', () => {
    expect(readJson(new URL('create-access-key.json', EVENTS)).account).toBe('123456789');
    expect(readJson(new URL('create-user.json', EVENTS)).account).toBe('123456789012');
  });

  it('refuses to wrap a record that is not IAM', () => {
    expect(() =>
      wrap({ eventSource: 's3.amazonaws.com', userIdentity: {}, eventTime: 'x' }, 'x.json'),
    ).toThrow(/only IAM records/);
  });
});

describe('uuidFromName', () => {
  it('is a stable version 5 UUID', () => {
    expect(uuidFromName('a')).toMatch(UUID);
    expect(uuidFromName('a')).toBe(uuidFromName('a'));
    expect(uuidFromName('a')).not.toBe(uuidFromName('b'));
  });

  it("agrees with Python's uuid.uuid5(uuid.NAMESPACE_URL, name)", () => {
    expect(uuidFromName('www.example.com')).toBe('b63cdfa4-3df9-568e-97ae-006c5b8fd652');
  });
});

describe('isoTime', () => {
  it.each([
    ['2019-01-01T00:00:00Z', '2019-01-01T00:00:00Z'],
    ['2022-09-27 17:09:18', '2022-09-27T17:09:18Z'],
    ['2023-01-03 01:52:07.000000000', '2023-01-03T01:52:07Z'],
  ])('writes %s as %s', (input, expected) => {
    expect(isoTime(input)).toBe(expected);
  });

  it('refuses what is not a date-time', () => {
    expect(() => isoTime('Nov 01, 2020 8:37:03 PM')).toThrow(/not a date-time/);
  });
});

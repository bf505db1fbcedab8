import { describe, expect, it } from 'vitest';
import { parseCredentialReport, parseCsv, ROOT_ACCOUNT } from '../../lib/credential-report.js';

/** The header of a real credential report (2024 onwards), in IAM's column order. */
const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

/** A report row as IAM writes it: key 1 and key 2 as (active, last rotated) pairs. */
function row(
  user: string,
  arn: string,
  key1: [boolean, string] = [false, 'N/A'],
  key2: [boolean, string] = [false, 'N/A'],
): string {
  return [
    user,
    arn,
    '2024-01-02T03:04:05+00:00',
    'false',
    'N/A',
    'N/A',
    'N/A',
    'false',
    String(key1[0]),
    key1[1],
    key1[1] === 'N/A' ? 'N/A' : '2025-05-01T10:00:00+00:00',
    key1[1] === 'N/A' ? 'N/A' : 'us-east-1',
    key1[1] === 'N/A' ? 'N/A' : 's3',
    String(key2[0]),
    key2[1],
    'N/A',
    'N/A',
    'N/A',
    'false',
    'N/A',
    'false',
    'N/A',
  ].join(',');
}

const ROOT_ROW =
  '<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2025-05-30T08:00:00+00:00,not_supported,not_supported,true,true,2021-03-04T05:06:07+00:00,2025-01-01T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';

describe('parseCsv', () => {
  it('splits records on LF and CRLF and fields on commas', () => {
    expect(parseCsv('a,b\r\nc,d\ne,f').map((record) => record.fields)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
    ]);
  });

  it('reads quoted fields holding commas, doubled quotes and line breaks', () => {
    const records = parseCsv('"a,1","say ""hi""","two\nlines"\nnext,x');

    expect(records.map((record) => record.fields)).toEqual([
      ['a,1', 'say "hi"', 'two\nlines'],
      ['next', 'x'],
    ]);
    expect(records.map((record) => record.line)).toEqual([1, 3]);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(parseCsv('a,,c,\n').map((record) => record.fields)).toEqual([['a', '', 'c', '']]);
  });

  it('makes no record of a trailing line break or of empty text', () => {
    expect(parseCsv('a\n')).toEqual([{ line: 1, fields: ['a'] }]);
    expect(parseCsv('')).toEqual([]);
  });

  it('keeps a quote inside an unquoted field as a character', () => {
    expect(parseCsv('ab"c,d').map((record) => record.fields)).toEqual([['ab"c', 'd']]);
  });

  it('reads an empty quoted field', () => {
    expect(parseCsv('"",x').map((record) => record.fields)).toEqual([['', 'x']]);
  });
});

describe('parseCredentialReport', () => {
  it('reads both key slots of every user, N/A as no date', () => {
    const report = parseCredentialReport(
      [
        HEADER,
        row('alice', 'arn:aws:iam::123456789012:user/alice', [true, '2025-01-10T09:08:07+00:00']),
        row(
          'bob',
          'arn:aws:iam::123456789012:user/team/bob',
          [false, '2024-02-03T04:05:06+00:00'],
          [true, '2025-04-05T06:07:08+00:00'],
        ),
        row('carol', 'arn:aws:iam::123456789012:user/carol'),
      ].join('\n'),
    );

    expect(report).toEqual({
      missingColumns: [],
      badLines: [],
      rows: [
        {
          user: 'alice',
          arn: 'arn:aws:iam::123456789012:user/alice',
          keys: [
            { slot: 1, active: true, lastRotated: new Date('2025-01-10T09:08:07Z') },
            { slot: 2, active: false, lastRotated: undefined },
          ],
        },
        {
          user: 'bob',
          arn: 'arn:aws:iam::123456789012:user/team/bob',
          keys: [
            { slot: 1, active: false, lastRotated: new Date('2024-02-03T04:05:06Z') },
            { slot: 2, active: true, lastRotated: new Date('2025-04-05T06:07:08Z') },
          ],
        },
        {
          user: 'carol',
          arn: 'arn:aws:iam::123456789012:user/carol',
          keys: [
            { slot: 1, active: false, lastRotated: undefined },
            { slot: 2, active: false, lastRotated: undefined },
          ],
        },
      ],
    });
  });

  it('reads the root row like any other, under its own name', () => {
    const report = parseCredentialReport(`${HEADER}\n${ROOT_ROW}\n`);

    expect(report.rows).toEqual([
      {
        user: ROOT_ACCOUNT,
        arn: 'arn:aws:iam::123456789012:root',
        keys: [
          { slot: 1, active: true, lastRotated: new Date('2021-03-04T05:06:07Z') },
          { slot: 2, active: false, lastRotated: undefined },
        ],
      },
    ]);
  });

  it('finds columns by name, whatever their order, and ignores columns it does not know', () => {
    const text = [
      'access_key_2_last_rotated,new_column,access_key_2_active,arn,access_key_1_last_rotated,user,access_key_1_active',
      '2025-03-01T00:00:00+00:00,x,true,arn:aws:iam::123456789012:user/dave,N/A,dave,false',
    ].join('\r\n');

    expect(parseCredentialReport(text).rows).toEqual([
      {
        user: 'dave',
        arn: 'arn:aws:iam::123456789012:user/dave',
        keys: [
          { slot: 1, active: false, lastRotated: undefined },
          { slot: 2, active: true, lastRotated: new Date('2025-03-01T00:00:00Z') },
        ],
      },
    ]);
  });

  it('reads dates with an offset or a Z, and treats not_supported and no_information as no date', () => {
    const text = [
      'user,arn,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated',
      'a,arn:aws:iam::123456789012:user/a,true,2025-03-01T02:00:00+02:00,true,2025-03-01T00:00:00Z',
      'b,arn:aws:iam::123456789012:user/b,true,not_supported,true,no_information',
    ].join('\n');

    const [a, b] = parseCredentialReport(text).rows;

    expect(a?.keys.map((key) => key.lastRotated)).toEqual([
      new Date('2025-03-01T00:00:00Z'),
      new Date('2025-03-01T00:00:00Z'),
    ]);
    expect(b?.keys.map((key) => key.lastRotated)).toEqual([undefined, undefined]);
  });

  it('reads a user name and path holding commas, which IAM writes unquoted', () => {
    const text = [
      HEADER,
      row('svc,ci', 'arn:aws:iam::123456789012:user/a,b/svc,ci', [true, '2025-01-01T00:00:00+00:00']),
    ].join('\n');

    const report = parseCredentialReport(text);

    expect(report.badLines).toEqual([]);
    expect(report.rows).toEqual([
      expect.objectContaining({
        user: 'svc,ci',
        arn: 'arn:aws:iam::123456789012:user/a,b/svc,ci',
        keys: [
          { slot: 1, active: true, lastRotated: new Date('2025-01-01T00:00:00Z') },
          { slot: 2, active: false, lastRotated: undefined },
        ],
      }),
    ]);
  });

  it('reads a quoted user name holding a comma', () => {
    const text = [HEADER, row('"x,y"', '"arn:aws:iam::123456789012:user/x,y"')].join('\n');

    expect(parseCredentialReport(text).rows.map((r) => [r.user, r.arn])).toEqual([
      ['x,y', 'arn:aws:iam::123456789012:user/x,y'],
    ]);
  });

  it('lists the lines it cannot read instead of dropping them silently', () => {
    const text = [
      HEADER,
      row('alice', 'arn:aws:iam::123456789012:user/alice'),
      'truncated,line',
      row('extra,commas', 'not-an-arn,really'),
      row('', 'arn:aws:iam::123456789012:user/'),
      row('bob', 'arn:aws:iam::123456789012:user/bob'),
    ].join('\n');

    const report = parseCredentialReport(text);

    expect(report.rows.map((r) => r.user)).toEqual(['alice', 'bob']);
    expect(report.badLines).toEqual([3, 4, 5]);
  });

  it('skips blank lines', () => {
    const text = `${HEADER}\n\n${row('alice', 'arn:aws:iam::123456789012:user/alice')}\n\n`;

    const report = parseCredentialReport(text);

    expect(report.rows.map((r) => r.user)).toEqual(['alice']);
    expect(report.badLines).toEqual([]);
  });

  it('names the required columns a report lacks, and reads no row from it', () => {
    const report = parseCredentialReport(
      'user,arn,access_key_1_active,access_key_2_active\nalice,arn:aws:iam::1:user/alice,true,false',
    );

    expect(report).toEqual({
      rows: [],
      badLines: [],
      missingColumns: ['access_key_1_last_rotated', 'access_key_2_last_rotated'],
    });
  });

  it('treats empty content as a report without columns', () => {
    expect(parseCredentialReport('').missingColumns).toHaveLength(6);
  });

  it('ignores a byte order mark', () => {
    const text = `\uFEFF${HEADER}\n${row('alice', 'arn:aws:iam::123456789012:user/alice')}`;

    expect(parseCredentialReport(text).rows.map((r) => r.user)).toEqual(['alice']);
  });

  it('takes "true" in any case as active and anything else as not', () => {
    const text = [
      'user,arn,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated',
      'a,arn:aws:iam::123456789012:user/a,TRUE,2025-01-01T00:00:00Z,yes,2025-01-01T00:00:00Z',
    ].join('\n');

    expect(parseCredentialReport(text).rows[0]?.keys.map((key) => key.active)).toEqual([true, false]);
  });
});

// The cases below pin down edges that mutation testing (docs/mutation-testing.md) found untested.
describe('parseCsv at its edges', () => {
  it('keeps a last record ending in an empty field without a final line break', () => {
    expect(parseCsv('a,b\nc,')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c', ''] },
    ]);
  });

  it('keeps a last record that is one empty quoted field', () => {
    expect(parseCsv('a\n""')).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: [''] },
    ]);
  });

  it('keeps a carriage return not followed by a line feed as a character', () => {
    expect(parseCsv('a\rb,c')).toEqual([{ line: 1, fields: ['a\rb', 'c'] }]);
  });

  it('counts the line breaks inside quoted fields in the next record’s line number', () => {
    expect(parseCsv('"x\r\ny\nz",1\r\nnext').map((record) => record.line)).toEqual([1, 4]);
  });

  it('reads a quote after the start of a field, and a doubled quote, literally', () => {
    expect(parseCsv('a"",b').map((record) => record.fields)).toEqual([['a""', 'b']]);
  });
});

describe('parseCredentialReport at its edges', () => {
  const SHORT_HEADER =
    'user,arn,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated';

  it('lists a one-field garbage line as unreadable', () => {
    const report = parseCredentialReport(
      `${HEADER}\ngarbage\n${row('bob', 'arn:aws:iam::123456789012:user/bob')}`,
    );

    expect(report.badLines).toEqual([2]);
    expect(report.rows.map((r) => r.user)).toEqual(['bob']);
  });

  it('lists a row without an ARN as unreadable', () => {
    const report = parseCredentialReport(`${SHORT_HEADER}\nbob,,true,N/A,false,N/A`);

    expect(report).toEqual({ rows: [], badLines: [2], missingColumns: [] });
  });

  it('lists a row with extra commas whose ARN does not end with the user name as unreadable', () => {
    const report = parseCredentialReport(
      [HEADER, row('x,y', 'arn:aws:iam::123456789012:user/z'), row('x', 'arn:aws:iam::1:user/x,y')].join(
        '\n',
      ),
    );

    expect(report.rows).toEqual([]);
    expect(report.badLines).toEqual([2, 3]);
  });

  it('recovers commas in names only when user and arn are the first two columns', () => {
    const text = [
      'arn,user,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated',
      'arn:aws:iam::123456789012:user/x,y,x,y,true,N/A,false,N/A',
    ].join('\n');

    expect(parseCredentialReport(text)).toEqual({ rows: [], badLines: [2], missingColumns: [] });
  });

  it('reads a rotation date only when it is an ISO date with a time that exists', () => {
    const text = [
      SHORT_HEADER,
      'a,arn:aws:iam::123456789012:user/a,true,2025-13-45T00:00:00Z,true,2025-03-01',
      'b,arn:aws:iam::123456789012:user/b,true,on 2025-03-01T00:00:00Z,true,',
    ].join('\n');

    const rows = parseCredentialReport(text).rows;

    expect(rows.map((r) => r.keys.map((key) => key.lastRotated))).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    expect(rows.map((r) => r.keys.map((key) => key.active))).toEqual([
      [true, true],
      [true, true],
    ]);
  });
});

describe('parseCredentialReport: more edges found by mutation testing', () => {
  const KEY_COLUMNS =
    'access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated';

  it('does not take a date in another format that happens to hold an ISO date', () => {
    const text = `user,arn,${KEY_COLUMNS}\na,arn:aws:iam::123456789012:user/a,true,+002025-03-01T00:00:00Z,false,N/A`;

    expect(parseCredentialReport(text).rows[0]?.keys[0]?.lastRotated).toBeUndefined();
  });

  it('lists a row with extra commas whose ARN ends with the user name but is not an ARN as unreadable', () => {
    const report = parseCredentialReport([HEADER, row('x,y', 'notarn/x,y')].join('\n'));

    expect(report).toEqual({ rows: [], badLines: [2], missingColumns: [] });
  });

  it('removes a byte order mark at the start only', () => {
    const text = `user,arn,${KEY_COLUMNS}\na\uFEFFb,arn:aws:iam::123456789012:user/a\uFEFFb,false,N/A,false,N/A`;

    expect(parseCredentialReport(text).rows.map((r) => r.user)).toEqual(['a\uFEFFb']);
  });

  it('recovers commas only when user is the first column and arn the second', () => {
    const userThird = `note,arn,user,${KEY_COLUMNS}\nx,arn:aws:iam::1:user/q,/x,u,true,N/A,false,N/A`;
    const arnThird = `user,note,arn,${KEY_COLUMNS}\nx,arn:aws:iam::1:user/q,/x,arn:aws:iam::1:user/x,true,N/A,false,N/A`;

    expect(parseCredentialReport(userThird)).toEqual({ rows: [], badLines: [2], missingColumns: [] });
    expect(parseCredentialReport(arnThird)).toEqual({ rows: [], badLines: [2], missingColumns: [] });
  });
});

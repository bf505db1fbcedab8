import { describe, expect, it } from 'vitest';
import { InvalidPatternError } from '../../lib/errors.js';
import { compilePattern, matchesPattern } from '../../lib/pattern.js';
import { templateRules } from '../../lib/template.js';

// The examples follow the EventBridge user guide's content filtering page and Event Ruler's README.
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
    enabled: true,
    owner: null,
    note: '',
    tags: ['prod', 'web'],
    location: { city: 'Paris' },
    employees: [
      { firstName: 'John', lastName: 'Doe' },
      { firstName: 'Anna', lastName: 'Smith' },
    ],
  },
};

function matches(pattern: unknown, event: unknown = ec2Event): boolean {
  return matchesPattern(pattern, structuredClone(event));
}

describe('exact values', () => {
  it('matches when every field matches one of its listed values', () => {
    expect(matches({ source: ['aws.ec2'], detail: { state: ['initializing', 'running'] } })).toBe(true);
  });

  it('does not match when one field has none of its listed values', () => {
    expect(matches({ source: ['aws.ec2'], detail: { state: ['stopped'] } })).toBe(false);
  });

  it('does not match a field the event lacks', () => {
    expect(matches({ detail: { missing: ['x'] } })).toBe(false);
  });

  it('compares types: a string does not match a number or a boolean', () => {
    expect(matches({ detail: { 'c-count': ['5'] } })).toBe(false);
    expect(matches({ detail: { 'c-count': [5] } })).toBe(true);
    expect(matches({ detail: { enabled: ['true'] } })).toBe(false);
    expect(matches({ detail: { enabled: [true] } })).toBe(true);
  });

  it('matches null and the empty string as values', () => {
    expect(matches({ detail: { owner: [null] } })).toBe(true);
    expect(matches({ detail: { note: [''] } })).toBe(true);
    expect(matches({ detail: { note: [null] } })).toBe(false);
    expect(matches({ detail: { missing: [null] } })).toBe(false);
  });

  it('matches an array in the event when any element matches', () => {
    expect(matches({ detail: { tags: ['web'] } })).toBe(true);
    expect(matches({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'] })).toBe(
      true,
    );
    expect(matches({ detail: { tags: ['dev'] } })).toBe(false);
  });

  it('is case sensitive', () => {
    expect(matches({ detail: { state: ['RUNNING'] } })).toBe(false);
  });

  it('does not treat an object as a value', () => {
    expect(matches({ detail: { location: ['Paris'] } })).toBe(false);
  });
});

describe('nested objects and arrays of objects', () => {
  it('matches fields inside objects', () => {
    expect(matches({ detail: { location: { city: ['Paris'] } } })).toBe(true);
  });

  it('matches fields of objects inside arrays', () => {
    expect(matches({ detail: { employees: { firstName: ['Anna'] } } })).toBe(true);
  });

  it('requires fields of one pattern object to match in the same array element', () => {
    expect(matches({ detail: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } })).toBe(true);
    expect(matches({ detail: { employees: { firstName: ['Anna'], lastName: ['Doe'] } } })).toBe(false);
  });

  it('reads a nested field under null or a scalar as absent', () => {
    const event = { detail: { requestParameters: null, name: 'x' } };
    expect(matches({ detail: { requestParameters: { status: ['Active'] } } }, event)).toBe(false);
    expect(matches({ detail: { requestParameters: { status: [{ exists: false }] } } }, event)).toBe(true);
    expect(matches({ detail: { name: { first: [{ exists: false }] } } }, event)).toBe(true);
  });
});

describe('prefix and suffix', () => {
  it('match the start or the end of strings', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] })).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-03' }] })).toBe(false);
    expect(matches({ source: [{ suffix: 'ec2' }] })).toBe(true);
    expect(matches({ source: [{ suffix: 'ec3' }] })).toBe(false);
  });

  it('ignore numbers', () => {
    expect(matches({ detail: { 'c-count': [{ prefix: '5' }] } })).toBe(false);
  });

  it('ignore case with equals-ignore-case inside', () => {
    expect(matches({ source: [{ prefix: { 'equals-ignore-case': 'AWS.E' } }] })).toBe(true);
    expect(matches({ source: [{ suffix: { 'equals-ignore-case': '.EC2' } }] })).toBe(true);
    expect(matches({ source: [{ suffix: { 'equals-ignore-case': '.S3' } }] })).toBe(false);
  });
});

describe('equals-ignore-case', () => {
  it('matches strings whatever their case', () => {
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'RUNNING' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'RUN' }] } })).toBe(false);
  });
});

describe('wildcard', () => {
  it('matches any run of characters, including none, at each *', () => {
    expect(matches({ detail: { 'instance-id': [{ wildcard: 'i-*' }] } })).toBe(true);
    expect(matches({ detail: { 'instance-id': [{ wildcard: 'i-*a*0' }] } })).toBe(true);
    expect(matches({ detail: { 'instance-id': [{ wildcard: 'i-000000aaaaaa00000*' }] } })).toBe(true);
    expect(matches({ detail: { 'instance-id': [{ wildcard: 'x-*' }] } })).toBe(false);
  });

  it('matches the whole value, not a part of it', () => {
    expect(matches({ detail: { state: [{ wildcard: 'run' }] } })).toBe(false);
  });

  it('treats regular expression characters and escaped asterisks literally', () => {
    const event = { file: 'a.b*c\\d' };
    expect(matches({ file: [{ wildcard: 'a.b\\*c\\\\d' }] }, event)).toBe(true);
    expect(matches({ file: [{ wildcard: 'a?b*' }] }, event)).toBe(false);
    expect(matches({ file: [{ wildcard: 'a.b\\*' }] }, event)).toBe(false);
  });

  it('rejects consecutive wildcards and stray backslashes', () => {
    expect(() => compilePattern({ file: [{ wildcard: 'a**' }] })).toThrow(/consecutive/);
    expect(() => compilePattern({ file: [{ wildcard: 'a\\b' }] })).toThrow(/backslash/);
  });
});

describe('anything-but', () => {
  it('matches any value but the one given', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } })).toBe(false);
    expect(matches({ detail: { 'c-count': [{ 'anything-but': 5 }] } })).toBe(false);
    expect(matches({ detail: { 'c-count': [{ 'anything-but': 6 }] } })).toBe(true);
  });

  it('matches any value but those listed', () => {
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } })).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 301.8] }] } })).toBe(false);
  });

  it('does not match an absent field', () => {
    expect(matches({ detail: { missing: [{ 'anything-but': 'x' }] } })).toBe(false);
  });

  it('excludes by prefix, suffix, case-insensitive value or wildcard', () => {
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'run' } }] } })).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { suffix: 'ing' } }] } })).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { suffix: '.png' } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } })).toBe(
      false,
    );
    expect(
      matches({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['STOPPED', 'X'] } }] } }),
    ).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { wildcard: 'r*g' } }] } })).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { wildcard: ['s*', 'x*'] } }] } })).toBe(true);
  });

  it('matches an array when any element is not excluded', () => {
    expect(matches({ detail: { tags: [{ 'anything-but': 'prod' }] } })).toBe(true);
    expect(matches({ detail: { tags: [{ 'anything-but': ['prod', 'web'] }] } })).toBe(false);
  });

  it('rejects mixed lists', () => {
    expect(() => compilePattern({ a: [{ 'anything-but': ['x', 1] }] })).toThrow(InvalidPatternError);
  });
});

describe('numeric', () => {
  it('compares JSON numbers with one comparison or a range', () => {
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } })).toBe(true);
    expect(matches({ detail: { 'd-count': [{ numeric: ['<', 3] }] } })).toBe(false);
    expect(matches({ detail: { 'd-count': [{ numeric: ['<=', 3] }] } })).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>=', 6] }] } })).toBe(false);
  });

  it('ignores numbers written as strings', () => {
    expect(matches({ n: [{ numeric: ['=', 5] }] }, { n: '5' })).toBe(false);
  });

  it('rejects malformed ranges', () => {
    expect(() => compilePattern({ n: [{ numeric: ['>', 1, '>', 2] }] })).toThrow(/lower bound/);
    expect(() => compilePattern({ n: [{ numeric: ['~', 1] }] })).toThrow(/unknown comparison/);
    expect(() => compilePattern({ n: [{ numeric: ['<', '1'] }] })).toThrow(/numbers/);
    expect(() => compilePattern({ n: [{ numeric: ['<'] }] })).toThrow(InvalidPatternError);
  });

  it('rejects names inherited from Object.prototype as comparisons', () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      expect(() => compilePattern({ n: [{ numeric: [name, 5] }] }), name).toThrow(
        `invalid event pattern at n[0].numeric: unknown comparison "${name}"`,
      );
      expect(() => compilePattern({ n: [{ numeric: ['>', 0, name, 5] }] }), name).toThrow(
        /unknown comparison/,
      );
    }
  });
});

describe('cidr', () => {
  it('matches IPv4 addresses inside the block', () => {
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } })).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } })).toBe(false);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.33/32' }] } })).toBe(true);
  });

  it('matches IPv6 addresses inside the block', () => {
    const event = { ip: '2001:db8::ff00:42:8329' };
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, event)).toBe(true);
    expect(matches({ ip: [{ cidr: '2001:db9::/32' }] }, event)).toBe(false);
    expect(matches({ ip: [{ cidr: '::ffff:10.0.0.0/120' }] }, { ip: '::ffff:10.0.0.7' })).toBe(true);
  });

  it('ignores values that are not addresses, like an AWS service name', () => {
    expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 'iam.amazonaws.com' })).toBe(false);
  });

  it('rejects blocks that are not CIDR notation', () => {
    expect(() => compilePattern({ ip: [{ cidr: '10.0.0.0/33' }] })).toThrow(/CIDR/);
    expect(() => compilePattern({ ip: [{ cidr: '10.0.0.0' }] })).toThrow(/CIDR/);
  });
});

describe('exists', () => {
  it('matches on presence or absence of a leaf', () => {
    expect(matches({ detail: { 'c-count': [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } })).toBe(false);
    expect(matches({ detail: { errorCode: [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { errorCode: [{ exists: true }] } })).toBe(false);
  });

  it('counts null as present', () => {
    expect(matches({ detail: { owner: [{ exists: true }] } })).toBe(true);
  });

  it('does not count an object or an empty array as a leaf', () => {
    expect(matches({ detail: { location: [{ exists: true }] } })).toBe(false);
    expect(matches({ detail: { location: [{ exists: false }] } })).toBe(true);
    expect(matches({ list: [{ exists: false }] }, { list: [] })).toBe(true);
  });
});

describe('$or', () => {
  it('matches when any alternative matches', () => {
    expect(
      matches({
        source: ['aws.ec2'],
        $or: [{ detail: { state: ['stopped'] } }, { detail: { 'c-count': [{ numeric: ['>', 1] }] } }],
      }),
    ).toBe(true);
    expect(matches({ $or: [{ source: ['aws.s3'] }, { detail: { state: ['stopped'] } }] })).toBe(false);
  });

  it('works inside nested objects', () => {
    expect(matches({ detail: { $or: [{ state: ['running'] }, { missing: ['x'] }] } })).toBe(true);
  });

  it('needs at least two alternatives', () => {
    expect(() => compilePattern({ $or: [{ source: ['x'] }] })).toThrow(/\$or/);
  });
});

describe('invalid patterns', () => {
  it('rejects an unknown operator instead of matching', () => {
    expect(() => compilePattern({ detail: { state: [{ 'starts-with': 'run' }] } })).toThrow(
      'invalid event pattern at detail.state[0]: unknown operator "starts-with"',
    );
  });

  it('rejects an unknown operator inside anything-but', () => {
    expect(() => compilePattern({ state: [{ 'anything-but': { numeric: ['>', 1] } }] })).toThrow(
      /unknown operator "numeric" inside anything-but/,
    );
  });

  it('rejects a filter with two operators', () => {
    expect(() => compilePattern({ state: [{ prefix: 'a', suffix: 'b' }] })).toThrow(/exactly one operator/);
  });

  it('rejects values not in a list, empty lists and empty objects', () => {
    expect(() => compilePattern({ source: 'aws.iam' })).toThrow(/must be an object or an array/);
    expect(() => compilePattern({ source: [] })).toThrow(/empty list/);
    expect(() => compilePattern({ detail: {} })).toThrow(/empty object/);
    expect(() => compilePattern(['aws.iam'])).toThrow(/JSON object/);
  });

  it('validates the whole pattern before any event is matched', () => {
    expect(() => compilePattern({ source: ['aws.s3'], detail: { x: [{ bogus: 1 }] } })).toThrow(
      InvalidPatternError,
    );
  });
});

describe('the rules in template.yaml', () => {
  it('all compile', () => {
    const rules = templateRules();
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(() => compilePattern(rule.pattern)).not.toThrow();
  });
});

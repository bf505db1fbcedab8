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

// The cases below pin down edges that mutation testing (docs/mutation-testing.md) found untested.
describe('numeric, at and around each bound', () => {
  const at = (numeric: unknown[], n: number) => matches({ n: [{ numeric }] }, { n });

  it('compares in both directions, the bound itself included only by <=, >= and =', () => {
    expect([at(['<', 5], 4), at(['<', 5], 5), at(['<', 5], 6)]).toEqual([true, false, false]);
    expect([at(['<=', 5], 4), at(['<=', 5], 5), at(['<=', 5], 6)]).toEqual([true, true, false]);
    expect([at(['>', 5], 4), at(['>', 5], 5), at(['>', 5], 6)]).toEqual([false, false, true]);
    expect([at(['>=', 5], 4), at(['>=', 5], 5), at(['>=', 5], 6)]).toEqual([false, true, true]);
    expect([at(['=', 5], 4), at(['=', 5], 5), at(['=', 5], 6)]).toEqual([false, true, false]);
  });

  it('needs both bounds of a range, written in either order', () => {
    expect([at(['>=', 1, '<=', 5], 0), at(['>=', 1, '<=', 5], 1), at(['>=', 1, '<=', 5], 5)]).toEqual([
      false,
      true,
      true,
    ]);
    expect([at(['>=', 1, '<=', 5], 6), at(['<', 5, '>', 1], 3), at(['<', 5, '>', 1], 5)]).toEqual([
      false,
      true,
      false,
    ]);
  });

  it('rejects two upper bounds, an equality in a range, and operand lists of other lengths', () => {
    expect(() => compilePattern({ n: [{ numeric: ['<', 1, '<=', 2] }] })).toThrow(/lower bound/);
    expect(() => compilePattern({ n: [{ numeric: ['=', 1, '<', 2] }] })).toThrow(/lower bound/);
    expect(() => compilePattern({ n: [{ numeric: ['>', 1, '<', 2, '<', 3] }] })).toThrow(
      'invalid event pattern at n[0].numeric: takes [operator, number] or [lower operator, number, upper operator, number]',
    );
    expect(() => compilePattern({ n: [{ numeric: ['>', 1, '<'] }] })).toThrow(/takes \[operator/);
    expect(() => compilePattern({ n: [{ numeric: '>' }] })).toThrow(/takes \[operator/);
    expect(() => compilePattern({ n: [{ numeric: [5, '>'] }] })).toThrow('unknown comparison 5');
  });

  it('rejects bounds that are not finite numbers', () => {
    for (const bound of [Number.POSITIVE_INFINITY, Number.NaN, null, '5']) {
      expect(() => compilePattern({ n: [{ numeric: ['<', bound] }] }), String(bound)).toThrow(
        /compares with numbers/,
      );
    }
  });
});

describe('type checks: a filter on strings never matches a number, a boolean or null', () => {
  const others = [5, true, null];

  it('wildcard, prefix, suffix and equals-ignore-case', () => {
    for (const value of others) {
      expect(matches({ v: [{ wildcard: '*' }] }, { v: value }), String(value)).toBe(false);
      expect(matches({ v: [{ prefix: '' }] }, { v: value }), String(value)).toBe(false);
      expect(matches({ v: [{ suffix: '' }] }, { v: value }), String(value)).toBe(false);
      expect(matches({ v: [{ prefix: { 'equals-ignore-case': '' } }] }, { v: value }), String(value)).toBe(
        false,
      );
      expect(matches({ v: [{ 'equals-ignore-case': String(value) }] }, { v: value }), String(value)).toBe(
        false,
      );
    }
  });

  it('cidr', () => {
    expect(matches({ v: [{ cidr: '0.0.0.0/0' }] }, { v: 167772161 })).toBe(false);
  });

  it('and numeric never matches a string', () => {
    expect(matches({ v: [{ numeric: ['>', 0] }] }, { v: '5' })).toBe(false);
    expect(matches({ v: [{ numeric: ['>', 0] }] }, { v: true })).toBe(false);
  });

  it('exists takes only a boolean', () => {
    expect(() => compilePattern({ v: [{ exists: 'true' }] })).toThrow(
      'invalid event pattern at v[0].exists: takes true or false',
    );
  });
});

describe('anything-but, the lists and filters it takes', () => {
  it('excludes any number of a list of numbers, and never a string like it', () => {
    expect(matches({ v: [{ 'anything-but': [1, 2] }] }, { v: 2 })).toBe(false);
    expect(matches({ v: [{ 'anything-but': [1, 2] }] }, { v: 3 })).toBe(true);
    expect(matches({ v: [{ 'anything-but': [1, 2] }] }, { v: '2' })).toBe(true);
    expect(matches({ v: [{ 'anything-but': 2 }] }, { v: '2' })).toBe(true);
  });

  it('does not exclude a value the inner filter cannot apply to', () => {
    expect(matches({ v: [{ 'anything-but': { prefix: '5' } }] }, { v: 5 })).toBe(true);
    expect(matches({ v: [{ 'anything-but': { wildcard: '*' } }] }, { v: 5 })).toBe(true);
  });

  it('excludes a value matching any filter of a list', () => {
    expect(matches({ v: [{ 'anything-but': { prefix: ['a', 'b'] } }] }, { v: 'bc' })).toBe(false);
    expect(matches({ v: [{ 'anything-but': { suffix: ['a', 'b'] } }] }, { v: 'cb' })).toBe(false);
    expect(matches({ v: [{ 'anything-but': { suffix: ['a', 'b'] } }] }, { v: 'bc' })).toBe(true);
  });

  it('rejects an empty list, a boolean, null, and filters that are empty or have two operators', () => {
    const rejects = (operand: unknown) => () => compilePattern({ v: [{ 'anything-but': operand }] });
    expect(rejects([])).toThrow('invalid event pattern at v[0].anything-but: takes a non-empty list');
    expect(rejects([true])).toThrow(/only strings or only numbers/);
    expect(rejects(true)).toThrow(/takes a string, a number, a list or a filter, not true/);
    expect(rejects(null)).toThrow(/takes a string, a number, a list or a filter, not null/);
    expect(rejects({})).toThrow('takes one inner filter, got []');
    expect(rejects({ prefix: 'a', suffix: 'b' })).toThrow('takes one inner filter, got ["prefix","suffix"]');
    expect(rejects({ prefix: [] })).toThrow(
      'invalid event pattern at v[0].anything-but.prefix: takes a non-empty list',
    );
    expect(rejects({ prefix: 5 })).toThrow(
      'invalid event pattern at v[0].anything-but.prefix: takes a string, not 5',
    );
    expect(rejects({ suffix: [5] })).toThrow(
      'invalid event pattern at v[0].anything-but.suffix[0]: takes a string, not 5',
    );
  });
});

describe('cidr, address parsing', () => {
  const inBlock = (block: string, ip: string) => matches({ ip: [{ cidr: block }] }, { ip });

  it('reads IPv4 addresses of four decimal parts of 0-255 only', () => {
    expect(inBlock('0.0.0.0/0', '255.255.255.255')).toBe(true);
    for (const ip of [
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.256',
      '1.2.3.1000',
      '1.2.3.a',
      '1.2.3. 4',
      '1.2.3.4 ',
      '1..3.4',
    ]) {
      expect(inBlock('0.0.0.0/0', ip), ip).toBe(false);
    }
  });

  it('compares the network bits only, up to the whole address', () => {
    expect(inBlock('10.0.0.0/31', '10.0.0.1')).toBe(true);
    expect(inBlock('10.0.0.0/31', '10.0.0.2')).toBe(false);
    expect(inBlock('10.0.0.1/32', '10.0.0.1')).toBe(true);
    expect(inBlock('10.0.0.1/32', '10.0.1.1')).toBe(false);
    expect(inBlock('192.168.0.0/16', '192.168.255.1')).toBe(true);
    expect(inBlock('192.168.0.0/16', '192.169.0.1')).toBe(false);
    expect(inBlock('2001:db8::1/128', '2001:db8::1')).toBe(true);
    expect(inBlock('2001:db8::1/128', '2001:db8::2')).toBe(false);
  });

  it('never matches an IPv4 address against an IPv6 block, nor the reverse', () => {
    expect(inBlock('::/96', '10.0.0.1')).toBe(false);
    expect(inBlock('0.0.0.0/0', '::1')).toBe(false);
  });

  it('reads the groups before and after ::, in order', () => {
    expect(inBlock('1:2:3:4:5:6:7:0/128', '1:2:3:4:5:6:7::')).toBe(true);
    expect(inBlock('0:2:3:4:5:6:7:8/128', '::2:3:4:5:6:7:8')).toBe(true);
    expect(inBlock('1:0:0:0:0:0:0:2/128', '1::2')).toBe(true);
    expect(inBlock('1:0:0:0:0:0:0:2/128', '2::1')).toBe(false);
    expect(inBlock('1:2:0:0:0:0:a:b/128', '1:2::A:B')).toBe(true);
    expect(inBlock('::ffff:102:304/128', '::ffff:1.2.3.4')).toBe(true);
  });

  it('rejects IPv6 text that is not an address', () => {
    for (const ip of [
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4::5:6:7:8',
      '1::2::3',
      '12345::',
      'g::',
      ':1:2:3:4:5:6:7',
      '::ffff:1.2.3.256',
      '::ffff:1.2.3',
    ]) {
      expect(inBlock('::/0', ip), ip).toBe(false);
    }
    expect(inBlock('::/0', '1:2:3:4:5:6:7:8')).toBe(true);
  });

  it('rejects prefixes longer than the address', () => {
    expect(() => compilePattern({ ip: [{ cidr: '::/129' }] })).toThrow('"::/129" is not a CIDR block');
    expect(() => compilePattern({ ip: [{ cidr: '::/128' }] })).not.toThrow();
    expect(() => compilePattern({ ip: [{ cidr: '10.0.0.0/32' }] })).not.toThrow();
    expect(() => compilePattern({ ip: [{ cidr: 'x/8' }] })).toThrow(/not a CIDR block/);
    expect(() => compilePattern({ ip: [{ cidr: '10.0.0.0/1000' }] })).toThrow(/not a CIDR block/);
    expect(() => compilePattern({ ip: [{ cidr: '/8' }] })).toThrow(/not a CIDR block/);
  });
});

describe('structure of patterns and events', () => {
  it('reads only the event’s own fields, never inherited ones', () => {
    const event = Object.create({ source: 'aws.iam' }) as object;
    expect(matchesPattern({ source: ['aws.iam'] }, event)).toBe(false);
  });

  it('flattens nested arrays of values and of objects', () => {
    expect(matches({ v: [3] }, { v: [[1, [3]]] })).toBe(true);
    expect(matches({ v: { w: [3] } }, { v: [[{ w: 1 }, [{ w: 3 }]]] })).toBe(true);
  });

  it('rejects a list as a value, a filter without an operator, and $or that is not a list of patterns', () => {
    expect(() => compilePattern({ v: [['x']] })).toThrow('invalid event pattern at v[0]: ["x"] is neither');
    expect(() => compilePattern({ v: [{}] })).toThrow('a filter has exactly one operator, got []');
    expect(() => compilePattern({ $or: [{ a: ['x'] }, 'b'] })).toThrow(/`\$or` takes an array/);
    expect(() => compilePattern({ $or: { a: ['x'], b: ['y'] } })).toThrow(/`\$or` takes an array/);
  });

  it('names the top level in errors there', () => {
    expect(() => compilePattern({})).toThrow('invalid event pattern at (top level): an empty object');
  });

  it('prefix and suffix take a string or equals-ignore-case only', () => {
    expect(() => compilePattern({ v: [{ prefix: { wildcard: 'a' } }] })).toThrow(
      'invalid event pattern at v[0].prefix: takes a string or { "equals-ignore-case": string }',
    );
    expect(() => compilePattern({ v: [{ suffix: { 'equals-ignore-case': 'a', x: 1 } }] })).toThrow(
      /takes a string or/,
    );
    expect(() => compilePattern({ v: [{ prefix: { 'equals-ignore-case': 5 } }] })).toThrow(
      'invalid event pattern at v[0].prefix.equals-ignore-case: takes a string, not 5',
    );
  });

  it('escapes a backslash and rejects one at the end of a wildcard', () => {
    expect(matches({ v: [{ wildcard: 'a\\\\*' }] }, { v: 'a\\bc' })).toBe(true);
    expect(() => compilePattern({ v: [{ wildcard: 'a\\' }] })).toThrow(/backslash/);
    expect(matches({ v: [{ wildcard: 'a*b' }] }, { v: 'a\nb' })).toBe(true);
  });
});

describe('more edges found by mutation testing', () => {
  const inBlock = (block: string, ip: string) => matches({ ip: [{ cidr: block }] }, { ip });

  it('rejects IPv6 groups of more than four hex digits or with other characters, and a second ::', () => {
    for (const ip of ['::12345', 'zz12::', '1234z::', '1:2:3:4:5:6:7:8::1::2'])
      expect(inBlock('::/0', ip), ip).toBe(false);
  });

  it('rejects text before or after a CIDR block', () => {
    expect(() => compilePattern({ ip: [{ cidr: 'x/10.0.0.0/8' }] })).toThrow(/not a CIDR block/);
    expect(() => compilePattern({ ip: [{ cidr: '10.0.0.0/8x' }] })).toThrow(/not a CIDR block/);
  });

  it('names the $or alternative a problem is in', () => {
    expect(() => compilePattern({ $or: [{ a: ['x'] }, { b: [] }] })).toThrow(
      'invalid event pattern at $or[1].b: an empty list',
    );
  });

  it('folds case as Unicode does: ß is ss, the Kelvin sign is k', () => {
    expect(matches({ v: [{ 'equals-ignore-case': 'STRASSE' }] }, { v: 'Straße' })).toBe(true);
    expect(matches({ v: [{ 'equals-ignore-case': 'k' }] }, { v: '\u212A' })).toBe(true);
  });

  it('takes a wildcard right after an escaped asterisk', () => {
    expect(matches({ v: [{ wildcard: 'a\\**' }] }, { v: 'a*bc' })).toBe(true);
    expect(matches({ v: [{ wildcard: 'a\\**' }] }, { v: 'abc' })).toBe(false);
  });
});

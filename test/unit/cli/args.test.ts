import { describe, expect, it } from 'vitest';
import { parseCommand, USAGE } from '../../../lib/cli/args.js';
import { UsageError } from '../../../lib/errors.js';

describe('parseCommand', () => {
  it('reads replay with several inputs and the common options', () => {
    expect(
      parseCommand([
        'replay',
        'events/',
        'trail.json.gz',
        '--json',
        '--now',
        '2025-06-01T00:00:00Z',
        '--verbose',
      ]),
    ).toEqual({
      kind: 'replay',
      inputs: ['events/', 'trail.json.gz'],
      options: { modes: {}, now: new Date('2025-06-01T00:00:00Z'), json: true, verbose: true },
    });
  });

  it('reads invoke with a function and an event file', () => {
    expect(parseCommand(['invoke', 'admin-policy', 'events/attach-role-policy-admin.json'])).toEqual({
      kind: 'invoke',
      functionName: 'admin-policy',
      eventFile: 'events/attach-role-policy-admin.json',
      options: { modes: {}, now: undefined, json: false, verbose: false },
    });
  });

  it('accepts - as an input, for standard input', () => {
    expect(parseCommand(['replay', '-'])).toMatchObject({ inputs: ['-'] });
  });

  it('sets every function to a bare --mode and one function to --mode name=mode, later flags winning', () => {
    const command = parseCommand(['replay', 'x', '--mode', 'notify', '--mode', 'admin-policy=enforce']);
    expect(command).toMatchObject({
      options: { modes: { 'access-keys': 'notify', 'admin-policy': 'enforce', 'inline-policy': 'notify' } },
    });
  });

  it('asks for help with no arguments, -h or --help', () => {
    expect(parseCommand([])).toEqual({ kind: 'help' });
    expect(parseCommand(['-h'])).toEqual({ kind: 'help' });
    expect(parseCommand(['replay', '--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['frob'], 'unknown command "frob"'],
    [['replay'], 'replay takes at least one file or directory'],
    [['invoke', 'access-keys'], 'invoke takes a function and one event file'],
    [['invoke', 'access-keys', 'a.json', 'b.json'], 'invoke takes a function and one event file'],
    [
      ['invoke', 'sweep', 'a.json'],
      'sweep is not a function: use one of access-keys, admin-policy, inline-policy',
    ],
    [['replay', 'x', '--mode', 'dry-run'], '--mode dry-run: the mode must be one of off, notify, enforce'],
    [['replay', 'x', '--mode', 'keys=notify'], '--mode keys=notify: keys is not a function'],
    [['replay', 'x', '--now', 'yesterday'], '--now yesterday: give an ISO 8601 date'],
    [['replay', 'x', '--now', '2025-06-01T00:00:00'], '--now 2025-06-01T00:00:00: give an ISO 8601 date'],
    [['replay', 'x', '--now', '2025-02-30'], '--now 2025-02-30: give an ISO 8601 date'],
    [['replay', 'x', '--frob'], "Unknown option '--frob'"],
    [['replay', 'x', '--now'], "Option '--now <value>' argument missing"],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('USAGE', () => {
  it('names both commands, every option and the exit statuses', () => {
    for (const text of [
      'invoke <function> <event-file>',
      'replay <file-or-dir>',
      '--mode',
      '--now',
      '--json',
    ]) {
      expect(USAGE).toContain(text);
    }
    expect(USAGE).toContain('Exit status: 0');
  });
});

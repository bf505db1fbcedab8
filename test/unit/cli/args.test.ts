import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../lib/cli/args.js';
import { helpText } from '../../../lib/cli/run.js';
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
      options: {
        modes: {},
        now: new Date('2025-06-01T00:00:00Z'),
        json: true,
        verbose: true,
        notify: true,
      },
    });
  });

  it('reads invoke with a function and an event file', () => {
    expect(parseCommand(['invoke', 'admin-policy', 'events/attach-role-policy-admin.json'])).toEqual({
      kind: 'invoke',
      functionName: 'admin-policy',
      eventFile: 'events/attach-role-policy-admin.json',
      options: { modes: {}, now: undefined, json: false, verbose: false, notify: true },
    });
  });

  it('turns notifications off with --no-notify, for replay and invoke', () => {
    expect(parseCommand(['replay', 'x', '--no-notify'])).toMatchObject({ options: { notify: false } });
    expect(parseCommand(['invoke', 'admin-policy', 'x.json', '--no-notify'])).toMatchObject({
      options: { notify: false },
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

  it.each([
    [['frob'], 'unknown command "frob"'],
    [['replay'], "missing required argument 'file-or-dir'"],
    [['invoke', 'access-keys'], "missing required argument 'event-file'"],
    [['invoke', 'access-keys', 'a.json', 'b.json'], 'too many arguments. Expected 2 arguments but got 3'],
    [
      ['invoke', 'sweep', 'a.json'],
      "value 'sweep' is invalid for argument 'function'. Allowed choices are access-keys, admin-policy, inline-policy",
    ],
    [['replay', 'x', '--mode', 'dry-run'], '--mode dry-run: the mode must be one of off, notify, enforce'],
    [['replay', 'x', '--mode', 'keys=notify'], '--mode keys=notify: keys is not a function'],
    [['replay', 'x', '--now', 'yesterday'], '--now yesterday: give an ISO 8601 date'],
    [['replay', 'x', '--now', '2025-06-01T00:00:00'], '--now 2025-06-01T00:00:00: give an ISO 8601 date'],
    [['replay', 'x', '--now', '2025-02-30'], '--now 2025-02-30: give an ISO 8601 date'],
    [['replay', 'x', '--frob'], "unknown option '--frob'"],
    [['replay', 'x', '--now'], "option '--now <time>' argument missing"],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('the help of invoke and replay', () => {
  it('names the arguments, every option and the exit statuses', () => {
    const invoke = helpText('invoke');
    const replay = helpText('replay');
    expect(invoke).toContain('Usage: iam-warden invoke [options] <function> <event-file>');
    expect(replay).toContain('Usage: iam-warden replay [options] <file-or-dir...>');
    for (const text of ['--mode <mode>', '--now <time>', '--json', '--verbose', 'Exit status: 0']) {
      expect(invoke).toContain(text);
      expect(replay).toContain(text);
    }
  });
});

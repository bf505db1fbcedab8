import { type Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';

/**
 * What the CLI takes from commander (MIT): parsing, per-command help, `help [command]`, `--version`,
 * suggestions for a mistyped command or option. Each command module defines its own arguments and options
 * on a commander `Command` and turns what was parsed into a typed value; validation beyond commander's
 * (modes, times, IDs) stays in the command module and throws `UsageError`.
 */

/** An option that may be given several times (`--mode a --mode b`), as a list in the order given. */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** commander's message without its `error: ` prefix, on one line (a suggestion comes on a line of its own). */
export function commanderMessage(error: CommanderError): string {
  return error.message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/**
 * Parse `args` (after the command's name) with a command definition alone, for tests and for callers that
 * run one command without the program around it. Throws `UsageError` for what commander rejects.
 */
export function parseCommandLine(command: Command, args: readonly string[]): Command {
  const silent = () => undefined;
  command.exitOverride().configureOutput({ writeOut: silent, writeErr: silent, outputError: silent });
  try {
    command.parse([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new UsageError(commanderMessage(error));
    throw error;
  }
  return command;
}

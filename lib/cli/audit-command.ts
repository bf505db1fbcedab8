import { ConfigError, describeError, UsageError } from '../errors.js';
import { HISTORY_USAGE, historyCommand } from './history.js';
import { type AuditCommandSetup, type CommandIo, RESTORE_USAGE, restoreCommand } from './restore.js';

/** The commands of the audit trail, by name, with their usage. */
const AUDIT_COMMANDS = {
  restore: { usage: RESTORE_USAGE, run: restoreCommand },
  history: { usage: HISTORY_USAGE, run: historyCommand },
} as const;

export type AuditCommandName = keyof typeof AUDIT_COMMANDS;

/** True when `name` is `restore` or `history`. */
export function isAuditCommand(name: string | undefined): name is AuditCommandName {
  return name !== undefined && Object.hasOwn(AUDIT_COMMANDS, name);
}

const CONFIG_HINT =
  "restore and history read the deployed functions' environment: set AUDIT_TABLE (and TOPIC_ARN) to the stack's AuditTableName (and NotificationTopicArn) outputs, with credentials for the account.";

/**
 * Run `iam-warden restore ...` or `iam-warden history ...` (`args` after the command name) and resolve to the
 * exit status: 0 done, 1 refused or failed, 2 usage or configuration error. Never throws: every error is
 * reported on `stderr`.
 */
export async function runAuditCommand(
  name: AuditCommandName,
  args: readonly string[],
  context: CommandIo & Omit<AuditCommandSetup, 'now'>,
): Promise<number> {
  const command = AUDIT_COMMANDS[name];
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(args, context, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`iam-warden: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      context.stderr.write(`iam-warden: ${error.message}\n${CONFIG_HINT}\n`);
      return 2;
    }
    const text = describeError(error);
    context.stderr.write(`iam-warden: ${name} failed: ${text}\n`);
    return 1;
  }
}

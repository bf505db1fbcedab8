/**
 * One errors module. Every error iam-warden raises on purpose is an `IamWardenError`, so callers can tell
 * "we refused or failed knowingly" from a bug. Messages name the action and the resource.
 */
export class IamWardenError extends Error {
  override name = 'IamWardenError';
}

/** The environment or a CLI flag holds a value iam-warden cannot run with. Raised at cold start. */
export class ConfigError extends IamWardenError {
  override name = 'ConfigError';
}

/** A command line iam-warden cannot make sense of (unknown command, missing argument, bad flag value). */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}

/** An EventBridge event pattern EventBridge would reject, or that uses an operator iam-warden does not know. */
export class InvalidPatternError extends IamWardenError {
  override name = 'InvalidPatternError';
}

/** An incoming event is not one iam-warden can act on (malformed, unexpected shape or name). */
export class InvalidEventError extends IamWardenError {
  override name = 'InvalidEventError';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An AWS call that iam-warden depends on failed; `cause` holds the SDK error. */
export class AwsCallError extends IamWardenError {
  override name = 'AwsCallError';
}

/** The before-state could not be recorded, so the remediation was not attempted. */
export class AuditWriteError extends IamWardenError {
  override name = 'AuditWriteError';
}

/** A restore was refused because the current state makes it unsafe or impossible. */
export class RestoreRefusedError extends IamWardenError {
  override name = 'RestoreRefusedError';
}

/** A sweep ended with offenders failed or not reached; raised after they are reported, so Lambda retries. */
export class SweepIncompleteError extends IamWardenError {
  override name = 'SweepIncompleteError';
}

/** A local tool iam-warden needs (moto_server, cfn-lint) is not installed. */
export class MissingToolError extends IamWardenError {
  override name = 'MissingToolError';
}

/** The name of an AWS SDK error (`NoSuchEntity`, `Throttling`...), or undefined for anything else. */
export function awsErrorName(error: unknown): string | undefined {
  if (error instanceof Error) return error.name;
  return undefined;
}

/** An error as decisions and logs name it: `Name: message` (no stack, no cause chain). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

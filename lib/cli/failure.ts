import { ConfigError, describeError, IamWardenError, InvalidPatternError, UsageError } from '../errors.js';
import { CLI_CONNECT_TIMEOUT_MS, connectionFailure } from './clients.js';

/** Exit statuses: done; work failed (an event, a call, a refusal); the command line or configuration is wrong. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

/** What the CLI prints for an error (one line, without the `iam-warden: ` prefix) and the status it exits with. */
export interface Failure {
  readonly message: string;
  readonly status: typeof EXIT_PROBLEM | typeof EXIT_USAGE;
}

/** Where an error happened, for the advice: the command, and the environment it ran with. */
export interface FailureContext {
  readonly command: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const CONFIG_ADVICE: Readonly<Record<string, string>> = {
  restore:
    "set AUDIT_TABLE and TOPIC_ARN to the stack's AuditTableName and NotificationTopicArn outputs, with credentials for the account",
  history:
    "set AUDIT_TABLE and TOPIC_ARN to the stack's AuditTableName and NotificationTopicArn outputs, with credentials for the account",
  redrive:
    "set TOPIC_ARN, AUDIT_TABLE and IDEMPOTENCY_TABLE to the stack's NotificationTopicArn, AuditTableName and IdempotencyTableName outputs",
};
const DEFAULT_CONFIG_ADVICE =
  "the CLI reads the deployed functions' environment: set TOPIC_ARN and AUDIT_TABLE to the stack's NotificationTopicArn and AuditTableName outputs, or run `npm run demo -- --keep` for an emulator";

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** One line, whatever the message held (a JSON parser's excerpt of a file, an SDK's multi-line text). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** zod's wording for a missing variable, as a person would say it. */
function plainConfig(message: string): string {
  return message.replace(/Invalid input: expected string, received undefined/g, 'not set');
}

function helpHint(command: string | undefined): string {
  return command === undefined ? 'iam-warden --help' : `iam-warden ${command} --help`;
}

function endpointOf(context: FailureContext): string {
  const { env } = context;
  const endpoint = env.AWS_ENDPOINT_URL;
  return endpoint === undefined ? 'the AWS endpoint' : `AWS_ENDPOINT_URL ${endpoint}`;
}

function describeConnection(error: NodeJS.ErrnoException, context: FailureContext): string {
  const detail = error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const where =
    detail.hostname ??
    (detail.address ? `${detail.address}${detail.port ? `:${detail.port}` : ''}` : undefined);
  const target = where === undefined ? endpointOf(context) : where;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `cannot reach ${target}: connection refused. Is the endpoint running? Check ${endpointOf(context)}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach ${target}: the name does not resolve (DNS). Check the host name in ${endpointOf(context)} and AWS_REGION, and the network`;
    case 'ETIMEDOUT':
      return `cannot reach ${endpointOf(context)}: no connection within ${CLI_CONNECT_TIMEOUT_MS / 1000} s. Check the network, a proxy or firewall, and the endpoint`;
    default:
      return `cannot reach ${target}: ${error.code}. Check the network and ${endpointOf(context)}`;
  }
}

/** The SDK's errors that name what to fix, by error name. */
function describeAwsError(error: Error): Failure | undefined {
  const message = oneLine(error.message);
  switch (error.name) {
    case 'CredentialsProviderError':
      return {
        status: EXIT_USAGE,
        message: `no AWS credentials: ${message}. Set AWS_PROFILE (after aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      };
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'RequestExpired':
      return {
        status: EXIT_USAGE,
        message: `the AWS credentials have expired (${error.name}): refresh them (aws sso login, or new keys) and run again`,
      };
    case 'InvalidClientTokenId':
    case 'UnrecognizedClientException':
    case 'SignatureDoesNotMatch':
      return {
        status: EXIT_USAGE,
        message: `the AWS credentials are not valid (${error.name}): check AWS_PROFILE or the access key in the environment`,
      };
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'AuthorizationError':
      return {
        status: EXIT_PROBLEM,
        message: `access denied: ${message}. Run with credentials allowed to do this (README: Command line)`,
      };
    case 'QueueDoesNotExist':
    case 'AWS.SimpleQueueService.NonExistentQueue':
      return {
        status: EXIT_USAGE,
        message: `the queue does not exist (${message}): give the failed-events queue's URL, the stack's FailedEventsQueueUrl output, in this account and AWS_REGION`,
      };
    case 'ResourceNotFoundException':
      return {
        status: EXIT_USAGE,
        message: `a DynamoDB table is missing (${message}): check AUDIT_TABLE (and IDEMPOTENCY_TABLE) against the stack's outputs and AWS_REGION`,
      };
    case 'NotFound':
    case 'NotFoundException':
      return {
        status: EXIT_USAGE,
        message: `not found (${message}): check TOPIC_ARN against the stack's NotificationTopicArn output and AWS_REGION`,
      };
    default:
      if (/^Region is missing/.test(error.message)) {
        return {
          status: EXIT_USAGE,
          message: 'no AWS region: set AWS_REGION (iam-warden runs in us-east-1)',
        };
      }
      return undefined;
  }
}

function knownCause(error: unknown): Failure | undefined {
  let cause: unknown = error;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++, cause = cause.cause) {
    const known = describeAwsError(cause);
    if (known !== undefined) return known;
  }
  return undefined;
}

/**
 * True for an error about where and as whom the CLI runs (an endpoint that cannot be reached, missing or
 * expired credentials, a missing table or queue), not about the event at hand: it ends the command.
 */
export function isEnvironmentFailure(error: unknown): boolean {
  return connectionFailure(error) !== undefined || knownCause(error) !== undefined;
}

/**
 * What the CLI says about an error that ends a command: one line with the cause and what to do, and the exit
 * status (2 for the command line or the configuration, 1 for work that failed). Never a stack trace.
 */
export function explainFailure(error: unknown, context: FailureContext): Failure {
  const { command } = context;
  if (error instanceof UsageError) {
    return { status: EXIT_USAGE, message: `${oneLine(error.message)} (see ${helpHint(command)})` };
  }
  if (error instanceof ConfigError) {
    const advice = (command && CONFIG_ADVICE[command]) ?? DEFAULT_CONFIG_ADVICE;
    return { status: EXIT_USAGE, message: `${oneLine(plainConfig(error.message))}. ${advice}` };
  }
  if (error instanceof InvalidPatternError) {
    return { status: EXIT_USAGE, message: `template.yaml: ${oneLine(error.message)}` };
  }
  const connection = connectionFailure(error);
  if (connection !== undefined) {
    return { status: EXIT_PROBLEM, message: describeConnection(connection, context) };
  }
  const known = knownCause(error);
  if (known !== undefined) return known;
  const prefix = command === undefined ? '' : `${command} failed: `;
  // Our own errors and AWS's answers (service exceptions carry `$metadata`) say what happened; anything else
  // is a bug, whose stack is worth having.
  if (error instanceof IamWardenError || field(error, '$metadata') !== undefined) {
    return { status: EXIT_PROBLEM, message: `${prefix}${oneLine(describeError(error))}` };
  }
  return {
    status: EXIT_PROBLEM,
    message: `${prefix}${oneLine(describeError(error))} (unexpected: --verbose prints its stack trace)`,
  };
}

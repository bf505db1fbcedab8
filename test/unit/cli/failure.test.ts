import { describe, expect, it } from 'vitest';
import { EXIT_PROBLEM, EXIT_USAGE, explainFailure } from '../../../lib/cli/failure.js';
import { AwsCallError, ConfigError, UsageError } from '../../../lib/errors.js';

const context = { command: 'redrive', env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } };

function named(name: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('explainFailure', () => {
  it('gives usage and configuration errors exit 2 with a hint or what to set', () => {
    expect(explainFailure(new UsageError('bad'), context)).toEqual({
      status: EXIT_USAGE,
      message: 'bad (see iam-warden redrive --help)',
    });
    const config = explainFailure(
      new ConfigError(
        'invalid iam-warden configuration: TOPIC_ARN: Invalid input: expected string, received undefined',
      ),
      context,
    );
    expect(config.status).toBe(EXIT_USAGE);
    expect(config.message).toMatch(/^invalid iam-warden configuration: TOPIC_ARN: not set\. set TOPIC_ARN/);
  });

  it('names the endpoint that refused the connection, exit 1', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 9,
    });
    expect(explainFailure(new AwsCallError('x', { cause: refused }), context)).toEqual({
      status: EXIT_PROBLEM,
      message:
        'cannot reach 127.0.0.1:9: connection refused. Is the endpoint running? Check AWS_ENDPOINT_URL http://127.0.0.1:9',
    });
  });

  it.each([
    [named('QueueDoesNotExist', 'The specified queue does not exist.'), EXIT_USAGE, /FailedEventsQueueUrl/],
    [
      named('CredentialsProviderError', 'Could not load credentials from any providers'),
      EXIT_USAGE,
      /AWS_PROFILE/,
    ],
    [
      named('ExpiredToken', 'The security token included in the request is expired'),
      EXIT_USAGE,
      /refresh them/,
    ],
    [named('AccessDenied', 'User: x is not authorized'), EXIT_PROBLEM, /^access denied: User: x/],
    [named('ResourceNotFoundException', 'Requested resource not found'), EXIT_USAGE, /AUDIT_TABLE/],
  ])('explains %s and what to do', (error, status, text) => {
    const failure = explainFailure(error, context);
    expect(failure.status).toBe(status);
    expect(failure.message).toMatch(text);
  });

  it('reports an AWS error as the command failing, and a bug as unexpected, each on one line', () => {
    const service = named('ServiceFailure', 'IAM is\ndown', { $metadata: {} });
    expect(explainFailure(service, context)).toEqual({
      status: EXIT_PROBLEM,
      message: 'redrive failed: ServiceFailure: IAM is down',
    });
    expect(explainFailure(new TypeError('x is undefined'), context)).toEqual({
      status: EXIT_PROBLEM,
      message: 'redrive failed: TypeError: x is undefined (unexpected: --verbose prints its stack trace)',
    });
  });
});

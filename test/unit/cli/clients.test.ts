import type { RetryErrorInfo, SdkError } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { CLI_CONNECTION_RETRIES, CliRetryStrategy, connectionFailure } from '../../../lib/cli/clients.js';

function errno(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

function info(error: Error, errorType: RetryErrorInfo['errorType'] = 'TRANSIENT'): RetryErrorInfo {
  return { error: error as SdkError, errorType };
}

describe('connectionFailure', () => {
  it('finds a refused, unresolvable or timed-out connection in the error, its causes or an AggregateError', () => {
    expect(connectionFailure(errno('ECONNREFUSED'))?.code).toBe('ECONNREFUSED');
    expect(connectionFailure(errno('ENOTFOUND'))?.code).toBe('ENOTFOUND');
    expect(connectionFailure(new Error('wrapped', { cause: errno('EAI_AGAIN') }))?.code).toBe('EAI_AGAIN');
    const both = Object.assign(new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')]), {
      code: 'ECONNREFUSED',
    });
    expect(connectionFailure(both)?.code).toBe('ECONNREFUSED');
    const timeout = Object.assign(
      new Error('the request socket did not establish a connection with the server within 3000 ms'),
      { name: 'TimeoutError' },
    );
    expect(connectionFailure(timeout)?.code).toBe('ETIMEDOUT');
  });

  it('leaves throttling and a reset connection alone', () => {
    expect(
      connectionFailure(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })),
    ).toBeUndefined();
    expect(connectionFailure(errno('ECONNRESET'))).toBeUndefined();
  });
});

describe('CliRetryStrategy', () => {
  it('retries a failed connection once, quickly, then gives up', async () => {
    const strategy = new CliRetryStrategy();
    const first = await strategy.acquireInitialRetryToken();
    const retry = await strategy.refreshRetryTokenForRetry(first, info(errno('ECONNREFUSED')));
    expect(retry.getRetryCount()).toBe(CLI_CONNECTION_RETRIES);
    expect(retry.getRetryDelay()).toBeLessThanOrEqual(500);
    await expect(strategy.refreshRetryTokenForRetry(retry, info(errno('ECONNREFUSED')))).rejects.toThrow(
      'no retry',
    );
  });

  it("retries throttling with the functions' budget", async () => {
    const strategy = new CliRetryStrategy();
    let token = await strategy.acquireInitialRetryToken();
    const throttled = info(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }), 'THROTTLING');
    for (let attempt = 1; attempt <= 9; attempt++) {
      token = await strategy.refreshRetryTokenForRetry(token, throttled);
      expect(token.getRetryCount()).toBe(attempt);
    }
    await expect(strategy.refreshRetryTokenForRetry(token, throttled)).rejects.toThrow('no retry');
  });
});

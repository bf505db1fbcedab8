import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

export interface RetryBudgetOptions {
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  /** Retry tokens shared by all calls of a client; a retry costs 5 (10 after a timeout), a success refunds. */
  readonly budget: number;
  readonly baseDelayMs: number;
  readonly throttlingBaseDelayMs: number;
  readonly maxDelayMs: number;
  readonly random?: () => number;
}

/**
 * The SDK's standard retry strategy, with a retry budget sized for bursts. The SDK's own budget holds 500
 * tokens at 5 per retry: about 100 throttled retries and every later throttle fails at once, which is
 * exactly when a burst of IAM events (or a sweep) needs retries most. IAM throttles per account, so the
 * backoff starts at 500 ms for throttling, with full jitter, capped at `maxDelayMs`.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export class BudgetedRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private tokens: number;

  constructor(private readonly options: RetryBudgetOptions) {
    this.tokens = options.budget;
  }

  async acquireInitialRetryToken(): Promise<StandardRetryToken> {
    return token(0, 0, undefined);
  }

  async refreshRetryTokenForRetry(
    previous: StandardRetryToken,
    info: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    const cost = info.errorType === 'TRANSIENT' ? 10 : 5;
    const attempt = previous.getRetryCount() + 1;
    if (info.errorType === 'CLIENT_ERROR' || attempt >= this.options.maxAttempts || this.tokens < cost) {
      throw new Error('no retry: not retryable, attempts exhausted, or retry budget spent');
    }
    this.tokens -= cost;
    const base =
      info.errorType === 'THROTTLING' ? this.options.throttlingBaseDelayMs : this.options.baseDelayMs;
    const jittered = Math.floor((this.options.random ?? Math.random)() * base * 2 ** (attempt - 1));
    const hinted = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : 0;
    return token(attempt, Math.min(this.options.maxDelayMs, Math.max(jittered, hinted)), cost);
  }

  recordSuccess(succeeded: StandardRetryToken): void {
    this.tokens = Math.min(this.options.budget, this.tokens + (succeeded.getRetryCost() ?? 1));
  }

  /** Tokens left; for tests and benchmarks. */
  remaining(): number {
    return this.tokens;
  }
}

function token(count: number, delay: number, cost: number | undefined): StandardRetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => delay, getRetryCost: () => cost };
}

/** What iam-warden's clients use: 10 attempts, 1,000 throttled retries' worth of budget, delays up to 20 s. */
export const IAM_WARDEN_RETRY: Readonly<RetryBudgetOptions> = Object.freeze({
  maxAttempts: 10,
  budget: 5000,
  baseDelayMs: 100,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 20_000,
});

/**
 * A fresh strategy (its own budget) with iam-warden's settings. `overrides` exist for tests and benchmarks,
 * which keep the attempts and the budget but cannot wait 20 s per retry.
 */
export function iamWardenRetryStrategy(overrides: Partial<RetryBudgetOptions> = {}): BudgetedRetryStrategy {
  return new BudgetedRetryStrategy({ ...IAM_WARDEN_RETRY, ...overrides });
}

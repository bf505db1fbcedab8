import type { IAMClient } from '@aws-sdk/client-iam';

export interface RateLimiterOptions {
  /** Calls allowed per second on average; `Infinity` disables the limit. */
  readonly ratePerSecond: number;
  /**
   * Calls allowed back to back before spacing starts. 1 (the default) spaces every call `1 / rate` seconds
   * apart, so no one-second window ever holds more than `rate` calls plus one.
   */
  readonly burst?: number;
  /** Milliseconds from any fixed origin (default `performance.now()`); injected by tests. */
  readonly now?: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * A token bucket in its GCRA form: each `take()` reserves the next free slot synchronously and then waits for
 * it, so concurrent callers are served in call order without a queue and the rate holds whatever the
 * concurrency.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Theoretical arrival time of the next call. */
  private nextAt = Number.NEGATIVE_INFINITY;
  private waitedMs = 0;

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be greater than 0');
    const burst = options.burst ?? 1;
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError('burst must be a whole number >= 1');
    this.intervalMs = 1000 / options.ratePerSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep;
  }

  /** Resolves when the caller may make one call. */
  async take(): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = this.now();
    const at = Math.max(this.nextAt, now);
    this.nextAt = at + this.intervalMs;
    const waitMs = at - this.toleranceMs - now;
    if (waitMs > 0) {
      this.waitedMs += waitMs;
      await this.sleep(waitMs);
    }
  }

  /** Total time callers were asked to wait, for reports. */
  get totalWaitMs(): number {
    return this.waitedMs;
  }
}

type Send = Pick<IAMClient, 'send'>['send'];

/**
 * The operation an SDK command calls (`ListAccessKeys`), from its operation schema
 * (`[9, namespace, name, traits, input, output]`, @smithy/types' `StaticOperationSchema`). Not the class
 * name: the bundles are minified, and `ListAccessKeysCommand` becomes `Jc`.
 */
export function operationName(command: { schema?: unknown; constructor: { name: string } }): string {
  const schema = command.schema;
  if (Array.isArray(schema) && schema[0] === 9 && typeof schema[2] === 'string') return schema[2];
  return command.constructor.name.replace(/Command$/, '');
}

/** An IAM client that waits for the rate limiter before each call and counts calls per operation. */
export interface MeteredIam extends Pick<IAMClient, 'send'> {
  /** Calls sent (not SDK retry attempts), by operation name (`ListAccessKeys`). */
  readonly calls: Readonly<Record<string, number>>;
  total(): number;
}

/**
 * Wrap an IAM client so that every call goes through `limiter` (when given) and is counted by operation. IAM
 * throttles per account, and the budget is shared with every other caller in it (pipelines, Terraform): the
 * sweep must stay under a rate it is given, not race whatever the account can bear. SDK retries happen
 * inside `send` and are not counted again.
 */
export function meterIam(iam: Pick<IAMClient, 'send'>, limiter?: RateLimiter): MeteredIam {
  const calls: Record<string, number> = {};
  const send = (async (command: { schema?: unknown; constructor: { name: string } }, ...rest: unknown[]) => {
    const operation = operationName(command);
    calls[operation] = (calls[operation] ?? 0) + 1;
    await limiter?.take();
    return (iam.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
  }) as Send;
  return {
    send,
    calls,
    total: () => Object.values(calls).reduce((sum, count) => sum + count, 0),
  };
}

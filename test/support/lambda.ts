import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { MOTO_ACCOUNT } from './events.js';

/**
 * Lambda's asynchronous invocation, as EventBridge uses it, simulated closely enough to test what iam-warden
 * relies on: at most `concurrency` execution environments per function (ReservedConcurrentExecutions), each
 * created once and reused (module-scope clients live as long as it does); an invocation that throws is retried
 * twice (MaximumRetryAttempts: 2), later, without holding an environment while it waits; then the event goes
 * to the on-failure destination as Lambda's destination record.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */

/** A Lambda handler as `createHandler` makes it. */
export type LambdaHandler<R> = (event: unknown, context: Context) => Promise<R>;

/**
 * What Lambda sends to an on-failure destination once it gives up on an event.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export interface FailureRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetriesExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: 200;
    readonly executedVersion: '$LATEST';
    readonly functionError: 'Unhandled';
  };
  readonly responsePayload: { readonly errorType: string; readonly errorMessage: string };
}

/** How an event ended: the handler's result, or the failure record sent to the destination. */
export type Settled<R> =
  | { readonly kind: 'succeeded'; readonly result: R; readonly attempts: number }
  | { readonly kind: 'dead-lettered'; readonly record: FailureRecord; readonly attempts: number };

export interface SimulatedFunctionOptions<R> {
  /** The function's name, as in its ARN. */
  readonly name: string;
  /** ReservedConcurrentExecutions. */
  readonly concurrency: number;
  /** Makes one execution environment: runs once per environment, like a handler module's top level. */
  readonly environment: () => LambdaHandler<R>;
  /**
   * The waits before the second and third attempts. Lambda waits about 1 and 2 minutes; tests scale that down,
   * keeping it longer than an invocation so a duplicate still in progress has finished by its retry.
   */
  readonly retryDelaysMs: readonly [number, number];
  /** The on-failure destination: receives the record once every attempt failed. */
  readonly onFailure: (record: FailureRecord) => Promise<void>;
  /** The function timeout, which `getRemainingTimeInMillis` counts down from. */
  readonly timeoutMs?: number;
}

interface Pending<R> {
  readonly event: unknown;
  readonly requestId: string;
  readonly attempt: number;
  readonly settle: (settled: Settled<R>) => void;
}

export class SimulatedFunction<R> {
  readonly arn: string;
  /** Invocations run, retries included. */
  invocations = 0;
  /** Invocations that threw. */
  errors = 0;
  /** Environments created (cold starts). */
  environments = 0;
  private readonly queue: Pending<R>[] = [];
  private readonly idle: LambdaHandler<R>[] = [];
  private running = 0;

  constructor(private readonly options: SimulatedFunctionOptions<R>) {
    this.arn = `arn:aws:lambda:us-east-1:${MOTO_ACCOUNT}:function:${options.name}`;
  }

  /** Deliver an event asynchronously (`InvocationType: Event`); resolves once it succeeded or was dead-lettered. */
  invoke(event: unknown): Promise<Settled<R>> {
    return new Promise((settle) => {
      // EventBridge hands Lambda a serialized event: each delivery parses its own copy.
      this.queue.push({ event: structuredClone(event), requestId: randomUUID(), attempt: 1, settle });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.concurrency) {
      const pending = this.queue.shift();
      if (pending === undefined) return;
      this.running++;
      let handler = this.idle.pop();
      if (handler === undefined) {
        handler = this.options.environment();
        this.environments++;
      }
      const environment = handler;
      void this.run(environment, pending).finally(() => {
        this.running--;
        this.idle.push(environment);
        this.pump();
      });
    }
  }

  private async run(handler: LambdaHandler<R>, pending: Pending<R>): Promise<void> {
    this.invocations++;
    try {
      const result = await handler(structuredClone(pending.event), this.context(pending.requestId));
      pending.settle({ kind: 'succeeded', result, attempts: pending.attempt });
    } catch (error) {
      this.errors++;
      const delay = this.options.retryDelaysMs[pending.attempt - 1];
      if (delay !== undefined) {
        setTimeout(() => {
          this.queue.push({ ...pending, attempt: pending.attempt + 1 });
          this.pump();
        }, delay);
        return;
      }
      const record = failureRecord(this.arn, pending, error);
      await this.options.onFailure(record);
      pending.settle({ kind: 'dead-lettered', record, attempts: pending.attempt });
    }
  }

  private context(requestId: string): Context {
    const deadline = Date.now() + (this.options.timeoutMs ?? 120_000);
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName: this.options.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arn,
      memoryLimitInMB: '256',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.options.name}`,
      logStreamName: 'simulated',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }
}

function failureRecord(
  functionArn: string,
  pending: { readonly event: unknown; readonly requestId: string; readonly attempt: number },
  error: unknown,
): FailureRecord {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: pending.requestId,
      functionArn: `${functionArn}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: pending.attempt,
    },
    requestPayload: pending.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: {
      errorType: error instanceof Error ? error.name : 'Error',
      errorMessage: error instanceof Error ? error.message : String(error),
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { RuleName } from '../config.js';
import type { Deps } from '../deps.js';
import { createHandler } from '../handler.js';
import type { Decision } from '../plan.js';
import { RULES_BY_FUNCTION } from '../rules/index.js';

/** The template's function timeout, which `getRemainingTimeInMillis` counts down from. */
const TIMEOUT_MS = 120_000;

/**
 * A Lambda context good enough for the handler's middleware (Powertools reads the function name, version,
 * ARN, memory and request ID into every log line). Names say it is local, so logs cannot be mistaken for
 * a deployed function's.
 */
export function localContext(functionName: RuleName): Context {
  const name = `iam-warden-local-${functionName}`;
  const deadline = Date.now() + TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Run a function's Lambda handler (middleware included) on one event, as `sam local invoke` would, and return
 * its decision. Throws what the handler throws: for Lambda, an error means "retry this event".
 */
export async function invokeFunction(functionName: RuleName, deps: Deps, event: unknown): Promise<Decision> {
  const handler = createHandler(RULES_BY_FUNCTION[functionName], deps);
  return handler(event, localContext(functionName));
}

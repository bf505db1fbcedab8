import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Deps } from './deps.js';
import { handleEvent } from './pipeline.js';
import type { Decision } from './plan.js';
import type { Rule } from './rules/rule.js';

/**
 * A Lambda handler for one rule: Powertools logging with the Lambda context, then the pipeline.
 * Validation happens inside the pipeline so that a malformed event becomes a reported `rejected` decision
 * (with its reason) rather than an exception Lambda would retry in vain.
 */
export function createHandler<T>(rule: Rule<T>, deps: Deps) {
  return middy<unknown, Decision>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler((event) => handleEvent(rule, deps, event));
}

import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler, idempotencyStore } from '../../lib/handler.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';

const config = loadConfig();
export const handler = createHandler(inlinePolicyRule, createDeps(config), idempotencyStore(config));

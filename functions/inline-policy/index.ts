import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler } from '../../lib/handler.js';
import { inlinePolicyRule } from '../../lib/rules/inline-policy.js';

export const handler = createHandler(inlinePolicyRule, createDeps(loadConfig()));

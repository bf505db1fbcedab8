import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler, idempotencyStore } from '../../lib/handler.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';

const config = loadConfig();
export const handler = createHandler(adminPolicyRule, createDeps(config), idempotencyStore(config));

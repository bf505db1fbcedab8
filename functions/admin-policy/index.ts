import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler } from '../../lib/handler.js';
import { adminPolicyRule } from '../../lib/rules/admin-policy.js';

export const handler = createHandler(adminPolicyRule, createDeps(loadConfig()));

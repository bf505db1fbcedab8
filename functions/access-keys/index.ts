import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler, idempotencyStore } from '../../lib/handler.js';
import { accessKeysRule } from '../../lib/rules/access-keys.js';

const config = loadConfig();
export const handler = createHandler(accessKeysRule, createDeps(config), idempotencyStore(config));

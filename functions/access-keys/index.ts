import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createHandler } from '../../lib/handler.js';
import { accessKeysRule } from '../../lib/rules/access-keys.js';

export const handler = createHandler(accessKeysRule, createDeps(loadConfig()));

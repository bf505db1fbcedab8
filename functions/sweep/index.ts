import { createDeps } from '../../lib/aws.js';
import { loadConfig } from '../../lib/config.js';
import { createSweepHandler } from '../../lib/sweep-handler.js';

export const handler = createSweepHandler(createDeps(loadConfig()));

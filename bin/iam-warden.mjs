#!/usr/bin/env node
// The iam-warden CLI runs the TypeScript sources directly: tsx (a runtime dependency) compiles them on load,
// so `npx iam-warden` works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/main.ts');

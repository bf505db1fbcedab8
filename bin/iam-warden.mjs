#!/usr/bin/env node
// The iam-warden CLI runs the TypeScript sources directly: tsx (a runtime dependency) compiles them on load,
// so `npx iam-warden` works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

// The CLI supports Node.js 20.19 and later (package.json engines). Under Node 20 the AWS SDK prints a
// 9-line NodeVersionSupportWarning on every run, about SDK versions published after January 2027; the
// lockfile pins the SDK, so it does not concern this CLI. The SDK's documented switch turns it off
// (https://github.com/aws/aws-sdk-js-v3/issues/7983); a value the user set is left as it is.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../lib/cli/main.ts');

import { runCli } from './run.js';

/**
 * The `iam-warden` command (bin/iam-warden.mjs loads it through tsx). The only module of the CLI that touches
 * `process`: everything else takes its environment and streams as arguments.
 */
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  },
  ...(process.stderr.isTTY ? { progress: process.stderr } : {}),
  stdoutIsTerminal: process.stdout.isTTY === true,
});

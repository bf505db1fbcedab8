import { Logger } from '@aws-lambda-powertools/logger';

/** Where the CLI writes: process.stdout and process.stderr, or a test's buffers. */
export interface Output {
  write(text: string): unknown;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * The functions' logger, writing to standard error: Powertools prints INFO and DEBUG on standard output, where
 * the CLI's report goes. Its console is private in the type and called with one string per log line, hence
 * the assignment of a minimal one. Silent unless `verbose`. `onLog` hears every message, logged or not (the
 * progress line counts the decisions it sees go by).
 */
export function cliLogger(verbose: boolean, stderr: Output, onLog?: (message: string) => void): Logger {
  const logger = new Logger({ serviceName: 'iam-warden', logLevel: verbose ? 'DEBUG' : 'SILENT' });
  const write = (line: string) => {
    stderr.write(`${line}\n`);
  };
  Object.assign(logger, {
    console: { log: write, info: write, debug: write, warn: write, error: write, trace: write },
  });
  if (onLog !== undefined) {
    for (const level of LEVELS) {
      const original = logger[level].bind(logger) as (...args: unknown[]) => void;
      Object.assign(logger, {
        [level]: (...args: unknown[]) => {
          if (typeof args[0] === 'string') onLog(args[0]);
          original(...args);
        },
      });
    }
  }
  return logger;
}

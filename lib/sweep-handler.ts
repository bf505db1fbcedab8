import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import type { Deps } from './deps.js';
import { SweepIncompleteError } from './errors.js';
import { MIDDY_OPTIONS } from './middy.js';
import { runSweep, type SweepReport } from './sweep.js';
import './zod.js';

/**
 * What a schedule delivers: an EventBridge "Scheduled Event" (`id`, `time`, `account`, `region`) from a schedule
 * rule; anything else (a manual invoke with `{}`) is accepted too, and named by the Lambda request ID.
 */
const scheduledEventSchema = z.looseObject({
  id: z.optional(z.string().check(z.minLength(1))),
  account: z.optional(z.string().check(z.regex(/^\d{12}$/))),
  region: z.optional(z.string().check(z.minLength(1))),
});

/** The report without its list of decisions, which the logs already hold one by one. */
export type SweepSummary = Omit<SweepReport, 'decisions'>;

/**
 * The sweep's Lambda handler. The run is named by the scheduled event's `id`, which Lambda keeps when it retries
 * an asynchronous invocation (as it keeps the request ID for other payloads): a retry resumes the first
 * attempt's audit records, while the next day's run gets new ones. It stops starting offenders a minute before
 * the function's timeout. When offenders failed or were not reached it throws after reporting them, so Lambda
 * retries and, in the end, the failure destination and its alarm tell people.
 */
export function createSweepHandler(deps: Deps) {
  return middy<unknown, SweepSummary>(MIDDY_OPTIONS)
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .handler(async (event, context) => {
      const parsed = scheduledEventSchema.safeParse(event ?? {});
      const scheduled = parsed.success ? parsed.data : {};
      const report = await runSweep(deps, {
        runId: scheduled.id ?? context.awsRequestId,
        ...(scheduled.account ? { account: scheduled.account } : {}),
        ...(scheduled.region ? { region: scheduled.region } : {}),
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
      const { decisions: _, ...summary } = report;
      if (report.failed > 0 || report.deferred > 0) {
        throw new SweepIncompleteError(
          `sweep ${report.runId}: ${report.failed} failed, ${report.deferred} not reached before the timeout`,
        );
      }
      return summary;
    });
}

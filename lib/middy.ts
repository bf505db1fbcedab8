/**
 * middy's settings for every iam-warden handler. No early timeout: by default middy (6.x) throws `TimeoutError`
 * 5 ms before the deadline but leaves the handler running, so the invocation ends as an ordinary error, Lambda
 * freezes rather than resets the environment, and the unfinished pipeline resumes when the environment is
 * thawed for a later event (an IAM write long after its checks, beside the retry Lambda already made). At a
 * real timeout Lambda ends the environment with the work in it.
 */
export const MIDDY_OPTIONS = { timeoutEarlyInMillis: 0 } as const;

import * as z from 'zod/mini';
import { FOREIGN_KEY_ACTIONS, type ForeignKeyAction } from './decisions/access-keys.js';
import { REPEAT_OFFENDER_ACTIONS, type RepeatOffenderAction } from './decisions/quarantine.js';
import { ConfigError } from './errors.js';
import { coercedNumber } from './zod.js';

/** What a remediation does when it finds something: nothing, tell people, or act and tell people. */
export const MODES = ['off', 'notify', 'enforce'] as const;
export type Mode = (typeof MODES)[number];

/** The remediations, named as everywhere else: function folders, message attribute `rule`, CLI arguments. */
export const RULES = ['access-keys', 'admin-policy', 'inline-policy'] as const;
export type RuleName = (typeof RULES)[number];

export interface Config {
  /** SNS topic for people. */
  readonly topicArn: string;
  /**
   * The deployment's partition (`aws`, `aws-cn`, `aws-us-gov`...), read from `TOPIC_ARN`: the stack creates the
   * topic, so it is in the partition the functions run in. Audit records, grace lookups, history and restore
   * file resources under `arn:<partition>:iam::<account>:...`; it is never guessed from an event, whose caller
   * may have no ARN (a change made by an AWS service).
   */
  readonly partition: string;
  /** DynamoDB table holding the before-state of every change (see lib/audit.ts). */
  readonly auditTable: string;
  /** DynamoDB table for Powertools idempotency; unset disables idempotency (local one-off runs). */
  readonly idempotencyTable: string | undefined;
  /** EventBridge bus receiving one `source: iam-warden` result event per decision. */
  readonly eventBusName: string;
  /**
   * `off` only from the command line's `--no-notify`: decisions are made, recorded and printed, and nothing is
   * published (no SNS message, no result event). The functions always publish.
   */
  readonly notifications?: 'off';
  readonly maxKeyAgeDays: number;
  /**
   * The customer's designated admin roles: role name globs and role ARNs (break-glass roles belong here, by ARN).
   * The built-in admin roles of AWS's tools are not patterns: see lib/decisions/admin-roles.ts.
   */
  readonly adminRolePatterns: readonly string[];
  readonly modes: Readonly<Record<RuleName, Mode>>;
  /** ARNs of iam-warden's own execution roles: events they cause are never acted on (loop guard). */
  readonly ownRoleArns: readonly string[];
  /** Opt-in exemption tag key; unset means tags are never read. */
  readonly exemptTagKey: string | undefined;
  /** The value the exemption tag must have, exactly: any other value does not exempt. */
  readonly exemptTagValue: string;
  /** What to do about an access key made or re-activated for a user by another principal. */
  readonly foreignKeyAction: ForeignKeyAction;
  /** How long a target that is missing is retried before the event is recorded as "target gone". */
  readonly notFoundRetrySeconds: number;
  /** After `iam-warden restore`, matching events for the resource only notify for this long. */
  readonly restoreGraceHours: number;
  /** A resource remediated this many times by one rule within `repeatWindowHours` is escalated, not fought. */
  readonly repeatLimit: number;
  readonly repeatWindowHours: number;
  /** Past the repeat limit: only escalate (`alert`), or also attach the deny-all policy to the repeater. */
  readonly repeatOffenderAction: RepeatOffenderAction;
  /** The stack's deny-all managed policy that `quarantine` attaches; required with it. */
  readonly quarantinePolicyArn: string | undefined;
  /**
   * The sweep's ceiling on IAM calls per second. IAM throttles per account, and every other caller in the
   * account (pipelines, Terraform, consoles) draws on the same budget, so the sweep leaves it most of it.
   */
  readonly iamCallsPerSecond: number;
  /** The sweep tells a key's owner this many days before the key is deactivated; 0 turns warnings off. */
  readonly earlyWarningDays: number;
  /**
   * The blast-radius cap: the most *standing* changes (keys that aged, findings the sweep cannot date to the
   * last day) one sweep run makes; past it, the rest wait for a person (`iam-warden sweep --confirm`). Undoing a
   * fresh grant is never capped. At least 1: the cap bounds what a run changes, it does not switch it off.
   */
  readonly maxActionsPerRun: number;
}

const list = z.pipe(
  z.optional(z.string()),
  z.transform((value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ),
);

// `notify` unless enforce is chosen: a first deployment, or a CLI run against a real account, reports what it
// would do and changes nothing in IAM.
const mode = z._default(z.enum(MODES, { error: `must be one of ${MODES.join(', ')}` }), 'notify');

/** A number from the environment, within bounds, whole when `whole` says so, with a default. */
function number(options: { min: number; max: number; fallback: number; whole?: boolean; unit?: string }) {
  const unit = options.unit ? ` ${options.unit}` : '';
  const checks = [
    z.minimum(options.min, `must be at least ${options.min}${unit}`),
    z.maximum(options.max, `must be at most ${options.max}${unit}`),
  ];
  const schema = options.whole
    ? coercedNumber().check(z.refine(Number.isInteger, `must be a whole number${unit}`), ...checks)
    : coercedNumber().check(...checks);
  return z._default(schema, options.fallback);
}

/** An SNS topic ARN; its first group is the partition. */
const TOPIC_ARN = /^arn:(aws[\w-]*):sns:/;

const envSchema = z.object({
  TOPIC_ARN: z.string().check(z.regex(TOPIC_ARN, 'must be an SNS topic ARN')),
  AUDIT_TABLE: z.string().check(z.minLength(3, 'must name a DynamoDB table')),
  IDEMPOTENCY_TABLE: z.optional(z.string().check(z.minLength(3, 'must name a DynamoDB table'))),
  EVENT_BUS_NAME: z._default(z.string().check(z.minLength(1)), 'default'),
  MAX_KEY_AGE_DAYS: number({ min: 1, max: 3650, fallback: 90, whole: true, unit: 'days' }),
  ADMIN_ROLE_PATTERNS: list,
  MODE_ACCESS_KEYS: mode,
  MODE_ADMIN_POLICY: mode,
  MODE_INLINE_POLICY: mode,
  OWN_ROLE_ARNS: z.pipe(
    list,
    z.array(z.string().check(z.regex(/^arn:aws[\w-]*:iam::\d{12}:role\//, 'must be role ARNs'))),
  ),
  EXEMPT_TAG_KEY: z.optional(
    z.string().check(z.minLength(1), z.maxLength(128, 'must be at most 128 characters (an IAM tag key)')),
  ),
  EXEMPT_TAG_VALUE: z._default(
    z.string().check(z.maxLength(256, 'must be at most 256 characters (an IAM tag value)')),
    'true',
  ),
  FOREIGN_KEY_ACTION: z._default(
    z.enum(FOREIGN_KEY_ACTIONS, { error: `must be one of ${FOREIGN_KEY_ACTIONS.join(', ')}` }),
    'alert',
  ),
  NOT_FOUND_RETRY_SECONDS: number({ min: 0, max: 300, fallback: 60, unit: 'seconds' }),
  RESTORE_GRACE_HOURS: number({ min: 0, max: 24 * 30, fallback: 24, unit: 'hours' }),
  REPEAT_LIMIT: number({ min: 1, max: 1000, fallback: 3, whole: true }),
  REPEAT_WINDOW_HOURS: number({ min: 1, max: 24 * 30, fallback: 24, unit: 'hours' }),
  REPEAT_OFFENDER_ACTION: z._default(
    z.enum(REPEAT_OFFENDER_ACTIONS, { error: `must be one of ${REPEAT_OFFENDER_ACTIONS.join(', ')}` }),
    'alert',
  ),
  QUARANTINE_POLICY_ARN: z.optional(
    z
      .string()
      .check(
        z.regex(/^arn:aws[\w-]*:iam::\d{12}:policy\/[\w+=,.@/-]+$/, 'must be a customer managed policy ARN'),
      ),
  ),
  IAM_CALLS_PER_SECOND: number({ min: 0.1, max: 100, fallback: 5, unit: 'calls per second' }),
  EARLY_WARNING_DAYS: number({ min: 0, max: 3649, fallback: 0, whole: true, unit: 'days' }),
  MAX_ACTIONS_PER_RUN: number({ min: 1, max: 100_000, fallback: 25, whole: true, unit: 'changes' }),
});

/**
 * Parse the environment once, at cold start, into a frozen configuration. Every bad value is reported
 * with the variable's name, so a misconfigured deployment fails on its first invocation, loudly.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = envSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')),
  );
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid iam-warden configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.EARLY_WARNING_DAYS >= e.MAX_KEY_AGE_DAYS) {
    throw new ConfigError(
      `invalid iam-warden configuration: EARLY_WARNING_DAYS: must be less than MAX_KEY_AGE_DAYS (${e.MAX_KEY_AGE_DAYS})`,
    );
  }
  if (e.REPEAT_OFFENDER_ACTION === 'quarantine' && e.QUARANTINE_POLICY_ARN === undefined) {
    throw new ConfigError(
      'invalid iam-warden configuration: QUARANTINE_POLICY_ARN: must be set when REPEAT_OFFENDER_ACTION is quarantine',
    );
  }
  const partition = TOPIC_ARN.exec(e.TOPIC_ARN)?.[1];
  // Unreachable (the schema checked the pattern), but no partition is ever assumed.
  if (partition === undefined)
    throw new ConfigError('invalid iam-warden configuration: TOPIC_ARN: no partition');
  return Object.freeze({
    topicArn: e.TOPIC_ARN,
    partition,
    auditTable: e.AUDIT_TABLE,
    idempotencyTable: e.IDEMPOTENCY_TABLE,
    eventBusName: e.EVENT_BUS_NAME,
    maxKeyAgeDays: e.MAX_KEY_AGE_DAYS,
    adminRolePatterns: Object.freeze(e.ADMIN_ROLE_PATTERNS),
    modes: Object.freeze({
      'access-keys': e.MODE_ACCESS_KEYS,
      'admin-policy': e.MODE_ADMIN_POLICY,
      'inline-policy': e.MODE_INLINE_POLICY,
    }),
    ownRoleArns: Object.freeze(e.OWN_ROLE_ARNS),
    exemptTagKey: e.EXEMPT_TAG_KEY,
    exemptTagValue: e.EXEMPT_TAG_VALUE,
    foreignKeyAction: e.FOREIGN_KEY_ACTION,
    notFoundRetrySeconds: e.NOT_FOUND_RETRY_SECONDS,
    restoreGraceHours: e.RESTORE_GRACE_HOURS,
    repeatLimit: e.REPEAT_LIMIT,
    repeatWindowHours: e.REPEAT_WINDOW_HOURS,
    repeatOffenderAction: e.REPEAT_OFFENDER_ACTION,
    quarantinePolicyArn: e.QUARANTINE_POLICY_ARN,
    iamCallsPerSecond: e.IAM_CALLS_PER_SECOND,
    earlyWarningDays: e.EARLY_WARNING_DAYS,
    maxActionsPerRun: e.MAX_ACTIONS_PER_RUN,
  });
}

import { z } from 'zod';
import { ConfigError } from './errors.js';

/** What a remediation does when it finds something: nothing, tell people, or act and tell people. */
export const MODES = ['off', 'notify', 'enforce'] as const;
export type Mode = (typeof MODES)[number];

/** The remediations, named as everywhere else: function folders, message attribute `rule`, CLI arguments. */
export const RULES = ['access-keys', 'admin-policy', 'inline-policy'] as const;
export type RuleName = (typeof RULES)[number];

/**
 * Roles that legitimately hold AdministratorAccess in a well-run AWS organization. Matched case-insensitively
 * against the role name. Sources: AWS Control Tower (`AWSControlTowerExecution`), Account Factory for
 * Terraform (`AWSAFT*`), AWS Organizations (`OrganizationAccountAccessRole`), CloudFormation StackSets in
 * self-managed (`AWSCloudFormationStackSetExecutionRole`) and service-managed (`stacksets-exec-*`) mode,
 * and the usual break-glass names.
 */
export const DEFAULT_ADMIN_ROLE_PATTERNS: readonly string[] = Object.freeze([
  'AWSControlTowerExecution',
  'AWSAFTExecution',
  'AWSAFTService',
  'AWSAFTAdmin',
  'OrganizationAccountAccessRole',
  'AWSCloudFormationStackSetExecutionRole',
  'stacksets-exec-*',
  '*break-glass*',
  '*breakglass*',
  '*break_glass*',
]);

export interface Config {
  /** SNS topic for people. */
  readonly topicArn: string;
  /** DynamoDB table holding the before-state of every change (see lib/audit.ts). */
  readonly auditTable: string;
  /** DynamoDB table for Powertools idempotency; unset disables idempotency (local one-off runs). */
  readonly idempotencyTable: string | undefined;
  /** EventBridge bus receiving one `source: iam-warden` result event per decision. */
  readonly eventBusName: string;
  readonly maxKeyAgeDays: number;
  /** Configured patterns plus the defaults, in that order. */
  readonly adminRolePatterns: readonly string[];
  readonly modes: Readonly<Record<RuleName, Mode>>;
  /** ARNs of iam-warden's own execution roles: events they cause are never acted on (loop guard). */
  readonly ownRoleArns: readonly string[];
  /** Opt-in exemption tag key; unset means tags are never read. */
  readonly exemptTagKey: string | undefined;
  /** How long a target that is missing is retried before the event is recorded as "target gone". */
  readonly notFoundRetrySeconds: number;
  /** After `iam-warden restore`, matching events for the resource only notify for this long. */
  readonly restoreGraceHours: number;
  /** A resource remediated this many times by one rule within `repeatWindowHours` is escalated, not fought. */
  readonly repeatLimit: number;
  readonly repeatWindowHours: number;
}

const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const mode = z.enum(MODES).default('enforce');

const envSchema = z.object({
  TOPIC_ARN: z.string().regex(/^arn:aws[\w-]*:sns:/, 'must be an SNS topic ARN'),
  AUDIT_TABLE: z.string().min(3, 'must name a DynamoDB table'),
  IDEMPOTENCY_TABLE: z.string().min(3).optional(),
  EVENT_BUS_NAME: z.string().min(1).default('default'),
  MAX_KEY_AGE_DAYS: z.coerce
    .number()
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(3650, 'must be at most 3650 days')
    .default(90),
  ADMIN_ROLE_PATTERNS: list,
  MODE_ACCESS_KEYS: mode,
  MODE_ADMIN_POLICY: mode,
  MODE_INLINE_POLICY: mode,
  OWN_ROLE_ARNS: list.pipe(
    z.array(z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\//, 'must be role ARNs')),
  ),
  EXEMPT_TAG_KEY: z.string().min(1).max(128).optional(),
  NOT_FOUND_RETRY_SECONDS: z.coerce.number().min(0).max(300).default(60),
  RESTORE_GRACE_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 30)
    .default(24),
  REPEAT_LIMIT: z.coerce.number().int('must be a whole number').min(1).max(1000).default(3),
  REPEAT_WINDOW_HOURS: z.coerce
    .number()
    .min(1)
    .max(24 * 30)
    .default(24),
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
  return Object.freeze({
    topicArn: e.TOPIC_ARN,
    auditTable: e.AUDIT_TABLE,
    idempotencyTable: e.IDEMPOTENCY_TABLE,
    eventBusName: e.EVENT_BUS_NAME,
    maxKeyAgeDays: e.MAX_KEY_AGE_DAYS,
    adminRolePatterns: Object.freeze([...e.ADMIN_ROLE_PATTERNS, ...DEFAULT_ADMIN_ROLE_PATTERNS]),
    modes: Object.freeze({
      'access-keys': e.MODE_ACCESS_KEYS,
      'admin-policy': e.MODE_ADMIN_POLICY,
      'inline-policy': e.MODE_INLINE_POLICY,
    }),
    ownRoleArns: Object.freeze(e.OWN_ROLE_ARNS),
    exemptTagKey: e.EXEMPT_TAG_KEY,
    notFoundRetrySeconds: e.NOT_FOUND_RETRY_SECONDS,
    restoreGraceHours: e.RESTORE_GRACE_HOURS,
    repeatLimit: e.REPEAT_LIMIT,
    repeatWindowHours: e.REPEAT_WINDOW_HOURS,
  });
}

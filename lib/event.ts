import * as z from 'zod/mini';
import { InvalidEventError } from './errors.js';
import './zod.js';

/**
 * Schemas for the one kind of event iam-warden consumes: a CloudTrail management event for IAM, as
 * EventBridge delivers it ("AWS API Call via CloudTrail"). They tolerate what real records contain:
 * `requestParameters`/`responseElements` null or absent, every `userIdentity.type`, older `eventVersion`s
 * without `eventID`, non-ISO `eventTime`s, and unknown fields (kept, never relied on).
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */

const sessionIssuer = z.looseObject({
  type: z.optional(z.string()),
  arn: z.optional(z.string()),
  userName: z.optional(z.string()),
});

export const userIdentitySchema = z.looseObject({
  type: z.optional(z.string()),
  principalId: z.optional(z.string()),
  arn: z.optional(z.string()),
  accountId: z.optional(z.string()),
  userName: z.optional(z.string()),
  invokedBy: z.optional(z.string()),
  sessionContext: z.optional(z.looseObject({ sessionIssuer: z.optional(sessionIssuer) })),
});

const parameters = z.nullish(z.record(z.string(), z.unknown()));

export const cloudTrailDetailSchema = z.looseObject({
  eventVersion: z.optional(z.string()),
  userIdentity: userIdentitySchema,
  eventTime: z.string().check(z.minLength(1)),
  eventSource: z.literal('iam.amazonaws.com'),
  eventName: z.string().check(z.minLength(1)),
  awsRegion: z.optional(z.string()),
  sourceIPAddress: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  requestParameters: parameters,
  responseElements: parameters,
  errorCode: z.optional(z.string()),
  errorMessage: z.optional(z.string()),
  eventID: z.optional(z.string()),
  recipientAccountId: z.optional(z.string()),
});

export const iamEventSchema = z.looseObject({
  version: z.optional(z.string()),
  id: z.string().check(z.minLength(1)),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: z.literal('aws.iam'),
  account: z.string().check(z.minLength(1)),
  time: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  resources: z.optional(z.array(z.unknown())),
  detail: cloudTrailDetailSchema,
});

export type UserIdentity = z.infer<typeof userIdentitySchema>;
export type CloudTrailDetail = z.infer<typeof cloudTrailDetailSchema>;
export type IamEvent = z.infer<typeof iamEventSchema>;

/** Who made a change, as the notification shows it. */
export interface Actor {
  readonly type: string;
  /** The principal's ARN; for an assumed role, the session ARN. */
  readonly arn: string;
  /** For an assumed role, the role that was assumed: what the loop guard compares. */
  readonly issuerArn: string | undefined;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
}

/**
 * What caused a decision, as notifications and audit records describe it: an IAM event, or a sweep run
 * (whose `eventId` names the run and the resource, and whose actor is iam-warden itself).
 */
export interface Trigger {
  /** CloudTrail `eventID`; the EventBridge `id` when an old record has none. The idempotency key. */
  readonly eventId: string;
  readonly eventName: string;
  readonly eventTime: string;
  readonly account: string;
  readonly region: string;
  readonly actor: Actor;
  /**
   * Set on the sweep's triggers: its run, kept on the audit records (index `byRun`) so that a retried run finds
   * what its first attempt left unfinished, even what IAM no longer lists.
   */
  readonly runId?: string;
}

/** The parts of an IAM event every remediation and notification needs, after validation. */
export interface Change extends Trigger {
  readonly errorCode: string | undefined;
  readonly detail: CloudTrailDetail;
}

/**
 * Validate an EventBridge event and extract the change. Throws `InvalidEventError` naming every problem
 * (field path and reason) when the event is not an IAM CloudTrail event.
 */
export function parseIamEvent(input: unknown): Change {
  const parsed = iamEventSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`,
    );
    throw new InvalidEventError(`not an IAM CloudTrail event: ${issues.join('; ')}`, issues);
  }
  const { detail } = parsed.data;
  const identity = detail.userIdentity;
  return {
    eventId: detail.eventID ?? parsed.data.id,
    eventName: detail.eventName,
    eventTime: detail.eventTime,
    account: detail.recipientAccountId ?? parsed.data.account,
    region: detail.awsRegion ?? parsed.data.region,
    actor: {
      type: identity.type ?? 'Unknown',
      arn: identity.arn ?? identity.invokedBy ?? identity.principalId ?? 'unknown',
      issuerArn: identity.sessionContext?.sessionIssuer?.arn,
      sourceIp: detail.sourceIPAddress,
      userAgent: detail.userAgent,
    },
    errorCode: detail.errorCode,
    detail,
  };
}

/**
 * A name iam-warden hands back to IAM, held to IAM's own pattern: 1 to `max` letters, digits and `+=,.@_-`
 * (user and role names 64, policy names 128). A crafted event is rejected here, with the reason, instead of
 * failing at IAM and ending in the failed-events queue. https://docs.aws.amazon.com/IAM/latest/APIReference/API_User.html
 */
export function iamName(max: 64 | 128) {
  return z
    .string()
    .check(
      z.regex(
        new RegExp(`^[\\w+=,.@-]{1,${max}}$`),
        `must be 1-${max} letters, digits or +=,.@_- (an IAM name)`,
      ),
    );
}

/** An access key ID: letters and digits, at most 128 (IAM's own are 20). */
export const accessKeyId = z
  .string()
  .check(z.regex(/^\w{1,128}$/, 'must be 1-128 letters or digits (an access key ID)'));

/**
 * Read `requestParameters` (or `responseElements`) of a change with a schema, turning a mismatch into an
 * `InvalidEventError` that names the event and the fields.
 */
export function readParameters<T>(
  change: Change,
  schema: z.ZodMiniType<T>,
  from: 'requestParameters' | 'responseElements' = 'requestParameters',
): T {
  const parsed = schema.safeParse(change.detail[from] ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `detail.${from}.${issue.path.join('.')}: ${issue.message}`,
    );
    throw new InvalidEventError(
      `${change.eventName} event ${change.eventId} lacks what it needs: ${issues.join('; ')}`,
      issues,
    );
  }
  return parsed.data;
}

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

/**
 * What a decision needs and what it does not. A record is rejected only for a field a decision rests on; every
 * other field is read leniently, so a `null` (or a number where a string is usual) in, say, `userAgent` does not
 * leave a valid change standing until the sweep.
 *
 * Strict (absent is fine, anything but a string rejects the event), because a wrong value could steer an IAM
 * write or hide one: `eventName` (which rule), `eventID` (the idempotency key: one action per change),
 * `errorCode` (a failed call is ignored), `recipientAccountId` (the account records are filed under),
 * `userIdentity.type` (the root user is told by it) and `userIdentity.arn` and `sessionContext.sessionIssuer.arn`
 * (who made the change: the loop guard compares them with iam-warden's own roles). The rules read
 * `requestParameters` with their own strict schemas (lib/rules).
 *
 * Lenient (see `informational`): everything only shown to people or kept for the record, and the containers
 * around the strict fields (`sessionContext`, `sessionIssuer`, `resources`): read as absent when not a string
 * (or not an object/array). `userIdentity.userName` is lenient here although the access-keys rule may take it as
 * the key's owner (a `CreateAccessKey` an IAM user makes for itself): a non-string is read as absent, never
 * coerced, so the rule then requires `requestParameters.userName` or rejects the event, and a present value is
 * held to IAM's name pattern there. A decision that compares the caller with someone must take an absent
 * `userName` as unknown, never as "someone else".
 */

/**
 * A field no decision rests on: a string is kept; anything else (`null`, a number, an object) reads as absent.
 * Never `String(value)`: a number turned into a name could name a real user.
 */
const informational = z.optional(
  z.pipe(
    z.unknown(),
    z.transform((value) => (typeof value === 'string' ? value : undefined)),
  ),
);

/** A container no decision needs as such (`sessionContext`): an object is read with `schema`, anything else is absent. */
function lenientObject<T extends z.ZodMiniType>(schema: T) {
  return z.optional(
    z.pipe(
      z.transform((value: unknown): unknown =>
        typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined,
      ),
      z.optional(schema),
    ),
  );
}

const sessionIssuer = z.looseObject({
  type: informational,
  arn: z.optional(z.string()),
  userName: informational,
});

export const userIdentitySchema = z.looseObject({
  type: z.optional(z.string()),
  principalId: informational,
  arn: z.optional(z.string()),
  accountId: informational,
  userName: informational,
  invokedBy: informational,
  sessionContext: lenientObject(z.looseObject({ sessionIssuer: lenientObject(sessionIssuer) })),
});

const parameters = z.nullish(z.record(z.string(), z.unknown()));

export const cloudTrailDetailSchema = z.looseObject({
  eventVersion: informational,
  userIdentity: userIdentitySchema,
  // Shown and recorded only; without it, the time EventBridge gives the event stands in.
  eventTime: informational,
  eventSource: z.literal('iam.amazonaws.com'),
  eventName: z.string().check(z.minLength(1)),
  awsRegion: informational,
  sourceIPAddress: informational,
  userAgent: informational,
  requestParameters: parameters,
  responseElements: parameters,
  errorCode: z.optional(z.string()),
  errorMessage: informational,
  eventID: z.optional(z.string()),
  recipientAccountId: z.optional(z.string()),
});

export const iamEventSchema = z.looseObject({
  version: informational,
  id: z.string().check(z.minLength(1)),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: z.literal('aws.iam'),
  account: z.string().check(z.minLength(1)),
  time: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  // Never read: EventBridge fills it for some services, and IAM's events leave it empty.
  resources: z.optional(
    z.pipe(
      z.unknown(),
      z.transform((value) => (Array.isArray(value) ? (value as unknown[]) : undefined)),
    ),
  ),
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
    eventTime: detail.eventTime || parsed.data.time,
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

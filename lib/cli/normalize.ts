import { createHash } from 'node:crypto';

/**
 * Turn what a user feeds the CLI into EventBridge events: EventBridge events as they are, and CloudTrail records
 * (alone, in a CloudTrail log file, or in `aws cloudtrail lookup-events` output) wrapped in the envelope
 * EventBridge puts around them. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */

/** An EventBridge event: the JSON object a rule's target receives. */
export type EventBridgeEvent = Record<string, unknown> & { readonly detail?: unknown };

/** One event found in an input, or why a part of the input is not one. */
export type Extracted =
  | { readonly kind: 'event'; readonly at: string | undefined; readonly event: EventBridgeEvent }
  | { readonly kind: 'error'; readonly at: string | undefined; readonly message: string };

/** The `detail-type` EventBridge gives a CloudTrail record, by its `eventType`. */
const DETAIL_TYPES: Readonly<Record<string, string>> = {
  AwsApiCall: 'AWS API Call via CloudTrail',
  AwsServiceEvent: 'AWS Service Event via CloudTrail',
  AwsConsoleAction: 'AWS Console Action via CloudTrail',
  AwsConsoleSignIn: 'AWS Console Sign In via CloudTrail',
  AwsCloudTrailInsight: 'AWS Insight via CloudTrail',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEventBridgeEvent(value: Record<string, unknown>): boolean {
  return typeof value['detail-type'] === 'string' && 'detail' in value;
}

/** A CloudTrail record names at least the call and the service it was made to. */
export function isCloudTrailRecord(value: unknown): value is Record<string, unknown> {
  return isObject(value) && typeof value.eventName === 'string' && typeof value.eventSource === 'string';
}

/** `YYYY-MM-DDTHH:MM:SSZ` as EventBridge writes `time`; anything that is not a UTC date-time is kept as is. */
function envelopeTime(eventTime: unknown): string {
  if (typeof eventTime !== 'string') return '';
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?Z?$/.exec(eventTime);
  return match ? `${match[1]}T${match[2]}Z` : eventTime;
}

/**
 * A stable event ID for a wrapped record. EventBridge draws a random one; a stable one keeps replays of the
 * same file comparable. Formatted as a (version 5 style) UUID from SHA-256 of the record's `eventID`, or of
 * the whole record when an old record has none.
 */
function envelopeId(record: Record<string, unknown>): string {
  const name = typeof record.eventID === 'string' ? record.eventID : JSON.stringify(record);
  const bytes = createHash('sha256').update(`iam-warden:${name}`).digest().subarray(0, 16);
  bytes.writeUInt8(((bytes.readUInt8(6) as number) & 0x0f) | 0x50, 6);
  bytes.writeUInt8(((bytes.readUInt8(8) as number) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Wrap a CloudTrail record the way EventBridge does: `source` is `aws.` and the service of `eventSource`,
 * `detail-type` follows `eventType`, `account` and `region` come from the record, `time` is its `eventTime`,
 * `resources` is empty and `detail` is the record, unchanged.
 */
export function wrapCloudTrailRecord(record: Record<string, unknown>): EventBridgeEvent {
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const eventSource = String(record.eventSource);
  const account = record.recipientAccountId ?? identity.accountId;
  return {
    version: '0',
    id: envelopeId(record),
    'detail-type': DETAIL_TYPES[String(record.eventType)] ?? DETAIL_TYPES.AwsApiCall,
    source: `aws.${eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '')}`,
    account: typeof account === 'string' ? account : 'unknown',
    time: envelopeTime(record.eventTime),
    region: typeof record.awsRegion === 'string' ? record.awsRegion : 'us-east-1',
    resources: [],
    detail: record,
  };
}

const NOT_AN_EVENT =
  'not an EventBridge event, a CloudTrail record, a CloudTrail log file ({"Records": [...]}) or lookup-events output';

function single(value: unknown, at: string | undefined): Extracted {
  if (isObject(value) && isEventBridgeEvent(value)) return { kind: 'event', at, event: value };
  if (isCloudTrailRecord(value)) return { kind: 'event', at, event: wrapCloudTrailRecord(value) };
  return { kind: 'error', at, message: NOT_AN_EVENT };
}

function record(value: unknown, at: string): Extracted {
  if (isCloudTrailRecord(value)) return { kind: 'event', at, event: wrapCloudTrailRecord(value) };
  return { kind: 'error', at, message: 'not a CloudTrail record (it needs eventName and eventSource)' };
}

/** A record of `aws cloudtrail lookup-events` output: the CloudTrail record is a JSON string in `CloudTrailEvent`. */
function lookedUp(value: unknown, at: string): Extracted {
  const text = isObject(value) ? value.CloudTrailEvent : undefined;
  if (typeof text !== 'string') return { kind: 'error', at, message: 'has no CloudTrailEvent string' };
  try {
    return record(JSON.parse(text), at);
  } catch (error) {
    return { kind: 'error', at, message: `CloudTrailEvent is not JSON: ${(error as Error).message}` };
  }
}

/**
 * Every event in a parsed JSON document, in order, and an error for each part that is not one. Accepts an
 * EventBridge event, a CloudTrail record, a CloudTrail log file (`{"Records": [...]}`), `aws cloudtrail
 * lookup-events` output (`{"Events": [{"CloudTrailEvent": "..."}]}`) and a JSON array of events or records.
 * `at` locates each in the document (`Records[3]`).
 */
export function extractEvents(document: unknown): Extracted[] {
  if (Array.isArray(document)) return document.map((item, index) => single(item, `[${index}]`));
  if (isObject(document) && Array.isArray(document.Records)) {
    return document.Records.map((item: unknown, index) => record(item, `Records[${index}]`));
  }
  if (isObject(document) && Array.isArray(document.Events) && !isEventBridgeEvent(document)) {
    return document.Events.map((item: unknown, index) => lookedUp(item, `Events[${index}]`));
  }
  return [single(document, undefined)];
}

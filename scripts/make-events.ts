/**
 * Writes the sample EventBridge events in `events/` from the real CloudTrail records in
 * `test/fixtures/cloudtrail/`, and `sam-env.json` (`sam local invoke --env-vars`; kept out of `events/` so that `iam-warden replay events/` reads only events) from `template.yaml`.
 *
 *   npx tsx scripts/make-events.ts
 *
 * Deterministic: envelope IDs and the event IDs of derived records are name-based UUIDs of the output file
 * name, so running it again changes nothing. Each record is kept exactly as published; only the envelope
 * around it is built, as EventBridge builds it. The few cases no published record shows (`UpdateAccessKey`,
 * an allowing inline policy, iam-warden's own call) are derived from a real record with the smallest change,
 * listed in `events/README.md`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadTemplate, type Template } from '../lib/template.js';

type Json = Record<string, unknown>;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FIXTURES_DIR = join(ROOT, 'test', 'fixtures', 'cloudtrail');
export const EVENTS_DIR = join(ROOT, 'events');
/** The `sam local invoke --env-vars` file. */
export const SAM_ENV_FILE = join(ROOT, 'sam-env.json');

/** RFC 4122 URL namespace: the names hashed below are `iam-warden:events/<file>` strings. */
const UUID_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** A name-based (version 5) UUID: the same name always gives the same UUID. */
export function uuidFromName(name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(UUID_NAMESPACE.replaceAll('-', ''), 'hex'))
    .update(name)
    .digest()
    .subarray(0, 16);
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6);
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The envelope's `time`: EventBridge writes `YYYY-MM-DDTHH:MM:SSZ`. Some Panther records hold a normalised
 * `YYYY-MM-DD HH:MM:SS[.fraction]`; the record itself is left as published.
 */
export function isoTime(eventTime: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?Z?$/.exec(eventTime);
  if (match === null) throw new Error(`eventTime ${JSON.stringify(eventTime)} is not a date-time`);
  return `${match[1]}T${match[2]}Z`;
}

function asObject(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not a JSON object`);
  }
  return value as Json;
}

function readFixture(fixture: string): Json {
  return asObject(JSON.parse(readFileSync(join(FIXTURES_DIR, fixture), 'utf8')), fixture);
}

/** A bare CloudTrail record wrapped as EventBridge delivers it from the default bus in us-east-1. */
export function wrap(record: Json, file: string): Json {
  if (record.eventSource !== 'iam.amazonaws.com') {
    throw new Error(`${file}: only IAM records are wrapped (eventSource ${String(record.eventSource)})`);
  }
  const identity = asObject(record.userIdentity, `${file}: userIdentity`);
  const account = record.recipientAccountId ?? identity.accountId;
  if (typeof account !== 'string') throw new Error(`${file}: no account ID in the record`);
  if (typeof record.eventTime !== 'string') throw new Error(`${file}: no eventTime in the record`);
  return {
    version: '0',
    id: uuidFromName(`iam-warden:events/${file}`),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iam',
    account,
    time: isoTime(record.eventTime),
    region: 'us-east-1',
    resources: [],
    detail: record,
  };
}

/** A fresh, stable `eventID` for a derived record, so it is not mistaken for a duplicate of its source. */
function derivedEventId(file: string): string {
  return uuidFromName(`iam-warden:events/${file}#eventID`);
}

/** The access key the derived `UpdateAccessKey` records name (AWS's documentation example key ID). */
const EXAMPLE_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

/** The role iam-warden's access-keys function runs as, as CloudFormation would name it in a stack `iam-warden`. */
export const OWN_ACCESS_KEYS_ROLE_ARN = 'arn:aws:iam::123456789012:role/iam-warden-AccessKeysRole-EXAMPLE';

function updateAccessKey(record: Json, file: string, status: 'Active' | 'Inactive'): Json {
  const request = asObject(record.requestParameters, `${file}: requestParameters`);
  return {
    ...record,
    eventID: derivedEventId(file),
    eventName: 'UpdateAccessKey',
    requestParameters: { userName: request.userName, accessKeyId: EXAMPLE_KEY_ID, status },
    responseElements: null,
  };
}

/** How a Lambda function's role session appears in CloudTrail (session name: the function name). */
function ownRoleIdentity(): Json {
  return {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEIAMWARDEN:iam-warden-access-keys',
    arn: 'arn:aws:sts::123456789012:assumed-role/iam-warden-AccessKeysRole-EXAMPLE/iam-warden-access-keys',
    accountId: '123456789012',
    accessKeyId: 'ASIAEXAMPLEIAMWARDEN',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEIAMWARDEN',
        arn: OWN_ACCESS_KEYS_ROLE_ARN,
        accountId: '123456789012',
        userName: 'iam-warden-AccessKeysRole-EXAMPLE',
      },
      webIdFederationData: {},
      attributes: { creationDate: '2019-01-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

/** An allowing document in the console's layout (tabs and newlines), like the record it replaces. */
const ALLOW_DOCUMENT =
  '{\n\t"Version": "2012-10-17",\n\t"Statement": [\n\t\t{\n\t\t\t"Sid": "ReadReports",\n\t\t\t"Effect": "Allow",\n\t\t\t"Action": ["s3:GetObject"],\n\t\t\t"Resource": ["arn:aws:s3:::example-reports-bucket/*"]\n\t\t}\n\t]\n}';

export interface Sample {
  /** Output file name in `events/`. */
  readonly file: string;
  /** Source file in `test/fixtures/cloudtrail/`. */
  readonly fixture: string;
  /** For derived samples: the change made to the source record. */
  readonly derive?: (record: Json, file: string) => Json;
}

export const SAMPLES: readonly Sample[] = [
  // access-keys: handled
  { file: 'create-access-key.json', fixture: 'CreateAccessKey__panther__1.json' },
  { file: 'create-access-key-root-for-user.json', fixture: 'CreateAccessKey__panther__4.json' },
  { file: 'create-access-key-root-cli.json', fixture: 'CreateAccessKey__panther__6.json' },
  { file: 'create-access-key-root-own-key.json', fixture: 'CreateAccessKey__panther__3.json' },
  { file: 'create-access-key-root-console.json', fixture: 'CreateAccessKey__panther__5.json' },
  {
    file: 'update-access-key-active.json',
    fixture: 'CreateAccessKey__panther__4.json',
    derive: (record, file) => updateAccessKey(record, file, 'Active'),
  },
  // admin-policy: handled
  { file: 'attach-role-policy-admin.json', fixture: 'AttachRolePolicy__panther__3.json' },
  // inline-policy: handled
  { file: 'put-user-policy.json', fixture: 'PutUserPolicy__panther__1.json' },
  {
    file: 'put-user-policy-allow.json',
    fixture: 'PutUserPolicy__panther__1.json',
    derive: (record, file) => ({
      ...record,
      eventID: derivedEventId(file),
      requestParameters: {
        ...asObject(record.requestParameters, `${file}: requestParameters`),
        policyName: 'TestUserReadReports',
        policyDocument: ALLOW_DOCUMENT,
      },
    }),
  },
  { file: 'put-user-policy-aws-quarantine.json', fixture: 'PutUserPolicy__panther__2.json' },
  // deliberately ignored
  { file: 'create-access-key-failed.json', fixture: 'CreateAccessKey__panther__2.json' },
  { file: 'attach-role-policy-failed.json', fixture: 'AttachRolePolicy__panther__2.json' },
  { file: 'attach-role-policy-other-policy.json', fixture: 'AttachRolePolicy__panther__1.json' },
  {
    file: 'update-access-key-inactive.json',
    fixture: 'CreateAccessKey__panther__4.json',
    derive: (record, file) => updateAccessKey(record, file, 'Inactive'),
  },
  {
    file: 'iam-warden-own-update-access-key.json',
    fixture: 'CreateAccessKey__panther__4.json',
    derive: (record, file) => ({
      ...updateAccessKey(record, file, 'Active'),
      userIdentity: ownRoleIdentity(),
    }),
  },
  { file: 'attach-user-policy-admin.json', fixture: 'AttachUserPolicy__panther__1.json' },
  { file: 'create-user.json', fixture: 'CreateUser__awsdocs-ctug__1.json' },
  { file: 'create-role.json', fixture: 'CreateRole__awsdocs-ctug__1.json' },
  { file: 's3-create-bucket.json', fixture: 'CreateBucket__awsdocs-cweug__1.json' },
  { file: 's3-put-object.json', fixture: 'PutObject__awsdocs-sfndg__1.json' },
];

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The content of one sample file: an envelope fixture as it is, a record wrapped (after any derivation). */
export function renderSample(sample: Sample): string {
  const text = readFileSync(join(FIXTURES_DIR, sample.fixture), 'utf8');
  const parsed = asObject(JSON.parse(text), sample.fixture);
  if ('detail-type' in parsed) {
    if (sample.derive !== undefined) throw new Error(`${sample.file}: envelopes are copied, not derived`);
    return text;
  }
  const record = sample.derive ? sample.derive(readFixture(sample.fixture), sample.file) : parsed;
  return toJson(wrap(record, sample.file));
}

/**
 * Local placeholder values for every variable the template gives the functions: the names `lib/local`
 * provisions on moto (topic, audit table) and modes set to `notify`, because `sam local invoke` runs with the
 * caller's credentials and must not change a real account by default.
 */
const LOCAL_ENV: Readonly<Record<string, string>> = {
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:iam-warden-notifications',
  AUDIT_TABLE: 'iam-warden-audit',
  EVENT_BUS_NAME: 'default',
  MAX_KEY_AGE_DAYS: '90',
  ADMIN_ROLE_PATTERNS: '',
  MODE_ACCESS_KEYS: 'notify',
  MODE_ADMIN_POLICY: 'notify',
  MODE_INLINE_POLICY: 'notify',
  OWN_ROLE_ARNS: [
    OWN_ACCESS_KEYS_ROLE_ARN,
    'arn:aws:iam::123456789012:role/iam-warden-AdminPolicyRole-EXAMPLE',
    'arn:aws:iam::123456789012:role/iam-warden-InlinePolicyRole-EXAMPLE',
    'arn:aws:iam::123456789012:role/iam-warden-SweepRole-EXAMPLE',
  ].join(','),
  // Shorter than the deployed 60 s so a local run against a missing entity gives up quickly.
  NOT_FOUND_RETRY_SECONDS: '10',
  // Used only if the template passes them; the same values as lib/config.ts's defaults or `lib/local`'s names.
  IDEMPOTENCY_TABLE: 'iam-warden-idempotency',
  EXEMPT_TAG_KEY: '',
  EXEMPT_TAG_VALUE: 'true',
  FOREIGN_KEY_ACTION: 'alert',
  REPEAT_OFFENDER_ACTION: 'alert',
  QUARANTINE_POLICY_ARN: 'arn:aws:iam::123456789012:policy/iam-warden-quarantine',
  RESTORE_GRACE_HOURS: '24',
  REPEAT_LIMIT: '3',
  REPEAT_WINDOW_HOURS: '24',
  IAM_CALLS_PER_SECOND: '5',
  EARLY_WARNING_DAYS: '0',
  MAX_ACTIONS_PER_RUN: '25',
  POWERTOOLS_SERVICE_NAME: 'iam-warden',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

function variablesOf(properties: Record<string, unknown> | undefined): string[] {
  const environment = properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return Object.keys(environment?.Variables ?? {});
}

/** `sam-env.json`: per function logical ID, the template's variables with local placeholder values. */
export function renderEnv(template: Template = loadTemplate()): string {
  const globals = variablesOf(template.Globals?.Function);
  const env = Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .map(([logicalId, resource]) => {
        const names = [...new Set([...globals, ...variablesOf(resource.Properties)])];
        return [
          logicalId,
          Object.fromEntries(
            names.map((name) => {
              const value = LOCAL_ENV[name];
              if (value === undefined) {
                throw new Error(`template variable ${name} of ${logicalId} has no local value in LOCAL_ENV`);
              }
              return [name, value];
            }),
          ),
        ];
      }),
  );
  return toJson(env);
}

/** Every file this script writes in `events/`, by name. */
export function renderEvents(): Map<string, string> {
  return new Map(SAMPLES.map((sample) => [sample.file, renderSample(sample)]));
}

function main(): void {
  mkdirSync(EVENTS_DIR, { recursive: true });
  for (const [file, content] of renderEvents()) {
    writeFileSync(join(EVENTS_DIR, file), content);
    console.log(`events/${file}`);
  }
  writeFileSync(SAM_ENV_FILE, renderEnv());
  console.log('sam-env.json');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();

import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { type Mock, vi } from 'vitest';
import { type Config, loadConfig } from '../../lib/config.js';
import type { Clients, Deps } from '../../lib/deps.js';

/**
 * Deps for unit tests: real SDK clients (a file's `mockClient(IAMClient)` etc. replace their `send`), a silent
 * logger, a fixed clock, a sleep that resolves at once and records what it was asked to wait, and a config
 * parsed by the real `loadConfig`.
 */

/** The account of the sample events (and of moto). */
export const ACCOUNT = '123456789012';

/** The fixed "now" of every unit test. */
export const NOW = new Date('2025-06-01T12:00:00.000Z');

export const DAY_MS = 86_400_000;

/** The role the loop-guard sample (`events/iam-warden-own-update-access-key.json`) was made by. */
export const OWN_ROLE_ARN = 'arn:aws:iam::123456789012:role/iam-warden-AccessKeysRole-EXAMPLE';

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:iam-warden-test';
export const AUDIT_TABLE = 'iam-warden-audit-test';

/** The environment `testConfig` parses; every rule in `enforce`. */
export const TEST_ENV: Readonly<Record<string, string>> = Object.freeze({
  TOPIC_ARN,
  AUDIT_TABLE,
  EVENT_BUS_NAME: 'iam-warden-test-bus',
  MAX_KEY_AGE_DAYS: '90',
  MODE_ACCESS_KEYS: 'enforce',
  MODE_ADMIN_POLICY: 'enforce',
  MODE_INLINE_POLICY: 'enforce',
  OWN_ROLE_ARNS: [
    OWN_ROLE_ARN,
    'arn:aws:iam::123456789012:role/iam-warden-AdminPolicyRole-EXAMPLE',
    'arn:aws:iam::123456789012:role/iam-warden-InlinePolicyRole-EXAMPLE',
  ].join(','),
  NOT_FOUND_RETRY_SECONDS: '60',
});

/** `loadConfig` of `TEST_ENV` with some variables changed (`undefined` removes one). */
export function testConfig(overrides: Readonly<Record<string, string | undefined>> = {}): Config {
  return loadConfig({ ...TEST_ENV, ...overrides });
}

/**
 * An endpoint nothing listens on and no retries: a call a test forgot to mock fails at once, locally, instead
 * of reaching out with whatever credentials the machine has.
 */
const clientConfig = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'unit-test', secretAccessKey: 'unit-test' },
  maxAttempts: 1,
};

export function testClients(): Clients {
  return {
    iam: new IAMClient(clientConfig),
    sns: new SNSClient(clientConfig),
    events: new EventBridgeClient(clientConfig),
    dynamo: new DynamoDBClient(clientConfig),
  };
}

export function silentLogger(): Logger {
  return new Logger({ serviceName: 'iam-warden-test', logLevel: 'SILENT' });
}

export interface TestDeps extends Deps {
  readonly sleep: Mock<(ms: number) => Promise<void>>;
}

export interface TestDepsOptions {
  /** Environment overrides for `testConfig`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: Date;
}

export function testDeps(options: TestDepsOptions = {}): TestDeps {
  const now = options.now ?? NOW;
  return {
    ...testClients(),
    config: testConfig(options.env),
    clock: () => new Date(now.getTime()),
    sleep: vi.fn((_ms: number) => Promise.resolve()),
    logger: silentLogger(),
  };
}

/** A CloudTrail record as the samples hold it: the fields tests change typed, everything else kept. */
export interface SampleDetail {
  eventName: string;
  eventTime: string;
  eventSource: string;
  eventID?: string;
  errorCode?: string;
  recipientAccountId?: string;
  userIdentity: Record<string, unknown>;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** An EventBridge event from `events/`. */
export interface SampleEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: unknown[];
  detail: SampleDetail;
  [field: string]: unknown;
}

const samples = new Map<string, SampleEvent>();

/** A fresh copy (`structuredClone`) of a sample event, by file name: `sampleEvent('create-access-key')`. */
export function sampleEvent(name: string): SampleEvent {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  let event = samples.get(file);
  if (event === undefined) {
    event = JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as SampleEvent;
    samples.set(file, event);
  }
  return structuredClone(event);
}

/** The sample's `requestParameters`, for tests that change one of them. */
export function requestOf(event: SampleEvent): Record<string, unknown> {
  const request = event.detail.requestParameters;
  if (request === null || request === undefined) throw new Error(`${event.id} has no requestParameters`);
  return request;
}

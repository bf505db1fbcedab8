import { readdirSync, readFileSync } from 'node:fs';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import {
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  type GetRoleCommandInput,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  type ListAccessKeysCommandInput,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  InvalidParameterException,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../lib/deps.js';
import { InvalidEventError } from '../../lib/errors.js';
import { parseIamEvent } from '../../lib/event.js';
import { handleEvent } from '../../lib/pipeline.js';
import type { Decision } from '../../lib/plan.js';
import { RULES_BY_FUNCTION } from '../../lib/rules/index.js';
import type { Rule } from '../../lib/rules/rule.js';
import { DAY_MS, NOW, OWN_ROLE_ARN, testDeps } from '../support/deps.js';

/**
 * Hostile and broken input, generated: every sample event in `events/` mutated (fields deleted, replaced with
 * arbitrary JSON or the wrong type, nulled, made huge, given `__proto__`/`constructor` keys, unicode), and
 * random JSON, through `handleEvent` of every rule. The clients are mocks that answer like AWS does, limits
 * included (SNS and EventBridge refuse messages over 256 KB), so an exception can only be iam-warden's own.
 */

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const RUNS_PER_RULE_AND_SOURCE = { mutated: 2500, random: 500, structured: 500 } as const;
const EXEMPT_TAG_KEY = 'iam-warden:exempt';
/** The 256 KB SNS and EventBridge accept per message or entry. */
const MAX_BYTES = 256 * 1024;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

const SAMPLES_DIR = new URL('../../events/', import.meta.url);
const SAMPLES: readonly unknown[] = readdirSync(SAMPLES_DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(new URL(name, SAMPLES_DIR), 'utf8')) as unknown);

const RULES = Object.values(RULES_BY_FUNCTION);
const EVENT_NAMES = [...RULES.flatMap((rule) => rule.eventNames), 'DetachRolePolicy', 'CreateUser', ''];

/** IAM answers that make any well-formed event reach a decision: an old key, a role holding admin... */
function answerSensibly(): void {
  for (const mock of [iam, sns, events, dynamo]) mock.reset();
  iam.on(ListAccessKeysCommand).callsFake((input: ListAccessKeysCommandInput) => ({
    AccessKeyMetadata: [
      {
        UserName: input.UserName,
        AccessKeyId: 'AKIAOLDKEYEXAMPLE',
        Status: 'Active',
        CreateDate: new Date(NOW.getTime() - 200 * DAY_MS),
      },
    ],
    IsTruncated: false,
  }));
  iam.on(GetRoleCommand).callsFake((input: GetRoleCommandInput) => ({
    Role: {
      RoleName: input.RoleName,
      Path: '/',
      Arn: `arn:aws:iam::123456789012:role/${input.RoleName}`,
      RoleId: 'AROAEXAMPLE',
      CreateDate: NOW,
    },
  }));
  iam.on(ListAttachedRolePoliciesCommand).resolves({
    AttachedPolicies: [{ PolicyArn: ADMIN, PolicyName: 'AdministratorAccess' }],
    IsTruncated: false,
  });
  iam.on(GetUserPolicyCommand).resolves({
    PolicyDocument: encodeURIComponent('{"Version":"2012-10-17","Statement":[]}'),
  });
  iam.on(ListRoleTagsCommand).resolves({ Tags: [], IsTruncated: false });
  iam.on(ListUserTagsCommand).resolves({ Tags: [], IsTruncated: false });
  iam.on(UpdateAccessKeyCommand).resolves({});
  iam.on(DetachRolePolicyCommand).resolves({});
  iam.on(DeleteUserPolicyCommand).resolves({});
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(UpdateItemCommand).resolves({});
  dynamo.on(GetItemCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
  sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
    // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
    const subject = input.Subject ?? '';
    if (subject.length >= 100 || !/^[\x20-\x7e]*$/.test(subject)) {
      throw new InvalidParameterException({ message: 'Invalid parameter: Subject', $metadata: {} });
    }
    // The message, subject and attributes count, as UTF-8 bytes.
    const bytes = [input.Message ?? '', subject, JSON.stringify(input.MessageAttributes ?? {})]
      .map((part) => Buffer.byteLength(part))
      .reduce((sum, size) => sum + size, 0);
    if (bytes > MAX_BYTES) {
      throw new InvalidParameterException({ message: 'Invalid parameter: Message too long', $metadata: {} });
    }
    return { MessageId: 'message-1' };
  });
  events.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
    const bytes = (input.Entries ?? [])
      .flatMap((entry) => [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])])
      .reduce((sum, part) => sum + Buffer.byteLength(part ?? ''), 0);
    if (bytes > MAX_BYTES) {
      throw new Error('ValidationException: Total size of the entries in the request is over the limit.');
    }
    return { FailedEntryCount: 0, Entries: [{ EventId: 'result-1' }] };
  });
}

/** What the boundary must make of an event, worked out from the schemas and the rule's own target reading. */
type Expected = 'rejected' | 'ignored' | 'valid';

function expected(rule: Rule<unknown>, event: unknown): Expected {
  let change: ReturnType<typeof parseIamEvent>;
  try {
    change = parseIamEvent(event);
  } catch (error) {
    if (error instanceof InvalidEventError) return 'rejected';
    throw error;
  }
  if (!rule.eventNames.includes(change.eventName)) return 'rejected';
  // Failed calls and iam-warden's own kind of write (the loop guard) are settled before the target is read;
  // a grant by iam-warden's own role is not a loop: it is validated and judged like any other.
  const ownWrite =
    change.actor.issuerArn?.toLowerCase() === OWN_ROLE_ARN.toLowerCase() &&
    change.eventName === 'UpdateAccessKey' &&
    change.detail.requestParameters?.status === 'Inactive';
  if (change.errorCode !== undefined || ownWrite) return 'ignored';
  try {
    rule.target(change);
  } catch (error) {
    if (error instanceof InvalidEventError) return 'rejected';
    throw error;
  }
  return 'valid';
}

/** A rejection names what is wrong: a field path and its problem, or the event name the rule does not take. */
const NAMES_THE_PROBLEM = /is not handled by|(?:^|[:;] )(?:\(event\)|[\w-]+(?:\.[\w-]+)*): \S/;

// ------------------------------------------------------------------ generators

type Path = readonly (string | number)[];

/** Every path in a JSON value, the root included, so a mutation can hit any field at any depth. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) paths.push(...pathsOf(item, [...prefix, index]));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

type Mutation =
  | { readonly kind: 'delete' }
  | { readonly kind: 'replace'; readonly value: unknown }
  | { readonly kind: 'add-key'; readonly key: string; readonly value: unknown };

const hugeString = fc
  .tuple(fc.constantFrom('A', 'é', '😀', '\u0000', '"\\'), fc.integer({ min: 10_000, max: 150_000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)));

const wrongTypes = fc.constantFrom<unknown>(null, 0, -1, 1.5, 1e308, true, false, '', ' ', [], {}, [null], {
  0: 'x',
});

const unicode = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  fc.jsonValue().map((value): Mutation => ({ kind: 'replace', value })),
  wrongTypes.map((value): Mutation => ({ kind: 'replace', value })),
  hugeString.map((value): Mutation => ({ kind: 'replace', value })),
  unicode.map((value): Mutation => ({ kind: 'replace', value })),
  fc
    .record({
      key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'),
      value: fc.oneof(fc.jsonValue(), wrongTypes),
    })
    .map(({ key, value }): Mutation => ({ kind: 'add-key', key, value })),
);

/** Apply a mutation at a path; returns the new root. Keys are defined, never assigned, as JSON.parse does. */
function mutate(root: unknown, path: Path, mutation: Mutation): unknown {
  // Generated values (the constants above among them) are never shared, nor changed in place.
  const change = 'value' in mutation ? { ...mutation, value: structuredClone(mutation.value) } : mutation;
  if (path.length === 0) {
    if (change.kind === 'replace') return change.value;
    if (change.kind === 'delete') return undefined;
  }
  let parent: unknown = root;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
  const last = path.at(-1);
  if (change.kind === 'add-key') {
    const target = last === undefined ? parent : (parent as Record<string | number, unknown>)[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
      Object.defineProperty(target, change.key, {
        value: change.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return root;
  }
  if (last === undefined || typeof parent !== 'object' || parent === null) return root;
  if (change.kind === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete (parent as Record<string | number, unknown>)[last];
  } else {
    Object.defineProperty(parent, last, {
      value: change.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return root;
}

/** What Lambda hands the handler: the event as EventBridge serialized it, parsed again. */
function delivered(event: unknown): unknown {
  const text = JSON.stringify(event);
  return text === undefined ? undefined : JSON.parse(text);
}

const mutatedSample = fc
  .record({
    sample: fc.constantFrom(...SAMPLES),
    changes: fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 4 }),
  })
  .map(({ sample, changes }) => {
    let event: unknown = structuredClone(sample);
    for (const [pick, change] of changes) {
      const paths = pathsOf(event);
      event = mutate(event, paths[pick % paths.length] ?? [], change);
    }
    return delivered(event);
  });

const randomJson = fc.oneof(fc.jsonValue(), fc.object(), fc.anything().map(delivered));

/** Random events shaped like the real thing, so that valid ones (which do reach IAM) are generated too. */
const structuredEvent = fc
  .record({
    id: fc.oneof(fc.uuid(), fc.string()),
    eventID: fc.option(fc.oneof(fc.uuid(), fc.string()), { nil: undefined }),
    detailType: fc.constantFrom('AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'),
    source: fc.constantFrom('aws.iam', 'aws.s3'),
    eventSource: fc.constantFrom('iam.amazonaws.com', 's3.amazonaws.com'),
    eventName: fc.constantFrom(...EVENT_NAMES),
    errorCode: fc.option(fc.constantFrom('AccessDenied', 'NoSuchEntity'), { nil: undefined }),
    issuer: fc.constantFrom(OWN_ROLE_ARN, 'arn:aws:iam::123456789012:role/deployer'),
    identityType: fc.constantFrom('AssumedRole', 'IAMUser', 'Root', 'AWSService', 'Unknown'),
    userName: fc.oneof(fc.constantFrom('alice', 'a+b=c,d.e@f_g-h'), fc.string()),
    requestParameters: fc.oneof(
      fc.constant(null),
      fc.record(
        {
          userName: fc.oneof(fc.constantFrom('alice', 'svc+=,.@_-user'), fc.string(), wrongTypes),
          roleName: fc.oneof(fc.constantFrom('app-role', 'ops+=,.@_-role'), fc.string(), wrongTypes),
          policyArn: fc.oneof(fc.constant(ADMIN), fc.string(), wrongTypes),
          policyName: fc.oneof(fc.constantFrom('grant', 'p+=,.@_-'), fc.string(), wrongTypes),
          accessKeyId: fc.oneof(fc.constant('AKIANEWKEYEXAMPLE'), fc.string(), wrongTypes),
          status: fc.oneof(fc.constantFrom('Active', 'Inactive'), fc.string(), wrongTypes),
          policyDocument: fc.oneof(fc.constant('{}'), hugeString),
        },
        { requiredKeys: [] },
      ),
    ),
    responseElements: fc.oneof(
      fc.constant(null),
      fc.record({
        accessKey: fc.record({ accessKeyId: fc.oneof(fc.constant('AKIANEWKEYEXAMPLE'), wrongTypes) }),
      }),
      fc.jsonValue(),
    ),
  })
  .map((r) =>
    delivered({
      version: '0',
      id: r.id,
      'detail-type': r.detailType,
      source: r.source,
      account: '123456789012',
      time: '2025-06-01T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        eventVersion: '1.08',
        eventID: r.eventID,
        eventTime: '2025-06-01T12:00:00Z',
        eventSource: r.eventSource,
        eventName: r.eventName,
        errorCode: r.errorCode,
        userIdentity: {
          type: r.identityType,
          arn: `arn:aws:sts::123456789012:assumed-role/x/${r.userName}`,
          userName: r.userName,
          sessionContext: { sessionIssuer: { type: 'Role', arn: r.issuer } },
        },
        requestParameters: r.requestParameters,
        responseElements: r.responseElements,
      },
    }),
  );

// ------------------------------------------------------------------ the properties

interface Tally {
  runs: number;
  rejected: number;
  ignored: number;
  acted: number;
}

/**
 * One event through one rule. Throws (failing the property with a shrunk counterexample) when: `handleEvent`
 * throws; a rejection does not say what is wrong; an event the boundary must refuse reaches IAM at all, or
 * is not rejected; a valid event is rejected.
 */
async function checkOne(rule: Rule<unknown>, deps: Deps, event: unknown, tally: Tally): Promise<void> {
  for (const mock of [iam, sns, events, dynamo]) mock.resetHistory();
  const want = expected(rule, event);
  const decision: Decision = await handleEvent(rule, deps, event);
  tally.runs++;
  const iamCalls = iam.calls().length;
  if (decision.outcome === 'rejected') {
    tally.rejected++;
    expect(decision.reason.length).toBeGreaterThan(0);
    expect(decision.reason).toMatch(NAMES_THE_PROBLEM);
  }
  if (want === 'rejected') {
    expect(decision.outcome).toBe('rejected');
    expect(iamCalls).toBe(0);
    expect(dynamo.calls()).toHaveLength(0);
  } else if (want === 'ignored') {
    tally.ignored++;
    expect(decision.outcome).toBe('ignored');
    expect(iamCalls).toBe(0);
  } else {
    expect(decision.outcome).not.toBe('rejected');
    if (iamCalls > 0) tally.acted++;
  }
}

describe('handleEvent under generated hostile input', () => {
  beforeAll(answerSensibly);

  for (const rule of RULES) {
    describe(rule.name, () => {
      it('never throws, names the problem of every rejection, and calls IAM for no invalid event', async () => {
        const tally: Tally = { runs: 0, rejected: 0, ignored: 0, acted: 0 };
        // Deps hold no state between events (the clock is fixed, the mocks are reset per event).
        const deps = testDeps({ env: { EXEMPT_TAG_KEY } });
        const sources = [
          [mutatedSample, RUNS_PER_RULE_AND_SOURCE.mutated],
          [randomJson, RUNS_PER_RULE_AND_SOURCE.random],
          [structuredEvent, RUNS_PER_RULE_AND_SOURCE.structured],
        ] as const;
        for (const [arbitrary, numRuns] of sources) {
          await fc.assert(
            fc.asyncProperty(arbitrary as fc.Arbitrary<unknown>, (event) =>
              checkOne(rule, deps, event, tally),
            ),
            { numRuns },
          );
        }
        const total = Object.values(RUNS_PER_RULE_AND_SOURCE).reduce((sum, runs) => sum + runs, 0);
        expect(tally.runs).toBeGreaterThanOrEqual(total);
        // The generators reach every branch: refused, ignored, and valid events that do reach IAM.
        expect(tally.rejected).toBeGreaterThan(0);
        expect(tally.ignored).toBeGreaterThan(0);
        expect(tally.acted).toBeGreaterThan(0);
      }, 120_000);
    });
  }
});

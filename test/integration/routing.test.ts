import { readdirSync, readFileSync } from 'node:fs';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventBridgeEvent, extractEvents } from '../../lib/cli/normalize.js';
import { createRouter } from '../../lib/cli/route.js';
import { drainQueue } from '../../lib/local/provision.js';
import { templateRules } from '../../lib/template.js';
import { localAws, motoEndpoint, resetMoto } from '../support/moto.js';

/**
 * The CLI's router must send each event where EventBridge would. This loads the rules of template.yaml into
 * EventBridge on moto, each with an SQS queue per function as its target, puts every sample event on the bus,
 * and compares which queues got each event with lib/pattern.ts's verdict. (Against a real account,
 * TestEventPattern is the reference; moto's is a stub, but its rules do match patterns.)
 */

type Json = Record<string, unknown>;

const EVENTS_DIR = new URL('../../events/', import.meta.url);
const FIXTURES_DIR = new URL('../fixtures/cloudtrail/', import.meta.url);

function readJson(dir: URL, name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
}

function jsonFiles(dir: URL): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

function asEvent(document: unknown, name: string): EventBridgeEvent {
  const [extracted, ...more] = extractEvents(document);
  if (extracted?.kind !== 'event' || more.length > 0) throw new Error(`${name} is not one event`);
  return extracted.event;
}

/** Small changes to the samples that exercise each clause of the patterns. */
function variants(): [string, EventBridgeEvent][] {
  const variant = (label: string, from: string, change: (event: EventBridgeEvent, detail: Json) => void) => {
    const event = asEvent(readJson(EVENTS_DIR, `${from}.json`), from);
    change(event, event.detail as Json);
    return [`variant: ${label}`, event] as [string, EventBridgeEvent];
  };
  const request = (detail: Json) => detail.requestParameters as Json;
  return [
    variant('gov-cloud AdministratorAccess', 'attach-role-policy-admin', (_, detail) => {
      request(detail).policyArn = 'arn:aws-us-gov:iam::aws:policy/AdministratorAccess';
    }),
    variant('AdministratorAccess attach that failed', 'attach-role-policy-admin', (_, detail) => {
      detail.errorCode = 'AccessDenied';
    }),
    variant('a customer policy named like AdministratorAccess', 'attach-role-policy-admin', (_, detail) => {
      request(detail).policyArn = 'arn:aws:iam::123456789012:policy/AdministratorAccess';
    }),
    variant('errorCode null', 'put-user-policy', (_, detail) => {
      detail.errorCode = null;
    }),
    variant('status in lower case', 'update-access-key-active', (_, detail) => {
      request(detail).status = 'active';
    }),
    variant('UpdateAccessKey without requestParameters', 'update-access-key-active', (_, detail) => {
      detail.requestParameters = null;
    }),
    variant('another detail-type', 'create-access-key', (event) => {
      event['detail-type'] = 'AWS Service Event via CloudTrail';
    }),
    variant('another source', 'create-access-key', (event) => {
      event.source = 'aws.sts';
    }),
    variant('eventSource of another service', 'create-access-key', (_, detail) => {
      detail.eventSource = 'sts.amazonaws.com';
    }),
  ];
}

function samples(): [string, EventBridgeEvent][] {
  return [
    ...jsonFiles(EVENTS_DIR).map((name): [string, EventBridgeEvent] => [
      `events/${name}`,
      asEvent(readJson(EVENTS_DIR, name), name),
    ]),
    ...jsonFiles(FIXTURES_DIR).map((name): [string, EventBridgeEvent] => [
      `fixtures/${name}`,
      asEvent(readJson(FIXTURES_DIR, name), name),
    ]),
    ...variants(),
  ];
}

const sqs = new SQSClient(localAws());
const events = new EventBridgeClient(localAws());

afterAll(() => {
  sqs.destroy();
  events.destroy();
});

describe('routing agrees with EventBridge (moto)', () => {
  const all = samples();
  /** Sample name -> functions EventBridge delivered it to. */
  const delivered = new Map<string, Set<string>>(all.map(([name]) => [name, new Set()]));

  beforeAll(async () => {
    await resetMoto();
    const rules = templateRules();
    const queueArns = new Map<string, { url: string; arn: string }>();
    for (const functionName of new Set(rules.map((rule) => rule.functionName))) {
      const { QueueUrl: url = '' } = await sqs.send(
        new CreateQueueCommand({ QueueName: `route-${functionName}` }),
      );
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      queueArns.set(functionName, { url, arn: Attributes?.QueueArn ?? '' });
    }
    for (const rule of rules) {
      const name = `${rule.logicalId}-${rule.eventId}`.slice(0, 64);
      await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(rule.pattern) }));
      await events.send(
        new PutTargetsCommand({
          Rule: name,
          Targets: [{ Id: 'queue', Arn: queueArns.get(rule.functionName)?.arn ?? '' }],
        }),
      );
    }
    // The sample's index rides in `resources`, which no rule looks at, to tell the deliveries apart.
    for (let start = 0; start < all.length; start += 10) {
      const batch = all.slice(start, start + 10);
      const out = await events.send(
        new PutEventsCommand({
          Entries: batch.map(([, event], index) => ({
            Source: String(event.source),
            DetailType: String(event['detail-type']),
            Detail: JSON.stringify(event.detail),
            Resources: [`urn:sample:${start + index}`],
          })),
        }),
      );
      expect(out.FailedEntryCount ?? 0).toBe(0);
    }
    for (const [functionName, queue] of queueArns) {
      for (const body of await drainQueue({ endpoint: motoEndpoint(), queueUrl: queue.url, waitMs: 500 })) {
        const marker = (body as { resources: string[] }).resources[0] ?? '';
        const sample = all[Number(marker.replace('urn:sample:', ''))];
        if (sample === undefined) throw new Error(`delivery with unknown marker ${marker}`);
        delivered.get(sample[0])?.add(functionName);
      }
    }
  });

  it('delivers every sample to the functions lib/pattern.ts routes it to, and to no other', () => {
    const router = createRouter();
    const ours = Object.fromEntries(
      all.map(([name, event], index) => [
        name,
        router({ ...event, resources: [`urn:sample:${index}`] })
          .map((route) => route.functionName)
          .sort(),
      ]),
    );
    const theirs = Object.fromEntries(
      [...delivered].map(([name, functions]) => [name, [...functions].sort()]),
    );
    expect(ours).toEqual(theirs);
  });

  it('has samples for every function and samples no rule matches', () => {
    const reached = new Set([...delivered.values()].flatMap((functions) => [...functions]));
    expect([...reached].sort()).toEqual(['access-keys', 'admin-policy', 'inline-policy']);
    expect([...delivered.values()].filter((functions) => functions.size === 0).length).toBeGreaterThan(10);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideInlinePolicy, isDenyOnly } from '../../../lib/decisions/inline-policy.js';

function fixtureDocument(name: string): string {
  const record = JSON.parse(
    readFileSync(new URL(`../../fixtures/cloudtrail/${name}.json`, import.meta.url), 'utf8'),
  ) as { requestParameters: { policyDocument: string } };
  return record.requestParameters.policyDocument;
}

const statement = (effect: string, action = 's3:GetObject') => ({
  Effect: effect,
  Action: action,
  Resource: '*',
});
const doc = (Statement: unknown) => JSON.stringify({ Version: '2012-10-17', Statement });

const ALLOW = doc([statement('Allow')]);
const DENY = doc([statement('Deny', '*')]);

describe('isDenyOnly', () => {
  it('is true when every statement of an array denies', () => {
    expect(isDenyOnly(doc([statement('Deny'), statement('Deny', 'iam:*')]))).toBe(true);
  });

  it('is true for a single Statement object that denies', () => {
    expect(isDenyOnly(doc(statement('Deny')))).toBe(true);
  });

  it('is false when one statement of many allows', () => {
    expect(isDenyOnly(doc([statement('Deny'), statement('Allow')]))).toBe(false);
  });

  it('is false for a single Statement object that allows', () => {
    expect(isDenyOnly(doc(statement('Allow')))).toBe(false);
  });

  it('is false for an empty Statement array', () => {
    expect(isDenyOnly(doc([]))).toBe(false);
  });

  it('is false without a Statement', () => {
    expect(isDenyOnly(JSON.stringify({ Version: '2012-10-17' }))).toBe(false);
  });

  it.each(['{"Statement": [', 'not json', ''])('is false for invalid JSON %j', (text) => {
    expect(isDenyOnly(text)).toBe(false);
  });

  it.each(['null', '"Deny"', '42', '[]'])('is false for JSON that is not a policy object (%s)', (text) => {
    expect(isDenyOnly(text)).toBe(false);
  });

  it('is false when a statement is not an object', () => {
    expect(isDenyOnly(doc([statement('Deny'), 'Deny']))).toBe(false);
    expect(isDenyOnly(doc([null]))).toBe(false);
  });

  it('compares the Effect exactly', () => {
    expect(isDenyOnly(doc([statement('deny')]))).toBe(false);
  });

  it("reads the console's tab-indented document of the real quarantine record", () => {
    expect(isDenyOnly(fixtureDocument('PutUserPolicy__panther__1'))).toBe(true);
    expect(isDenyOnly(fixtureDocument('PutUserPolicy__panther__2'))).toBe(true);
  });
});

describe('decideInlinePolicy', () => {
  it('deletes an allowing inline policy, keeping its document exactly for the audit record', () => {
    const policyDocument = `${ALLOW}\n\t `;

    expect(decideInlinePolicy({ userName: 'alice', policyName: 'ReadReports', policyDocument })).toEqual({
      kind: 'act',
      action: { kind: 'delete-inline-policy', userName: 'alice', policyName: 'ReadReports', policyDocument },
      reason:
        'user alice was given inline policy ReadReports; permissions belong in managed policies on groups or roles',
    });
  });

  it('skips a deny-only policy, whose removal would widen access', () => {
    expect(decideInlinePolicy({ userName: 'alice', policyName: 'DenyAll', policyDocument: DENY })).toEqual({
      kind: 'skip',
      reason: "inline policy DenyAll only denies; deleting it would widen alice's access",
    });
  });

  it('skips the deny-only policy of the real PutUserPolicy record', () => {
    const plan = decideInlinePolicy({
      userName: 'test-user',
      policyName: 'TestUserDenyAll',
      policyDocument: fixtureDocument('PutUserPolicy__panther__1'),
    });

    expect(plan.kind).toBe('skip');
  });

  it.each(['AWSCompromisedKeyQuarantine', 'AWSCompromisedKeyQuarantineV2', 'AWSCompromisedKeyQuarantineV3'])(
    "skips AWS's quarantine policy %s and says why",
    (policyName) => {
      const plan = decideInlinePolicy({
        userName: 'compromised_user',
        policyName,
        policyDocument: fixtureDocument('PutUserPolicy__panther__2'),
      });

      expect(plan).toEqual({
        kind: 'skip',
        reason: `${policyName} is AWS's compromised-key quarantine policy; it stays`,
      });
    },
  );

  it('deletes an allowing policy that only borrows the quarantine name', () => {
    const plan = decideInlinePolicy({
      userName: 'mallory',
      policyName: 'AWSCompromisedKeyQuarantineV9',
      policyDocument: doc([statement('Allow', '*')]),
    });

    expect(plan.kind).toBe('act');
  });

  it('deletes a policy whose document is not valid JSON rather than guessing it is harmless', () => {
    expect(
      decideInlinePolicy({ userName: 'alice', policyName: 'Broken', policyDocument: '{"Statement":' }).kind,
    ).toBe('act');
  });

  it('deletes a policy mixing deny and allow statements', () => {
    const policyDocument = doc([statement('Deny'), statement('Allow', '*')]);

    expect(decideInlinePolicy({ userName: 'alice', policyName: 'Mixed', policyDocument }).kind).toBe('act');
  });
});

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRouter } from '../../../lib/cli/route.js';
import { ConfigError, InvalidPatternError } from '../../../lib/errors.js';
import { sampleEvent } from '../../support/deps.js';

const router = createRouter();

/** Where each sample in events/ must go, by the rules in template.yaml. */
const EXPECTED: Readonly<Record<string, string[]>> = {
  'attach-role-policy-admin': ['admin-policy'],
  'attach-role-policy-failed': [],
  'attach-role-policy-other-policy': [],
  'attach-user-policy-admin': [],
  'create-access-key': ['access-keys'],
  'create-access-key-failed': [],
  'create-access-key-root-cli': ['access-keys'],
  'create-access-key-root-console': ['access-keys'],
  'create-access-key-root-for-user': ['access-keys'],
  'create-access-key-root-own-key': ['access-keys'],
  'create-role': [],
  'create-user': [],
  'iam-warden-own-update-access-key': ['access-keys'],
  'put-user-policy': ['inline-policy'],
  'put-user-policy-allow': ['inline-policy'],
  'put-user-policy-aws-quarantine': ['inline-policy'],
  's3-create-bucket': [],
  's3-put-object': [],
  'update-access-key-active': ['access-keys'],
  'update-access-key-inactive': [],
};

describe('createRouter', () => {
  it('knows where every sample in events/ goes', () => {
    const samples = readdirSync(new URL('../../../events/', import.meta.url))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.replace(/\.json$/, ''));
    expect(samples.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('routes %s to %j', (name, functions) => {
    expect(router(sampleEvent(name)).map((route) => route.functionName)).toEqual(functions);
  });

  it('names the template rules that matched', () => {
    expect(router(sampleEvent('update-access-key-active'))).toEqual([
      { functionName: 'access-keys', ruleIds: ['ActivateAccessKey'] },
    ]);
  });

  it('routes AdministratorAccess of the other partitions', () => {
    const event = sampleEvent('attach-role-policy-admin');
    event.detail.requestParameters = {
      roleName: 'r',
      policyArn: 'arn:aws-cn:iam::aws:policy/AdministratorAccess',
    };
    expect(router(event)).toHaveLength(1);
  });

  it('lists a function once when several of its rules match', () => {
    const pattern = { source: ['aws.iam'] };
    const twice = createRouter([
      { functionName: 'access-keys', logicalId: 'F', eventId: 'A', pattern },
      { functionName: 'access-keys', logicalId: 'F', eventId: 'B', pattern },
    ]);
    expect(twice(sampleEvent('create-user'))).toEqual([{ functionName: 'access-keys', ruleIds: ['A', 'B'] }]);
  });

  it('refuses a rule for a function iam-warden does not have', () => {
    expect(() =>
      createRouter([{ functionName: 'sweep', logicalId: 'Sweep', eventId: 'X', pattern: { source: ['a'] } }]),
    ).toThrow(ConfigError);
  });

  it('refuses a pattern with an unknown operator', () => {
    expect(() =>
      createRouter([
        {
          functionName: 'access-keys',
          logicalId: 'F',
          eventId: 'X',
          pattern: { source: [{ 'begins-with': 'a' }] },
        },
      ]),
    ).toThrow(InvalidPatternError);
  });
});

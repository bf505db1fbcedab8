import { describe, expect, it } from 'vitest';
import { describeTrust, parseAwsPrincipal, parseTrustPolicy } from '../../../lib/decisions/trust-policy.js';

function policy(...statements: unknown[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

function allow(principal: unknown, extra: Record<string, unknown> = {}) {
  return { Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra };
}

describe('parseTrustPolicy', () => {
  it('reads a principal given as a string', () => {
    expect(parseTrustPolicy(policy(allow({ AWS: 'arn:aws:iam::111122223333:root' })))).toEqual({
      ok: true,
      principals: [{ type: 'AWS', value: 'arn:aws:iam::111122223333:root', conditional: false }],
    });
  });

  it('reads principals given as an array, of every type', () => {
    const trust = parseTrustPolicy(
      policy(
        allow({
          AWS: ['arn:aws:iam::111122223333:role/a', '444455556666'],
          Service: ['cloudformation.amazonaws.com'],
          Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com',
          CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
        }),
      ),
    );

    expect(trust.ok && trust.principals.map((principal) => [principal.type, principal.value])).toEqual([
      ['AWS', 'arn:aws:iam::111122223333:role/a'],
      ['AWS', '444455556666'],
      ['Service', 'cloudformation.amazonaws.com'],
      ['Federated', 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com'],
      ['CanonicalUser', '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be'],
    ]);
  });

  it('reads a single statement given as an object, not an array', () => {
    const document = JSON.stringify({
      Version: '2012-10-17',
      Statement: allow({ Service: 'ec2.amazonaws.com' }),
    });

    expect(parseTrustPolicy(document)).toEqual({
      ok: true,
      principals: [{ type: 'Service', value: 'ec2.amazonaws.com', conditional: false }],
    });
  });

  it.each([
    ['Principal "*"', allow('*')],
    ['Principal { AWS: "*" }', allow({ AWS: '*' })],
    ['Principal { AWS: ["arn...", "*"] }', allow({ AWS: ['arn:aws:iam::111122223333:root', '*'] })],
  ])('takes %s for admitting anyone', (_label, statement) => {
    const trust = parseTrustPolicy(policy(statement));

    expect(trust.ok && trust.principals.some((principal) => principal.type === 'anyone')).toBe(true);
  });

  it('takes an Allow with NotPrincipal for admitting anyone but those it names', () => {
    const statement = { Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:root' } };

    expect(parseTrustPolicy(policy(statement))).toEqual({
      ok: true,
      principals: [{ type: 'anyone', value: 'NotPrincipal', conditional: false }],
    });
  });

  it('marks the principals of a statement with a Condition as conditional', () => {
    const trust = parseTrustPolicy(
      policy(
        allow(
          { AWS: 'arn:aws:iam::111122223333:root' },
          { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
        ),
        allow({ Service: 'cloudformation.amazonaws.com' }),
      ),
    );

    expect(trust.ok && trust.principals.map((principal) => principal.conditional)).toEqual([true, false]);
  });

  it('leaves Deny statements out: they only narrow who may assume the role', () => {
    const trust = parseTrustPolicy(
      policy(allow({ Service: 'cloudformation.amazonaws.com' }), {
        Effect: 'Deny',
        Principal: '*',
        Action: '*',
      }),
    );

    expect(trust).toEqual({
      ok: true,
      principals: [{ type: 'Service', value: 'cloudformation.amazonaws.com', conditional: false }],
    });
  });

  it('reads a policy that admits no one as admitting no principal', () => {
    expect(parseTrustPolicy(policy())).toEqual({ ok: true, principals: [] });
  });

  it.each([
    [undefined, 'its trust policy could not be read'],
    ['', 'its trust policy could not be read'],
    ['{not json', 'its trust policy could not be read'],
    ['"a string"', 'its trust policy has a statement IAM would refuse'],
    ['{"Version":"2012-10-17"}', 'its trust policy has a statement IAM would refuse'],
    [policy({ Principal: '*' }), 'its trust policy has a statement IAM would refuse'],
    [policy('Allow'), 'its trust policy has a statement IAM would refuse'],
    [
      policy({ Effect: 'Allow', Action: 'sts:AssumeRole' }),
      'its trust policy has a statement IAM would refuse',
    ],
    [policy(allow('someone')), 'its trust policy has a statement IAM would refuse'],
    [policy(allow({})), 'its trust policy has a statement IAM would refuse'],
    [policy(allow(['*'])), 'its trust policy has a statement IAM would refuse'],
    [policy(allow({ Everyone: 'x' })), 'its trust policy has a statement IAM would refuse'],
    [policy(allow({ AWS: [] })), 'its trust policy has a statement IAM would refuse'],
    [policy(allow({ AWS: 123456789012 })), 'its trust policy has a statement IAM would refuse'],
    [
      policy(allow({ AWS: ['arn:aws:iam::111122223333:root', 5] })),
      'its trust policy has a statement IAM would refuse',
    ],
  ])('proves nothing from %j: %s', (document, problem) => {
    expect(parseTrustPolicy(document)).toEqual({ ok: false, problem });
  });
});

describe('describeTrust', () => {
  it('names each principal with its type, once, and marks conditions', () => {
    const trust = parseTrustPolicy(
      policy(
        allow({ AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:root'] }),
        allow(
          { Service: 'cloudformation.amazonaws.com' },
          { Condition: { StringEquals: { 'aws:SourceAccount': '1' } } },
        ),
        allow('*'),
      ),
    );

    expect(describeTrust(trust)).toBe(
      'AWS arn:aws:iam::111122223333:root, Service cloudformation.amazonaws.com (with a condition), anyone (*)',
    );
  });

  it('says when the policy admits no one, or could not be read', () => {
    expect(describeTrust(parseTrustPolicy(policy()))).toBe('no principal');
    expect(describeTrust(parseTrustPolicy('{'))).toBe('unknown (its trust policy could not be read)');
  });
});

describe('parseAwsPrincipal', () => {
  it.each([
    ['111122223333', { partition: undefined, account: '111122223333', kind: 'root', resource: '' }],
    [
      'arn:aws:iam::111122223333:root',
      { partition: 'aws', account: '111122223333', kind: 'root', resource: '' },
    ],
    [
      'arn:aws-cn:iam::111122223333:role/AWSAFTAdmin',
      { partition: 'aws-cn', account: '111122223333', kind: 'role', resource: '/AWSAFTAdmin' },
    ],
    [
      'arn:aws-us-gov:iam::111122223333:role/aws-service-role/stacksets.cloudformation.amazonaws.com/X',
      {
        partition: 'aws-us-gov',
        account: '111122223333',
        kind: 'role',
        resource: '/aws-service-role/stacksets.cloudformation.amazonaws.com/X',
      },
    ],
    [
      'arn:aws:sts::111122223333:assumed-role/AWSAFTAdmin/AWSAFT-Session',
      {
        partition: 'aws',
        account: '111122223333',
        kind: 'assumed-role',
        resource: '/AWSAFTAdmin/AWSAFT-Session',
      },
    ],
    [
      'arn:aws:iam::111122223333:user/alice',
      { partition: 'aws', account: '111122223333', kind: 'user', resource: '/alice' },
    ],
  ])('takes %s apart', (value, expected) => {
    expect(parseAwsPrincipal(value)).toEqual(expected);
  });

  it.each([
    'AROAEXAMPLEUNIQUEID1234',
    '*',
    '11112222333',
    'arn:aws:iam::111122223333:',
    'arn:aws:iam::111122223333:role',
    'arn:aws:iam::111122223333:role/',
    'arn:aws:s3:::bucket',
    'arn:aws:iam::aws:policy/AdministratorAccess',
    'arn:evil:iam::111122223333:root',
  ])('does not take %s for an account or a principal of one', (value) => {
    expect(parseAwsPrincipal(value)).toBeUndefined();
  });
});

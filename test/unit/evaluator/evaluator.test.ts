import { describe, expect, it } from 'vitest';
import { IAM_ACTIONS } from '../../../lib/evaluator/iam-actions.js';
import {
  ESCALATION_PRIMITIVES,
  evaluatePrincipal,
  type PrincipalInput,
  type PrincipalPolicy,
} from '../../../lib/evaluator/index.js';

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;

type Stmt = Record<string, unknown>;

function policy(name: string, ...statements: Stmt[]): PrincipalPolicy {
  return { name, document: JSON.stringify({ Version: '2012-10-17', Statement: statements }) };
}

function user(policies: PrincipalPolicy[], boundary?: PrincipalPolicy): PrincipalInput {
  return { type: 'user', name: 'alice', arn: ALICE, policies, boundary };
}

function role(policies: PrincipalPolicy[]): PrincipalInput {
  return { type: 'role', name: 'app', arn: `arn:aws:iam::${ACCOUNT}:role/app`, policies };
}

const allowAll: Stmt = { Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' };

function actionsOf(input: PrincipalInput): string[] {
  const verdict = evaluatePrincipal(input);
  return verdict.kind === 'escalation' || verdict.kind === 'conditional'
    ? verdict.primitives.map((primitive) => primitive.action)
    : [];
}

describe('evaluatePrincipal', () => {
  it('finds admin in Action * and *:*, naming the policy and statement', () => {
    expect(evaluatePrincipal(user([policy('p', allowAll)]))).toEqual({
      kind: 'admin',
      grants: [{ policy: 'p', statement: 'All' }],
    });
    expect(
      evaluatePrincipal(role([policy('q', { Effect: 'Allow', Action: ['*:*'], Resource: ['*'] })])),
    ).toEqual({
      kind: 'admin',
      grants: [{ policy: 'q', statement: '#0' }],
    });
  });

  it('finds admin in a NotAction naming nothing that exists, not in one that leaves out a real service', () => {
    const nothing = policy('n', { Effect: 'Allow', NotAction: 'nosuchservice:*', Resource: '*' });
    expect(evaluatePrincipal(user([nothing])).kind).toBe('admin');
    const powerUser = policy('pu', {
      Effect: 'Allow',
      NotAction: ['iam:*', 'organizations:*'],
      Resource: '*',
    });
    expect(evaluatePrincipal(user([powerUser]))).toEqual({ kind: 'none' });
    const lessS3 = policy('s', { Effect: 'Allow', NotAction: 's3:*', Resource: '*' });
    const verdict = evaluatePrincipal(user([lessS3]));
    expect(verdict.kind).toBe('escalation');
    expect(actionsOf(user([lessS3]))).toHaveLength(ESCALATION_PRIMITIVES.length);
  });

  it('matches actions without case and with IAM wildcards', () => {
    const put = policy('p', { Effect: 'Allow', Action: 'IAM:put*POLICY', Resource: '*' });
    expect(actionsOf(user([put]))).toEqual(['iam:PutUserPolicy', 'iam:PutGroupPolicy', 'iam:PutRolePolicy']);
    const suffix = policy('s', { Effect: 'Allow', Action: 'iam:Attach?????Policy', Resource: '*' });
    expect(actionsOf(user([suffix]))).toEqual(['iam:AttachGroupPolicy']);
  });

  it('counts IAMFullAccess as escalation, not admin', () => {
    const iamFull = policy('arn:aws:iam::aws:policy/IAMFullAccess', {
      Effect: 'Allow',
      Action: ['iam:*', 'organizations:DescribeAccount'],
      Resource: '*',
    });
    expect(evaluatePrincipal(user([iamFull])).kind).toBe('escalation');
  });

  it('lets an unconditional Deny take a primitive away, and ignores a Deny under a Condition', () => {
    const denyPut = { Effect: 'Deny', Action: 'iam:Put*', Resource: '*' };
    const verdict = actionsOf(user([policy('p', allowAll, denyPut)]));
    expect(verdict).not.toContain('iam:PutUserPolicy');
    expect(verdict).toContain('iam:AttachUserPolicy');
    const conditionalDeny = { ...denyPut, Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } };
    expect(evaluatePrincipal(user([policy('p', allowAll, conditionalDeny)])).kind).toBe('admin');
  });

  it('keeps admin under a Deny of unrelated actions', () => {
    const deny = { Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' };
    expect(evaluatePrincipal(user([policy('p', allowAll, deny)])).kind).toBe('admin');
  });

  it('reports an Allow under a Condition as conditional, never escalation', () => {
    const conditioned = {
      Effect: 'Allow',
      Action: 'iam:AttachRolePolicy',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    };
    expect(evaluatePrincipal(user([policy('c', conditioned)]))).toEqual({
      kind: 'conditional',
      primitives: [{ action: 'iam:AttachRolePolicy', grants: [{ policy: 'c', statement: '#0' }] }],
    });
    expect(
      evaluatePrincipal(user([policy('c', { ...allowAll, Condition: conditioned.Condition })])).kind,
    ).toBe('conditional');
  });

  it('does not count keys and passwords for the user itself, the aws:username variable included', () => {
    const own = policy('own', {
      Effect: 'Allow',
      Action: ['iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
      Resource: ['arn:aws:iam::*:user/${aws:username}', ALICE],
    });
    expect(evaluatePrincipal(user([own]))).toEqual({ kind: 'none' });
    const others = policy('others', {
      Effect: 'Allow',
      Action: 'iam:CreateAccessKey',
      Resource: `arn:aws:iam::${ACCOUNT}:user/bob`,
    });
    expect(actionsOf(user([others]))).toEqual(['iam:CreateAccessKey']);
    // A role has no aws:username: the variable matches nothing.
    const forRole = policy('r', {
      Effect: 'Allow',
      Action: 'iam:CreateAccessKey',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
      Resource: 'arn:aws:iam::*:user/${aws:username}',
    });
    expect(evaluatePrincipal(role([forRole]))).toEqual({ kind: 'none' });
  });

  it('counts a primitive on the principal itself when it raises its own power', () => {
    const self = policy('self', { Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: ALICE });
    expect(actionsOf(user([self]))).toEqual(['iam:PutUserPolicy']);
  });

  it('needs a resource of the primitive type', () => {
    const wrongType = policy('w', {
      Effect: 'Allow',
      Action: 'iam:PutRolePolicy',
      Resource: `arn:aws:iam::${ACCOUNT}:user/*`,
    });
    expect(evaluatePrincipal(user([wrongType]))).toEqual({ kind: 'none' });
    const bucket = policy('b', { Effect: 'Allow', Action: 'iam:*', Resource: 'arn:aws:s3:::bucket' });
    expect(evaluatePrincipal(user([bucket]))).toEqual({ kind: 'none' });
    const prefixed = policy('x', {
      Effect: 'Allow',
      Action: 'iam:PutRolePolicy',
      Resource: `arn:aws:iam::${ACCOUNT}:role/app-*`,
    });
    expect(actionsOf(user([prefixed]))).toEqual(['iam:PutRolePolicy']);
  });

  it('honours NotResource', () => {
    const allButRoles = policy('n', {
      Effect: 'Allow',
      Action: 'iam:Put*',
      NotResource: 'arn:aws:iam::*:role/*',
    });
    expect(actionsOf(user([allButRoles]))).toEqual(['iam:PutUserPolicy', 'iam:PutGroupPolicy']);
  });

  it('treats another policy variable as unsettled', () => {
    const tagged = policy('t', {
      Effect: 'Allow',
      Action: 'iam:PutRolePolicy',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
      Resource: 'arn:aws:iam::*:role/${aws:PrincipalTag/team}-*',
    });
    expect(evaluatePrincipal(user([tagged])).kind).toBe('conditional');
  });

  it('intersects with the permissions boundary', () => {
    const boundary = policy('boundary', { Effect: 'Allow', Action: 's3:*', Resource: '*' });
    expect(evaluatePrincipal(user([policy('p', allowAll)], boundary))).toEqual({ kind: 'none' });
    const iamBoundary = policy('boundary', { Effect: 'Allow', Action: 'iam:AddUserToGroup', Resource: '*' });
    expect(actionsOf(user([policy('p', allowAll)], iamBoundary))).toEqual(['iam:AddUserToGroup']);
  });

  it('names the group a grant comes through', () => {
    const viaGroup = { ...policy('AdministratorAccess', allowAll), via: 'admins' };
    expect(evaluatePrincipal(user([viaGroup]))).toEqual({
      kind: 'admin',
      grants: [{ policy: 'AdministratorAccess', statement: 'All', via: 'admins' }],
    });
  });

  it('never changes a verdict for an unrelated extra statement', () => {
    const base = policy('p', { Effect: 'Allow', Action: 'iam:AttachUserPolicy', Resource: '*' });
    const extra = policy(
      'p',
      { Effect: 'Allow', Action: 'iam:AttachUserPolicy', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 'iam:ListUsers'],
        Resource: '*',
      },
    );
    expect(evaluatePrincipal(user([extra]))).toEqual(evaluatePrincipal(user([base])));
  });

  it('skips malformed documents and statements', () => {
    expect(evaluatePrincipal(user([{ name: 'bad', document: 'not json' }]))).toEqual({ kind: 'none' });
    expect(evaluatePrincipal(user([policy('p', { Effect: 'Maybe', Action: '*', Resource: '*' })]))).toEqual({
      kind: 'none',
    });
  });

  it('lists only primitives IAM really has, each documented', () => {
    const known = new Set(IAM_ACTIONS.map((action) => `iam:${action}`));
    for (const primitive of ESCALATION_PRIMITIVES) {
      expect(known.has(primitive.action)).toBe(true);
      expect(primitive.documented.length).toBeGreaterThan(0);
    }
  });
});

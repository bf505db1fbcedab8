import { describe, expect, it } from 'vitest';
import { parseIamEvent } from '../../../lib/event.js';
import { accessKeysRule } from '../../../lib/rules/access-keys.js';
import { requestOf, sampleEvent } from '../../support/deps.js';

const target = (event: unknown) => accessKeysRule.target(parseIamEvent(event));

const IAM_USER_ROOT = {
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLE',
  arn: 'arn:aws:iam::123456789012:user/root',
  accountId: '123456789012',
  userName: 'root',
};

describe('accessKeysRule.target: whose key', () => {
  it('takes an IAM user named root for a user, not the root user', () => {
    const event = sampleEvent('create-access-key-root-for-user');
    requestOf(event).userName = 'root';

    expect(target(event)).toMatchObject({
      resource: { type: 'user', name: 'root' },
      target: { userName: 'root' },
    });
  });

  it('takes an IAM user named root creating its own key (no userName) for that user', () => {
    const event = sampleEvent('create-access-key-root-own-key');
    event.detail.userIdentity = IAM_USER_ROOT;

    expect(target(event)).toMatchObject({
      resource: { type: 'user', name: 'root' },
      target: { userName: 'root', foreign: undefined },
    });
  });

  it('knows the root user by userIdentity.type only', () => {
    expect(target(sampleEvent('create-access-key-root-own-key'))).toMatchObject({
      resource: { type: 'root' },
      plan: { kind: 'alert' },
    });
  });
});

describe('accessKeysRule.target: a key made for someone else', () => {
  it('is not foreign when a user creates its own key', () => {
    expect(target(sampleEvent('create-access-key'))).toMatchObject({
      target: { userName: 'user1', createdKeyId: 'ABCDEFG', foreign: undefined },
    });
  });

  it('is not foreign when the user names itself in another case (IAM user names ignore case)', () => {
    const event = sampleEvent('create-access-key');
    requestOf(event).userName = 'USER1';

    expect(target(event)).toMatchObject({ target: { foreign: undefined } });
  });

  it('is foreign when the root user creates a key for a user, naming the caller', () => {
    expect(target(sampleEvent('create-access-key-root-for-user'))).toMatchObject({
      target: {
        userName: 'example-user',
        foreign: { accessKeyId: '1111', callerArn: 'arn:aws:iam::123456789012:root', verb: 'created' },
      },
    });
  });

  it('is foreign when one user creates a key for another', () => {
    const event = sampleEvent('create-access-key');
    requestOf(event).userName = 'bob';

    expect(target(event)).toMatchObject({
      target: { userName: 'bob', foreign: { callerArn: 'arn:aws:iam::123456789:user/user1' } },
    });
  });

  it('is foreign when a same-named user of another account creates it', () => {
    const event = sampleEvent('create-access-key');
    (event.detail.userIdentity as { accountId: string }).accountId = '999999999999';

    expect(target(event)).toMatchObject({ target: { foreign: { verb: 'created' } } });
  });

  it('is foreign when a role session reactivates a user key', () => {
    const event = sampleEvent('update-access-key-active');
    event.detail.userIdentity = sampleEvent('iam-warden-own-update-access-key').detail.userIdentity;

    expect(target(event)).toMatchObject({
      target: {
        userName: 'example-user',
        createdKeyId: undefined,
        foreign: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', verb: 'reactivated' },
      },
    });
  });

  it('reads the caller from its ARN when userIdentity.userName is absent', () => {
    const own = sampleEvent('create-access-key');
    const other = sampleEvent('create-access-key');
    (own.detail.userIdentity as Record<string, unknown>).userName = null;
    (other.detail.userIdentity as Record<string, unknown>).userName = null;
    requestOf(other).userName = 'bob';

    expect(target(own)).toMatchObject({ target: { userName: 'user1', foreign: undefined } });
    expect(target(other)).toMatchObject({ target: { foreign: { verb: 'created' } } });
  });

  it('does not take an IAM user named by neither userName nor ARN for someone else', () => {
    const event = sampleEvent('create-access-key');
    const identity = event.detail.userIdentity as Record<string, unknown>;
    identity.userName = null;
    identity.arn = undefined;

    expect(target(event)).toMatchObject({ target: { userName: 'user1', foreign: undefined } });
  });
});

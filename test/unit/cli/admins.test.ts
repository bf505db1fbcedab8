import { GetAccountAuthorizationDetailsCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatAdmins, runAdminsCommand } from '../../../lib/cli/admins.js';
import { TEST_ENV, testClients } from '../../support/deps.js';

const iam = mockClient(IAMClient);
const ARN = 'arn:aws:iam::123456789012:user/';
const ALL = encodeURIComponent(
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
);

beforeEach(() => iam.reset());

describe('iam-warden admins', () => {
  it('reads every page and prints one JSON object per admin-equivalent principal', async () => {
    iam
      .on(GetAccountAuthorizationDetailsCommand, { Marker: undefined })
      .resolves({
        IsTruncated: true,
        Marker: 'm1',
        UserDetailList: [
          {
            UserName: 'alice',
            Arn: `${ARN}alice`,
            UserPolicyList: [{ PolicyName: 'all', PolicyDocument: ALL }],
          },
        ],
      })
      .on(GetAccountAuthorizationDetailsCommand, { Marker: 'm1' })
      .resolves({ IsTruncated: false, UserDetailList: [{ UserName: 'bob', Arn: `${ARN}bob` }] });
    let stdout = '';
    const status = await runAdminsCommand(true, {
      env: TEST_ENV,
      stdout: { write: (text: string) => (stdout += text) },
      clients: testClients(),
    });
    expect(status).toBe(0);
    expect(iam).toHaveReceivedCommandTimes(GetAccountAuthorizationDetailsCommand, 2);
    expect(stdout).toBe(
      `${JSON.stringify({ type: 'user', name: 'alice', arn: `${ARN}alice`, verdict: 'admin', via: ['all #0'], designated: false })}\n`,
    );
  });

  it('says so when no principal is admin-equivalent', () => {
    expect(formatAdmins([])).toBe('No admin-equivalent principal.\n');
  });
});

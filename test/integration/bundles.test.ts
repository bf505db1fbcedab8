import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { build } from 'esbuild';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RULES } from '../../lib/config.js';
import { type LocalResources, readNotifications, readResults } from '../../lib/local/provision.js';
import type { SweepSummary } from '../../lib/sweep-handler.js';
import { runBundle, type TemplateFunction, templateFunctions } from '../support/bundles.js';
import {
  ADMINISTRATOR_ACCESS,
  attachRolePolicyEvent,
  createAccessKeyEvent,
  MOTO_ACCOUNT,
  putUserPolicyEvent,
  rootCreateAccessKeyEvent,
} from '../support/events.js';
import { drainTaps, ENFORCE, freshAccount, motoClients } from '../support/integration.js';

/**
 * Smoke test of what `sam build`/`npm run build` ship: each dist/<function>/index.mjs is imported in a child
 * process, as Lambda would, and its handler runs real events against moto. It catches what unit tests of the
 * TypeScript cannot: a broken ESM bundle (a `require` or `__dirname` esbuild left in), a dependency not
 * bundled, a `Handler` in template.yaml that names no export, configuration read wrongly at cold start.
 */

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ALLOW_DOCUMENT =
  '{\n\t"Version": "2012-10-17",\n\t"Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]\n}';

const clients = motoClients();
const functions = templateFunctions();
let resources: LocalResources;

/** What an EventBridge schedule delivers. */
function scheduledEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: MOTO_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:events:us-east-1:${MOTO_ACCOUNT}:rule/iam-warden-sweep`],
    detail: {},
  };
}

/** One function's smoke run: the IAM state and events it starts from, and what must come of them. */
interface Scenario {
  /** Creates what the events are about in moto; returns the events, delivered in order. */
  readonly arrange: () => Promise<unknown[]>;
  /** What the handler returns for each event (matched with `toMatchObject`). */
  readonly returns: readonly object[];
  /** The `outcome` attribute of each notification published. */
  readonly notified: readonly string[];
  /** Checks IAM afterwards. */
  readonly verify: () => Promise<void>;
}

/** Keyed by function folder. A function added to template.yaml without a scenario fails its test below. */
const scenarios: Record<string, Scenario> = {
  // The wall clock cannot make moto's keys old (the bundle takes no injected clock), so this proves the bundle
  // reads IAM and publishes: young keys are left alone, and the root user's key raises the alert.
  'access-keys': {
    async arrange() {
      await clients.iam.send(new CreateUserCommand({ UserName: 'bundle-keys' }));
      await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'bundle-keys' }));
      const created = await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'bundle-keys' }));
      return [
        createAccessKeyEvent('bundle-keys', created.AccessKey?.AccessKeyId ?? ''),
        rootCreateAccessKeyEvent('AKIAROOTKEYEXAMPLE02'),
      ];
    },
    returns: [
      {
        rule: 'access-keys',
        outcome: 'ignored',
        reason: 'no active access key of bundle-keys is older than 90 days',
      },
      { rule: 'access-keys', outcome: 'alert', resource: { type: 'root', name: 'root' } },
    ],
    notified: ['alert'],
    async verify() {
      const { AccessKeyMetadata = [] } = await clients.iam.send(
        new ListAccessKeysCommand({ UserName: 'bundle-keys' }),
      );
      expect(AccessKeyMetadata.map((key) => key.Status)).toEqual(['Active', 'Active']);
    },
  },
  'admin-policy': {
    async arrange() {
      await clients.iam.send(
        new CreateRoleCommand({ RoleName: 'bundle-role', AssumeRolePolicyDocument: TRUST }),
      );
      await clients.iam.send(
        new AttachRolePolicyCommand({ RoleName: 'bundle-role', PolicyArn: ADMINISTRATOR_ACCESS }),
      );
      return [attachRolePolicyEvent('bundle-role')];
    },
    returns: [
      {
        rule: 'admin-policy',
        outcome: 'remediated',
        action: { kind: 'detach-policy', roleName: 'bundle-role', policyArn: ADMINISTRATOR_ACCESS },
      },
    ],
    notified: ['remediated'],
    async verify() {
      const { AttachedPolicies } = await clients.iam.send(
        new ListAttachedRolePoliciesCommand({ RoleName: 'bundle-role' }),
      );
      expect(AttachedPolicies).toEqual([]);
    },
  },
  'inline-policy': {
    async arrange() {
      await clients.iam.send(new CreateUserCommand({ UserName: 'bundle-inline' }));
      await clients.iam.send(
        new PutUserPolicyCommand({
          UserName: 'bundle-inline',
          PolicyName: 'List',
          PolicyDocument: ALLOW_DOCUMENT,
        }),
      );
      return [putUserPolicyEvent('bundle-inline', 'List', ALLOW_DOCUMENT)];
    },
    returns: [
      {
        rule: 'inline-policy',
        outcome: 'remediated',
        action: {
          kind: 'delete-inline-policy',
          userName: 'bundle-inline',
          policyName: 'List',
          policyDocument: ALLOW_DOCUMENT,
        },
      },
    ],
    notified: ['remediated'],
    async verify() {
      const { PolicyNames } = await clients.iam.send(
        new ListUserPoliciesCommand({ UserName: 'bundle-inline' }),
      );
      expect(PolicyNames).toEqual([]);
    },
  },
  // Runs after the others (template order) and sees what they left: only its own role still offends.
  sweep: {
    async arrange() {
      await clients.iam.send(
        new CreateRoleCommand({ RoleName: 'bundle-sweep-role', AssumeRolePolicyDocument: TRUST }),
      );
      await clients.iam.send(
        new AttachRolePolicyCommand({ RoleName: 'bundle-sweep-role', PolicyArn: ADMINISTRATOR_ACCESS }),
      );
      return [scheduledEvent()];
    },
    returns: [
      {
        remediated: 1,
        failed: 0,
        deferred: 0,
        // Operation names survive minification (not the command classes' names).
        iamCalls: expect.objectContaining({ GetAccountAuthorizationDetails: 1, DetachRolePolicy: 1 }),
      } satisfies Partial<SweepSummary>,
    ],
    notified: ['remediated'],
    async verify() {
      const { AttachedPolicies } = await clients.iam.send(
        new ListAttachedRolePoliciesCommand({ RoleName: 'bundle-sweep-role' }),
      );
      expect(AttachedPolicies).toEqual([]);
    },
  },
};

/**
 * The function's whole environment: what template.yaml sets (parameter defaults), every rule in enforce as a
 * deployment chooses it (`ENFORCE`; the default is notify), with the names of the provisioned topic, tables and
 * bus, moto's endpoint and credentials, and nothing from this process but PATH.
 */
function functionEnv(fn: TemplateFunction): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...fn.environment,
    ...ENFORCE,
    ...resources.env,
    NOT_FOUND_RETRY_SECONDS: '1',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    // Keep a developer's ~/.aws profiles (endpoints, regions, credentials) out of the run.
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  };
}

beforeAll(async () => {
  resources = await freshAccount();
});
beforeEach(() => drainTaps(resources));
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

describe('built bundles', () => {
  it('template.yaml declares a function for every remediation', () => {
    expect(functions.map((fn) => fn.name)).toEqual(expect.arrayContaining([...RULES]));
  });

  it.each(functions)(
    '$name exports the handler template.yaml names ($handler) and acts on moto',
    async (fn) => {
      const scenario = scenarios[fn.name];
      if (scenario === undefined) {
        throw new Error(
          `no smoke scenario for function ${fn.name}: add one to scenarios in ${import.meta.url}`,
        );
      }
      const events = await scenario.arrange();

      const run = await runBundle(fn, events, functionEnv(fn));

      expect(run.exports).toContain(fn.exportName);
      expect(run.results).toMatchObject(scenario.returns);
      const notifications = await readNotifications(resources);
      expect(notifications.map((notification) => notification.attributes.outcome)).toEqual(scenario.notified);
      // Result events went out through the bundle's EventBridge client (and its stand-in signer, lib/stubs/).
      expect(await readResults(resources)).not.toEqual([]);
      await scenario.verify();
    },
  );
});

// The smoke test is only worth having if a broken bundle fails it: build two small broken ones and check that
// runBundle reports them, as it would the functions' bundles.
describe('runBundle', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'iam-warden-broken-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function brokenBundle(
    name: string,
    contents: string,
    external: string[] = [],
  ): Promise<TemplateFunction> {
    const bundlePath = join(dir, name, 'index.mjs');
    await build({
      stdin: { contents, resolveDir: dir, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: bundlePath,
      external,
      logLevel: 'silent',
    });
    const [template] = functions;
    if (template === undefined) throw new Error('template.yaml declares no function');
    return { ...template, name, bundlePath };
  }

  it('fails on an ESM bundle that calls require() without the banner providing it', async () => {
    const fn = await brokenBundle(
      'dynamic-require',
      "export const handler = async () => require('node:os').platform();",
    );

    await expect(runBundle(fn, [{}], { PATH: process.env.PATH ?? '' })).rejects.toThrow(
      /Dynamic require of "node:os" is not supported/,
    );
  });

  it('fails on a bundle that left out a dependency Lambda does not provide', async () => {
    const fn = await brokenBundle('unbundled', "export { z as handler } from 'zod';", ['zod']);

    await expect(runBundle(fn, [], { PATH: process.env.PATH ?? '' })).rejects.toThrow(
      /Cannot find package 'zod'/,
    );
  });
});

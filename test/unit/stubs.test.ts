import * as dynamodb from '@aws-sdk/client-dynamodb';
import { getEndpointDiscoveryPlugin } from '@aws-sdk/middleware-endpoint-discovery';
import { SignatureV4MultiRegion as RealSigner } from '@aws-sdk/signature-v4-multi-region';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { describe, expect, it } from 'vitest';
import {
  NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS,
  resolveEndpointDiscoveryConfig,
} from '../../lib/stubs/middleware-endpoint-discovery.js';
import { SignatureV4MultiRegion as StubSigner } from '../../lib/stubs/signature-v4-multi-region.js';

/**
 * The stand-ins template.yaml's `Alias` puts in the Lambda bundles for SDK packages (lib/stubs/): each must do
 * what the real package does in the bundles, and an SDK update that makes that untrue must fail here.
 */

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

describe('endpoint discovery stand-in', () => {
  /** The middleware names of every DynamoDB command of the installed SDK, resolved as a send would. */
  function commandMiddleware(add?: (command: dynamodb.PutItemCommand) => void): string[][] {
    const client = new dynamodb.DynamoDBClient({ region: 'us-east-1', credentials: CREDENTIALS });
    const commands = Object.values(dynamodb as Record<string, unknown>).filter(
      (value): value is new (input: object) => dynamodb.PutItemCommand =>
        typeof value === 'function' && typeof value.prototype?.resolveMiddleware === 'function',
    );
    expect(commands.length).toBeGreaterThan(50);
    const stacks = commands.map((Command) => {
      const command = new Command({});
      add?.(command);
      command.resolveMiddleware(client.middlewareStack, client.config, {});
      return command.middlewareStack.identify();
    });
    client.destroy();
    return [client.middlewareStack.identify(), ...stacks];
  }
  const discovery = (stacks: string[][]) => stacks.flat().filter((name) => /discover/i.test(name));

  it('stands in for nothing in use: no DynamoDB command discovers endpoints', () => {
    expect(discovery(commandMiddleware())).toEqual([]);
  });

  it('(the check above sees the discovery middleware when a command has it)', () => {
    const client = new dynamodb.DynamoDBClient({ region: 'us-east-1', credentials: CREDENTIALS });
    const stacks = commandMiddleware((command) =>
      command.middlewareStack.use(
        getEndpointDiscoveryPlugin(client.config as never, {
          isDiscoveredEndpointRequired: false,
          clientStack: client.middlewareStack as never,
        }),
      ),
    );
    client.destroy();
    expect(discovery(stacks)).not.toEqual([]);
  });

  it('leaves the client configuration as it is, and reads no setting', () => {
    const config = { region: 'us-east-1' };

    expect(resolveEndpointDiscoveryConfig(config)).toBe(config);
    expect(config).toEqual({ region: 'us-east-1' });
    expect(NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS.environmentVariableSelector()).toBeUndefined();
    expect(NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS.configFileSelector()).toBeUndefined();
  });
});

describe('SignatureV4MultiRegion stand-in', () => {
  // What the EventBridge client passes its signer (resolveAwsSdkSigV4Config).
  const options = {
    credentials: CREDENTIALS,
    region: 'eu-west-1',
    service: 'events',
    sha256: Sha256,
    uriEscapePath: true,
    runtime: 'node',
  };
  const signingDate = new Date('2026-11-22T10:00:00Z');
  function request(): HttpRequest {
    return new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: 'events.eu-west-1.amazonaws.com',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
        host: 'events.eu-west-1.amazonaws.com',
      },
      body: '{"Entries":[{"Source":"iam-warden","DetailType":"remediation","Detail":"{}"}]}',
    });
  }

  it('signs a request for a region exactly as the real signer does', async () => {
    const real = await new RealSigner(options).sign(request(), { signingDate });
    const stub = await new StubSigner(options).sign(request(), { signingDate });

    expect(stub.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261122\/eu-west-1/,
    );
    expect(stub).toEqual(real);
  });

  it('presigns a request for a region exactly as the real signer does', async () => {
    const real = await new RealSigner(options).presign(request(), { signingDate, expiresIn: 300 });
    const stub = await new StubSigner(options).presign(request(), { signingDate, expiresIn: 300 });

    expect(stub.query?.['X-Amz-Signature']).toBeDefined();
    expect(stub).toEqual(real);
  });

  it('reports, as the real signer does here, that no SigV4a implementation is loaded', () => {
    expect(RealSigner.sigv4aDependency()).toBe('none');
    expect(StubSigner.sigv4aDependency()).toBe(RealSigner.sigv4aDependency());
  });

  it('fails on SigV4a (region *), as the real signer does without an implementation', async () => {
    const sigv4a = { signingDate, signingRegion: '*' };

    await expect(new RealSigner(options).sign(request(), sigv4a)).rejects.toThrow(/SigV4a/);
    await expect(new StubSigner(options).sign(request(), sigv4a)).rejects.toThrow(
      /SigV4a .* is not part of the iam-warden bundles/,
    );
    await expect(new StubSigner(options).presign(request(), sigv4a)).rejects.toThrow(
      /SigV4a .* is not part of the iam-warden bundles/,
    );
  });
});

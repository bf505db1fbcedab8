/**
 * Stands in for `@aws-sdk/middleware-endpoint-discovery` in the Lambda bundles (template.yaml: `Alias` in each
 * function's `BuildProperties`), which keeps it and its endpoint cache (mnemonist and obliterator) out of
 * them: about 9 kB of each.
 *
 * DynamoDB dropped endpoint discovery: none of the DynamoDB client's commands adds the discovery middleware
 * any more, and nothing else reads what the client's constructor still resolves for it (the cache, the
 * `endpointDiscoveryEnabled` setting and `AWS_ENABLE_ENDPOINT_DISCOVERY`). So the client is built without
 * them, and behaves as it does with them. test/unit/stubs.test.ts fails if an SDK update wires discovery back
 * into a command; a command importing the middleware itself fails the build (this module does not export it).
 * The CLI and tests use the real package.
 */

/** The environment variable and config-file selectors of the setting: it is never read, so they find nothing. */
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: (): undefined => undefined,
  configFileSelector: (): undefined => undefined,
  default: undefined,
};

/** The client configuration unchanged: what discovery would add to it nothing reads. */
export function resolveEndpointDiscoveryConfig<T>(input: T): T {
  return input;
}

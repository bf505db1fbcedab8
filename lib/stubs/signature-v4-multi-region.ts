/**
 * Stands in for `@aws-sdk/signature-v4-multi-region` in the Lambda bundles (template.yaml: `Alias` in each
 * function's `BuildProperties`), saving about 4 kB of each. The EventBridge client signs with it; for any
 * single region it hands the request to the plain SigV4 signer (`@smithy/signature-v4`, bundled anyway), and
 * so does this. Only EventBridge global endpoints (`EndpointId`, which iam-warden never sets) sign with SigV4a
 * for region `*`, and that needs `@aws-sdk/signature-v4-crt` or `@aws-sdk/signature-v4a`, neither of which
 * is bundled: the real signer then fails, and so does this one. test/unit/stubs.test.ts checks both against
 * the real package. The CLI and tests use the real package.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, RequestPresigningArguments } from '@smithy/types';

const NO_SIGV4A =
  'SigV4a (EventBridge global endpoints) is not part of the iam-warden bundles (lib/stubs/signature-v4-multi-region.ts)';

export class SignatureV4MultiRegion extends SignatureV4 {
  /** Which SigV4a implementation is loaded: none is, in the bundles. */
  static sigv4aDependency(): 'crt' | 'js' | 'none' {
    return 'none';
  }

  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload of SignatureV4.sign, as the real signer does.
  override async sign(toSign: any, options: any = {}): Promise<any> {
    if (options.signingRegion === '*') throw new Error(NO_SIGV4A);
    return super.sign(toSign, options);
  }

  override async presign(
    request: HttpRequest,
    options: RequestPresigningArguments = {},
  ): Promise<HttpRequest> {
    if (options.signingRegion === '*') throw new Error(NO_SIGV4A);
    return super.presign(request, options);
  }
}

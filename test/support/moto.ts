import { inject } from 'vitest';
import { resetMotoState } from '../../lib/local/moto.js';
import { localClientConfig } from '../../lib/local/provision.js';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** The endpoint of the moto_server started by moto-global-setup.ts. */
export function motoEndpoint(): string {
  return inject('motoEndpoint');
}

/**
 * Clears all moto state. The server is shared by every integration file (run one at a time), so call this in
 * `beforeEach` or `beforeAll` to start from an empty account.
 */
export function resetMoto(): Promise<void> {
  return resetMotoState(motoEndpoint());
}

/** SDK client config for moto: `new IAMClient(localAws())`. */
export function localAws(): ReturnType<typeof localClientConfig> {
  return localClientConfig({ endpoint: motoEndpoint() });
}

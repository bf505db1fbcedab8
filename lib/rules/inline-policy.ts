import * as z from 'zod/mini';
import { decideInlinePolicy } from '../decisions/inline-policy.js';
import { iamName, readParameters } from '../event.js';
import { GONE, getUserPolicyDocument, readLive } from '../iam.js';
import type { Rule } from './rule.js';

const params = z.object({
  userName: iamName(64),
  policyName: iamName(128),
});

/**
 * Delete inline policies from IAM users, after saving the document. The document is read from IAM, not
 * taken from the event: a later `PutUserPolicy` may have replaced it, and what is saved must be what is removed.
 */
export const inlinePolicyRule: Rule<z.infer<typeof params>> = {
  name: 'inline-policy',
  eventNames: ['PutUserPolicy'],

  target(change) {
    const target = readParameters(change, params);
    return { resource: { type: 'user', name: target.userName }, target };
  },

  async evaluate(deps, target) {
    const policyDocument = await readLive(deps, () =>
      getUserPolicyDocument(deps.iam, target.userName, target.policyName),
    );
    if (policyDocument === GONE) return undefined;
    return decideInlinePolicy({ ...target, policyDocument });
  },
};

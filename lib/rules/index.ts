import type { RuleName } from '../config.js';
import { accessKeysRule } from './access-keys.js';
import { adminPolicyRule } from './admin-policy.js';
import { inlinePolicyRule } from './inline-policy.js';
import type { Rule } from './rule.js';

/**
 * Every remediation by the name of its function folder (`functions/<name>/`): the one registry the CLI and
 * tests look rules up in. Typed by `RuleName`, so a name added to `RULES` without a rule does not compile.
 */
export const RULES_BY_FUNCTION: Readonly<Record<RuleName, Rule<unknown>>> = Object.freeze({
  'access-keys': accessKeysRule,
  'admin-policy': adminPolicyRule,
  'inline-policy': inlinePolicyRule,
});

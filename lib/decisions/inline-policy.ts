import type { Plan } from '../plan.js';

/**
 * AWS attaches this inline policy (V2, V3...) to a user whose key it found exposed; removing it would
 * undo AWS's own containment. https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCompromisedKeyQuarantineV3.html
 */
const AWS_QUARANTINE_PREFIX = 'AWSCompromisedKeyQuarantine';

/** True when every statement of a policy document denies: removing such a policy can only widen access. */
export function isDenyOnly(policyDocument: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(policyDocument);
  } catch {
    return false;
  }
  // Only null needs a test of its own: a string, number or boolean has no Statement, which is refused below.
  if (parsed === null) return false;
  const statement = (parsed as { Statement?: unknown }).Statement;
  const statements = Array.isArray(statement) ? statement : [statement];
  return (
    statements.length > 0 &&
    statements.every(
      (item) => typeof item === 'object' && item !== null && (item as { Effect?: unknown }).Effect === 'Deny',
    )
  );
}

export interface InlinePolicyInput {
  readonly userName: string;
  readonly policyName: string;
  /** The document IAM holds now (URL-decoded). */
  readonly policyDocument: string;
}

/**
 * Decide whether to delete an inline user policy: yes, unless it is AWS's compromised-key quarantine (by name,
 * and deny-only like AWS's) or it only denies (deleting a deny grants access back: the opposite of remediation).
 */
export function decideInlinePolicy(input: InlinePolicyInput): Plan {
  const { userName, policyName, policyDocument } = input;
  // The name alone proves nothing: anyone allowed PutUserPolicy can choose it. AWS's quarantine only denies.
  if (policyName.startsWith(AWS_QUARANTINE_PREFIX) && isDenyOnly(policyDocument)) {
    return { kind: 'skip', reason: `${policyName} is AWS's compromised-key quarantine policy; it stays` };
  }
  if (isDenyOnly(policyDocument)) {
    return {
      kind: 'skip',
      reason: `inline policy ${policyName} only denies; deleting it would widen ${userName}'s access`,
    };
  }
  return {
    kind: 'act',
    action: { kind: 'delete-inline-policy', userName, policyName, policyDocument },
    reason: `user ${userName} was given inline policy ${policyName}; permissions belong in managed policies on groups or roles`,
  };
}

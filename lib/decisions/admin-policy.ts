import type { Plan } from '../plan.js';
import { judgeBuiltInAdminRole } from './admin-roles.js';
import { describeTrust, parseTrustPolicy } from './trust-policy.js';

const ADMINISTRATOR_ACCESS = /^arn:aws(?:-cn|-us-gov)?:iam::aws:policy\/AdministratorAccess$/;

/** Role paths IAM reserves for roles customers cannot modify: service-linked roles and IAM Identity Center. */
const RESERVED_PATHS = ['/aws-service-role/', '/aws-reserved/'] as const;

/** True for the AWS managed `AdministratorAccess` policy in any partition (aws, aws-cn, aws-us-gov). */
export function isAdministratorAccess(policyArn: string): boolean {
  return ADMINISTRATOR_ACCESS.test(policyArn);
}

/**
 * True when a role name or ARN matches one of the designated-admin patterns. A pattern starting with
 * `arn:` is matched against the role ARN, any other against the name; `*` matches any run of characters
 * and `?` one character; matching ignores case, as IAM does for role names.
 */
export function isDesignatedAdminRole(
  role: { name: string; arn?: string | undefined },
  patterns: readonly string[],
): string | undefined {
  return patterns.find((pattern) => {
    const subject = pattern.startsWith('arn:') ? role.arn : role.name;
    return subject !== undefined && globToRegExp(pattern).test(subject);
  });
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

export interface AdminPolicyInput {
  readonly role: {
    readonly name: string;
    readonly arn: string;
    readonly path: string;
    /** The role's trust policy (`AssumeRolePolicyDocument`, URL-decoded); undefined when IAM did not return it. */
    readonly trustPolicy: string | undefined;
  };
  /** The policy the event attached. */
  readonly policyArn: string;
  /** The role's attached managed policies now, read from IAM. */
  readonly attachedPolicyArns: readonly string[];
  /** The customer's designated admin roles (`AdminRolePatterns`): name globs and role ARNs. */
  readonly adminRolePatterns: readonly string[];
}

/**
 * Decide whether to detach AdministratorAccess from a role: yes, unless the role is reserved to AWS, is designated
 * by the customer (`AdminRolePatterns`), is a built-in admin role whose trust policy is the one its owner creates
 * it with (lib/decisions/admin-roles.ts), or no longer has the policy attached. Every skip of a designated or
 * built-in role names the principals the role trusts; a built-in name whose trust policy does not qualify is
 * judged like any other role, and the reason says why the exemption did not apply. Any other policy is not this
 * rule's business.
 */
export function decideAdminPolicy(input: AdminPolicyInput): Plan {
  const { role, policyArn } = input;
  if (!isAdministratorAccess(policyArn)) {
    return { kind: 'none', reason: `${policyArn} is not AdministratorAccess` };
  }
  const reserved = RESERVED_PATHS.find((path) => role.path.startsWith(path));
  if (reserved !== undefined) {
    return {
      kind: 'skip',
      reason: `role ${role.name} is under ${reserved}, which AWS manages and IAM will not let us modify`,
    };
  }
  const trust = parseTrustPolicy(role.trustPolicy);
  const trusted = `it trusts ${describeTrust(trust)}`;
  const pattern = isDesignatedAdminRole(role, input.adminRolePatterns);
  if (pattern !== undefined) {
    return {
      kind: 'skip',
      reason: `role ${role.name} is a designated admin role (matches "${pattern}"); ${trusted}`,
    };
  }
  const builtIn = judgeBuiltInAdminRole(role, trust);
  if (builtIn.kind === 'honoured') {
    return {
      kind: 'skip',
      reason: `role ${role.name} is a built-in admin role of ${builtIn.builtIn.tool}, trusting only what the tool creates it with; ${trusted}`,
    };
  }
  if (!input.attachedPolicyArns.includes(policyArn)) {
    return { kind: 'none', reason: `AdministratorAccess is no longer attached to role ${role.name}` };
  }
  const refused =
    builtIn.kind === 'refused'
      ? `; the exemption for built-in admin roles of ${builtIn.builtIn.tool} does not apply: ${builtIn.why}; ${trusted}`
      : '';
  return {
    kind: 'act',
    action: { kind: 'detach-policy', roleName: role.name, policyArn },
    reason: `AdministratorAccess was attached to role ${role.name}, which is not a designated admin role${refused}`,
  };
}

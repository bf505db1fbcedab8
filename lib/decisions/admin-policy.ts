import type { Plan } from '../plan.js';

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
  readonly role: { readonly name: string; readonly arn: string; readonly path: string };
  /** The policy the event attached. */
  readonly policyArn: string;
  /** The role's attached managed policies now, read from IAM. */
  readonly attachedPolicyArns: readonly string[];
  readonly adminRolePatterns: readonly string[];
}

/**
 * Decide whether to detach AdministratorAccess from a role: yes, unless the role is reserved to AWS, is a
 * designated admin role, or no longer has the policy attached. Any other policy is not this rule's business.
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
  const pattern = isDesignatedAdminRole(role, input.adminRolePatterns);
  if (pattern !== undefined) {
    return { kind: 'skip', reason: `role ${role.name} is a designated admin role (matches "${pattern}")` };
  }
  if (!input.attachedPolicyArns.includes(policyArn)) {
    return { kind: 'none', reason: `AdministratorAccess is no longer attached to role ${role.name}` };
  }
  return {
    kind: 'act',
    action: { kind: 'detach-policy', roleName: role.name, policyArn },
    reason: `AdministratorAccess was attached to role ${role.name}, which is not a designated admin role`,
  };
}

import {
  type AwsPrincipal,
  parseAwsPrincipal,
  type TrustedPrincipal,
  type TrustPolicy,
} from './trust-policy.js';

/**
 * The roles AWS's own tools create holding AdministratorAccess, which iam-warden leaves alone without being
 * told to. A name alone proves nothing (whoever can attach a policy can create a role of any name), so each is
 * recognised by the exact name, or the strict name pattern, its tool generates, AND honoured only when the
 * role's trust policy admits just the principal the tool creates it with. Otherwise the role is judged like any
 * other, and the decision says why the exemption did not apply.
 *
 * Where the trusted account varies from one organization to the next (the management account, the AFT
 * account), what is checked is the principal's shape and that all principals are in one single account; every
 * skip names the principals, so people can see which account that is. A `Condition` on the expected principal
 * is accepted: it only narrows. Break-glass roles are not here: they are the customer's to name, by ARN, in
 * `AdminRolePatterns`. The README's "Built-in admin roles" table says the same for people.
 *
 * Not listed: `AWSAFTAdmin`, which AFT creates with an inline policy that only assumes the AFT roles, never with
 * AdministratorAccess (modules/aft-iam-roles/iam.tf), so exempting it would only give it away.
 */

/** The role being judged: its name and its ARN, which gives its account and partition. */
export interface RoleIdentity {
  readonly name: string;
  readonly arn: string;
}

interface RoleContext {
  readonly name: string;
  readonly partition: string;
  readonly account: string;
}

/** Why the principals are not those the tool creates the role with; undefined when they are. */
type Check = (principals: readonly TrustedPrincipal[], role: RoleContext) => string | undefined;

/** One built-in admin role: the tool that creates it, the name it gives it, what it makes it trust. */
export interface BuiltInAdminRole {
  readonly tool: string;
  /** The name, exactly as the tool generates it (case included). */
  readonly name: RegExp;
  readonly check: Check;
}

function label(principal: TrustedPrincipal): string {
  return principal.type === 'anyone' ? `anyone (${principal.value})` : `${principal.type} ${principal.value}`;
}

/**
 * Only `AWS` principals of the shape `accept` allows, in the role's partition, all in one account, which must
 * be another account than the role's unless `ownAccount` allows it.
 */
function awsOnly(expected: string, accept: (principal: AwsPrincipal) => boolean, ownAccount = false): Check {
  return (principals, role) => {
    const accounts = new Set<string>();
    for (const principal of principals) {
      const aws = principal.type === 'AWS' ? parseAwsPrincipal(principal.value) : undefined;
      if (aws === undefined || (aws.partition ?? role.partition) !== role.partition || !accept(aws)) {
        return `it admits ${label(principal)}, not only ${expected}`;
      }
      accounts.add(aws.account);
    }
    if (accounts.size === 0) return 'it admits no principal';
    if (accounts.size > 1) return `it admits principals of ${accounts.size} accounts, not of one`;
    if (!ownAccount && accounts.has(role.account)) return `it admits its own account, not only ${expected}`;
    return undefined;
  };
}

const OTHER_ROOT = awsOnly("another account's root", (principal) => principal.kind === 'root');

/** The service-linked role StackSets creates in the management account (the trust of `stacksets-exec-*`). */
const STACKSETS_ORG_ADMIN =
  '/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin';

/**
 * The built-in admin roles, with the documentation each rests on:
 * - OrganizationAccountAccessRole: AWS Organizations creates it in each new member account, trusting the
 *   management account's root.
 *   https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html
 * - AWSControlTowerExecution: trusts the management account's root.
 *   https://docs.aws.amazon.com/controltower/latest/userguide/enrollment-prerequisites.html and roles-how.html
 * - stacksets-exec-<32 hex>: StackSets (service-managed) creates it with AdministratorAccess
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html); only the
 *   management account's service-linked role may assume it (its policy allows sts:AssumeRole on
 *   role/stacksets-exec-*: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudFormationStackSetsOrgAdminServiceRolePolicy.html).
 * - AWSCloudFormationStackSetExecutionRole (self-managed StackSets): trusts the administrator account's root, or
 *   its AWSCloudFormationStackSetAdministrationRole; the administrator account may be this one.
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
 * - AWSAFTExecution, AWSAFTService: AFT creates them in every account it manages (its own management account
 *   included) trusting role/AWSAFTAdmin and assumed-role/AWSAFTAdmin/AWSAFT-Session of the AFT management account.
 *   https://github.com/aws-ia/terraform-aws-control_tower_account_factory (modules/aft-iam-roles,
 *   sources/aft-lambda-layer/aft_common/account_provisioning_framework.py)
 * - cdk-<qualifier>-cfn-exec-role-<account>-<region>: the CDK bootstrap stack names it after its own account and
 *   region (qualifier: AllowedPattern [A-Za-z0-9_-]{1,10}, `hnb659fds` by default) and trusts
 *   cloudformation.amazonaws.com only.
 *   https://github.com/aws/aws-cdk-cli/blob/main/packages/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml
 */
export const BUILT_IN_ADMIN_ROLES: readonly BuiltInAdminRole[] = [
  { tool: 'AWS Organizations', name: /^OrganizationAccountAccessRole$/, check: OTHER_ROOT },
  { tool: 'AWS Control Tower', name: /^AWSControlTowerExecution$/, check: OTHER_ROOT },
  {
    tool: 'StackSets (service-managed)',
    name: /^stacksets-exec-[0-9a-f]{32}$/,
    check: awsOnly(
      `another account's role${STACKSETS_ORG_ADMIN}`,
      (principal) => principal.kind === 'role' && principal.resource === STACKSETS_ORG_ADMIN,
    ),
  },
  {
    tool: 'StackSets (self-managed)',
    name: /^AWSCloudFormationStackSetExecutionRole$/,
    check: awsOnly("one account's root or role", (principal) => /^(root|role)$/.test(principal.kind), true),
  },
  {
    tool: 'Account Factory for Terraform',
    name: /^AWSAFT(Execution|Service)$/,
    check: awsOnly(
      "one account's AWSAFTAdmin role and sessions",
      (principal) =>
        (principal.kind === 'role' && principal.resource === '/AWSAFTAdmin') ||
        (principal.kind === 'assumed-role' && /^\/AWSAFTAdmin\/[^/]+$/.test(principal.resource)),
      true,
    ),
  },
  {
    tool: 'CDK bootstrap',
    name: /^cdk-[\w-]{1,10}-cfn-exec-role-(\d{12})-[a-z]{2}(-[a-z]+)+-\d{1,2}$/,
    check: (principals, role) => {
      const named = /(\d{12})-[a-z-]+\d+$/.exec(role.name)?.[1];
      if (named !== role.account) return `its name is for account ${named}, not this one`;
      const other = principals.find(
        (principal) => principal.type !== 'Service' || principal.value !== 'cloudformation.amazonaws.com',
      );
      if (other !== undefined) return `it admits ${label(other)}, not only cloudformation.amazonaws.com`;
      return principals.length === 0 ? 'it admits no principal' : undefined;
    },
  },
];

/** What the built-in list says of a role. */
export type BuiltInVerdict =
  | { readonly kind: 'not-built-in' }
  | { readonly kind: 'honoured'; readonly builtIn: BuiltInAdminRole }
  | { readonly kind: 'refused'; readonly builtIn: BuiltInAdminRole; readonly why: string };

/**
 * Judge a role against the built-in admin roles: not one of them by name, or one whose trust policy is the one
 * its tool creates it with (honoured), or one whose trust policy is not (refused, saying why).
 */
export function judgeBuiltInAdminRole(role: RoleIdentity, trust: TrustPolicy): BuiltInVerdict {
  const builtIn = BUILT_IN_ADMIN_ROLES.find((candidate) => candidate.name.test(role.name));
  if (builtIn === undefined) return { kind: 'not-built-in' };
  const arn = /^arn:(aws[\w-]*):iam::(\d{12}):role\//.exec(role.arn);
  const why = !trust.ok
    ? trust.problem
    : arn === null
      ? 'its ARN is unknown'
      : builtIn.check(trust.principals, { name: role.name, partition: arn[1] ?? '', account: arn[2] ?? '' });
  return why === undefined ? { kind: 'honoured', builtIn } : { kind: 'refused', builtIn, why };
}

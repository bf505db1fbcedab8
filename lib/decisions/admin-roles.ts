import {
  type AwsPrincipal,
  parseAwsPrincipal,
  type TrustedPrincipal,
  type TrustPolicy,
} from './trust-policy.js';

/**
 * The roles AWS's own tools create holding AdministratorAccess, which iam-warden leaves alone without being
 * told to. A name alone proves nothing (whoever can attach a policy can create a role of any name), so each is
 * recognised by the exact name, or the strict name pattern, its owner generates, AND honoured only when the
 * role's trust policy admits just the principal its owner creates it with. Otherwise the role is judged like
 * any other, and the decision says why the exemption did not apply.
 *
 * Where the trusted account varies from one organization to the next (the management account, the AFT
 * account), what is checked is the principal's shape and that all principals are in one single account; the
 * skip notification names them, so people can see which account that is.
 *
 * Break-glass roles are not here: they are the customer's to name, by ARN, in `AdminRolePatterns`.
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

/** One built-in admin role: how its owner names it, and what its owner makes it trust. */
export interface BuiltInAdminRole {
  /** Which tool creates it, for messages and the README. */
  readonly owner: string;
  /** The name, exactly as the owner generates it (case included). */
  readonly name: RegExp;
  /** What the trust policy admits when the owner created it, in words. */
  readonly trusts: string;
  /** Where the name, and what the role trusts, are documented. */
  readonly sources: readonly string[];
  /** Why the principals are not those the owner creates the role with; undefined when they are. */
  readonly judge: (principals: readonly TrustedPrincipal[], role: RoleContext) => string | undefined;
}

function label(principal: TrustedPrincipal): string {
  return principal.type === 'anyone' ? `anyone (${principal.value})` : `${principal.type} ${principal.value}`;
}

/**
 * Only `AWS` principals, each of the shape `accept` allows, in the role's partition, all in one account, which
 * must be another account than the role's when `otherAccount` says so.
 */
function onlyAwsPrincipals(
  expected: string,
  accept: (principal: AwsPrincipal) => boolean,
  options: { readonly otherAccount: boolean },
) {
  return (principals: readonly TrustedPrincipal[], role: RoleContext): string | undefined => {
    if (principals.length === 0) return 'it admits no principal';
    const accounts = new Set<string>();
    for (const principal of principals) {
      if (principal.type !== 'AWS') return `it admits ${label(principal)}, not only ${expected}`;
      const aws = parseAwsPrincipal(principal.value);
      if (aws === undefined || (aws.partition ?? role.partition) !== role.partition || !accept(aws)) {
        return `it admits AWS ${principal.value}, which is not ${expected}`;
      }
      accounts.add(aws.account);
    }
    if (accounts.size > 1) {
      return `it admits principals of ${accounts.size} accounts (${[...accounts].join(', ')}), not of one`;
    }
    if (options.otherAccount && accounts.has(role.account)) {
      return `it admits a principal of the role's own account ${role.account}, not of another account`;
    }
    return undefined;
  };
}

const isRoot = (principal: AwsPrincipal): boolean => principal.kind === 'root';

/** `AWSServiceRoleForCloudFormationStackSetsOrgAdmin`, the service-linked role StackSets creates in the management account. */
const STACKSETS_ORG_ADMIN =
  '/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin';

/**
 * The built-in admin roles. Each entry's `sources` document the name and the trust policy its owner creates.
 * Not listed: `AWSAFTAdmin`, which AFT creates with an inline policy that only assumes the AFT roles, never with
 * AdministratorAccess (modules/aft-iam-roles/iam.tf), so exempting it would only give it away.
 */
export const BUILT_IN_ADMIN_ROLES: readonly BuiltInAdminRole[] = Object.freeze([
  {
    owner: 'AWS Organizations (the role it creates in each new member account)',
    name: /^OrganizationAccountAccessRole$/,
    trusts: "another account's root (the management account)",
    sources: [
      'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html',
    ],
    judge: onlyAwsPrincipals("another single account's root", isRoot, { otherAccount: true }),
  },
  {
    owner: 'AWS Control Tower (its execution role in each enrolled account)',
    name: /^AWSControlTowerExecution$/,
    trusts: "another account's root (the management account)",
    sources: [
      'https://docs.aws.amazon.com/controltower/latest/userguide/roles-how.html',
      'https://docs.aws.amazon.com/controltower/latest/userguide/enrollment-prerequisites.html',
    ],
    judge: onlyAwsPrincipals("another single account's root", isRoot, { otherAccount: true }),
  },
  {
    owner: 'CloudFormation StackSets with service-managed permissions',
    // StackSets names it `stacksets-exec-` and 32 lowercase hex digits.
    name: /^stacksets-exec-[0-9a-f]{32}$/,
    trusts: `the management account's StackSets service-linked role (role${STACKSETS_ORG_ADMIN})`,
    // The first page names the role and its AdministratorAccess; the second is the policy of the service-linked
    // role, the only one allowed to assume `stacksets-exec-*`.
    sources: [
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html',
      'https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudFormationStackSetsOrgAdminServiceRolePolicy.html',
    ],
    judge: onlyAwsPrincipals(
      `another single account's role${STACKSETS_ORG_ADMIN}`,
      (principal) => principal.kind === 'role' && principal.resource === STACKSETS_ORG_ADMIN,
      { otherAccount: true },
    ),
  },
  {
    owner:
      'CloudFormation StackSets with self-managed permissions (its execution role in each target account)',
    name: /^AWSCloudFormationStackSetExecutionRole$/,
    trusts:
      "the administrator account's root or one of its roles (AWSCloudFormationStackSetAdministrationRole)",
    sources: [
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html',
    ],
    // The administrator account may be this account: StackSets can deploy to the account it is administered from.
    judge: onlyAwsPrincipals(
      "a single account's root or role",
      (principal) => principal.kind === 'root' || principal.kind === 'role',
      { otherAccount: false },
    ),
  },
  ...['AWSAFTExecution', 'AWSAFTService'].map(
    (name): BuiltInAdminRole => ({
      owner: `Account Factory for Terraform (${name}, in every account AFT manages)`,
      name: new RegExp(`^${name}$`),
      trusts: "the AFT management account's AWSAFTAdmin role and its AWSAFT-Session",
      sources: [
        'https://github.com/aws-ia/terraform-aws-control_tower_account_factory/blob/main/modules/aft-iam-roles/iam.tf',
        'https://github.com/aws-ia/terraform-aws-control_tower_account_factory/blob/main/sources/aft-lambda-layer/aft_common/account_provisioning_framework.py',
      ],
      // AFT creates these roles in its own management account too, so the account may be this one.
      judge: onlyAwsPrincipals(
        "a single account's role/AWSAFTAdmin or its assumed-role/AWSAFTAdmin/ sessions",
        (principal) =>
          (principal.kind === 'role' && principal.resource === '/AWSAFTAdmin') ||
          (principal.kind === 'assumed-role' && /^\/AWSAFTAdmin\/[\w+=,.@-]+$/.test(principal.resource)),
        { otherAccount: false },
      ),
    }),
  ),
  {
    owner: 'the AWS CDK bootstrap stack (its CloudFormation execution role)',
    // cdk-<qualifier>-cfn-exec-role-<account>-<region>; the qualifier is the bootstrap template's
    // AllowedPattern [A-Za-z0-9_-]{1,10}, `hnb659fds` by default.
    name: /^cdk-[A-Za-z0-9_-]{1,10}-cfn-exec-role-\d{12}-[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/,
    trusts: 'the CloudFormation service (cloudformation.amazonaws.com) only',
    sources: [
      'https://github.com/aws/aws-cdk-cli/blob/main/packages/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml',
    ],
    judge: (principals, role) => {
      // The bootstrap stack names the role after the account it is in.
      const named = /-cfn-exec-role-(\d{12})-/.exec(role.name)?.[1];
      if (named !== role.account) return `its name is for account ${named}, not this account ${role.account}`;
      if (principals.length === 0) return 'it admits no principal';
      const other = principals.find(
        (principal) => principal.type !== 'Service' || principal.value !== 'cloudformation.amazonaws.com',
      );
      return other === undefined
        ? undefined
        : `it admits ${label(other)}, not only cloudformation.amazonaws.com`;
    },
  },
]);

/** What the built-in list says of a role. */
export type BuiltInVerdict =
  | { readonly kind: 'not-built-in' }
  | { readonly kind: 'honoured'; readonly builtIn: BuiltInAdminRole }
  | { readonly kind: 'refused'; readonly builtIn: BuiltInAdminRole; readonly why: string };

const ROLE_ARN = /^arn:(aws[\w-]*):iam::(\d{12}):role\//;

/**
 * Judge a role against the built-in admin roles: not one of them by name, or one whose trust policy is the one
 * its owner creates it with (honoured), or one whose trust policy is not (refused, saying why).
 */
export function judgeBuiltInAdminRole(role: RoleIdentity, trust: TrustPolicy): BuiltInVerdict {
  const builtIn = BUILT_IN_ADMIN_ROLES.find((candidate) => candidate.name.test(role.name));
  if (builtIn === undefined) return { kind: 'not-built-in' };
  if (!trust.ok) return { kind: 'refused', builtIn, why: trust.problem };
  const arn = ROLE_ARN.exec(role.arn);
  if (arn === null)
    return { kind: 'refused', builtIn, why: `its ARN (${role.arn || 'none'}) could not be read` };
  const [, partition, account] = arn as unknown as [string, string, string];
  const why = builtIn.judge(trust.principals, { name: role.name, partition, account });
  return why === undefined ? { kind: 'honoured', builtIn } : { kind: 'refused', builtIn, why };
}

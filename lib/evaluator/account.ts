/**
 * The account-wide admin map: every user, group and role the evaluator finds admin-equivalent (or able to be,
 * under a condition), computed from the `GetAccountAuthorizationDetails` pages alone (no other IAM read). The
 * page types are structural, the fields the SDK returns, so that this stays pure.
 */
import { isDesignatedAdminRole } from '../decisions/admin-policy.js';
import { judgeBuiltInAdminRole } from '../decisions/admin-roles.js';
import { parseTrustPolicy } from '../decisions/trust-policy.js';
import { evaluatePrincipal, type Grant, type PrincipalPolicy, type Verdict } from './index.js';

interface InlinePolicy {
  PolicyName?: string | undefined;
  PolicyDocument?: string | undefined;
}
interface Attached {
  PolicyArn?: string | undefined;
}
interface Boundary {
  PermissionsBoundaryArn?: string | undefined;
}

/** The parts of one `GetAccountAuthorizationDetails` page the map reads. */
export interface AuthorizationDetailsPage {
  UserDetailList?:
    | {
        UserName?: string | undefined;
        Arn?: string | undefined;
        UserPolicyList?: InlinePolicy[] | undefined;
        GroupList?: string[] | undefined;
        AttachedManagedPolicies?: Attached[] | undefined;
        PermissionsBoundary?: Boundary | undefined;
      }[]
    | undefined;
  GroupDetailList?:
    | {
        GroupName?: string | undefined;
        Arn?: string | undefined;
        GroupPolicyList?: InlinePolicy[] | undefined;
        AttachedManagedPolicies?: Attached[] | undefined;
      }[]
    | undefined;
  RoleDetailList?:
    | {
        RoleName?: string | undefined;
        Arn?: string | undefined;
        AssumeRolePolicyDocument?: string | undefined;
        RolePolicyList?: InlinePolicy[] | undefined;
        AttachedManagedPolicies?: Attached[] | undefined;
        PermissionsBoundary?: Boundary | undefined;
      }[]
    | undefined;
  Policies?:
    | {
        Arn?: string | undefined;
        DefaultVersionId?: string | undefined;
        PolicyVersionList?:
          | {
              VersionId?: string | undefined;
              IsDefaultVersion?: boolean | undefined;
              Document?: string | undefined;
            }[]
          | undefined;
      }[]
    | undefined;
}

/** One admin-equivalent principal. */
export interface AdminEntry {
  readonly type: 'user' | 'group' | 'role';
  readonly name: string;
  readonly arn: string;
  readonly verdict: Exclude<Verdict['kind'], 'none'>;
  /** How: `<policy> <statement>[ via group <group>][: <primitive>]`, one per grant. */
  readonly via: readonly string[];
  /** Designated by `AdminRolePatterns`, or a built-in admin role of lib/decisions/admin-roles.ts. */
  readonly designated: boolean;
}

function decode(document: string): string {
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}

function inline(list: readonly InlinePolicy[] | undefined, via?: string): PrincipalPolicy[] {
  return (list ?? []).flatMap((policy) =>
    policy.PolicyName && policy.PolicyDocument !== undefined
      ? [{ name: policy.PolicyName, via, document: decode(policy.PolicyDocument) }]
      : [],
  );
}

function describe(grant: Grant, primitive?: string): string {
  const group = grant.via === undefined ? '' : ` via group ${grant.via}`;
  return `${grant.policy} ${grant.statement}${group}${primitive === undefined ? '' : `: ${primitive}`}`;
}

function howOf(verdict: Verdict): string[] {
  if (verdict.kind === 'none') return [];
  if (verdict.kind === 'admin') return verdict.grants.map((grant) => describe(grant));
  return verdict.primitives.flatMap((primitive) =>
    primitive.grants.map((grant) => describe(grant, primitive.action)),
  );
}

/**
 * Every admin-equivalent user, group and role of the account, from its authorization-details pages (all
 * filters: users, groups, roles, local and AWS managed policies). Managed policies count at their default
 * version; a user counts its groups' policies. A principal whose boundary policy is not in the pages is judged
 * without it (the map may then over-report, never under-report).
 */
export function adminMap(
  pages: readonly AuthorizationDetailsPage[],
  adminRolePatterns: readonly string[],
): AdminEntry[] {
  const documents = new Map<string, string>();
  for (const policy of pages.flatMap((page) => page.Policies ?? [])) {
    const version = (policy.PolicyVersionList ?? []).find((candidate) =>
      policy.DefaultVersionId !== undefined
        ? candidate.VersionId === policy.DefaultVersionId
        : candidate.IsDefaultVersion === true,
    );
    if (policy.Arn && version?.Document !== undefined) documents.set(policy.Arn, decode(version.Document));
  }
  const attached = (list: readonly Attached[] | undefined, via?: string): PrincipalPolicy[] =>
    (list ?? []).flatMap((policy) => {
      const document = policy.PolicyArn ? documents.get(policy.PolicyArn) : undefined;
      return policy.PolicyArn && document !== undefined ? [{ name: policy.PolicyArn, via, document }] : [];
    });
  const boundary = (value: Boundary | undefined): PrincipalPolicy | undefined => {
    const arn = value?.PermissionsBoundaryArn;
    const document = arn ? documents.get(arn) : undefined;
    return arn && document !== undefined ? { name: arn, document } : undefined;
  };

  const groups = new Map<string, PrincipalPolicy[]>();
  const entries: AdminEntry[] = [];
  const add = (
    type: AdminEntry['type'],
    name: string,
    arn: string,
    verdict: Verdict,
    designated: boolean,
  ) => {
    if (verdict.kind !== 'none')
      entries.push({ type, name, arn, verdict: verdict.kind, via: howOf(verdict), designated });
  };
  const designatedByPattern = (name: string, arn: string) =>
    isDesignatedAdminRole({ name, arn }, adminRolePatterns) !== undefined;

  for (const group of pages.flatMap((page) => page.GroupDetailList ?? [])) {
    if (!group.GroupName || !group.Arn) continue;
    const own = [...inline(group.GroupPolicyList), ...attached(group.AttachedManagedPolicies)];
    groups.set(group.GroupName, [
      ...inline(group.GroupPolicyList, group.GroupName),
      ...attached(group.AttachedManagedPolicies, group.GroupName),
    ]);
    const verdict = evaluatePrincipal({
      type: 'group',
      name: group.GroupName,
      arn: group.Arn,
      policies: own,
    });
    add('group', group.GroupName, group.Arn, verdict, designatedByPattern(group.GroupName, group.Arn));
  }
  for (const user of pages.flatMap((page) => page.UserDetailList ?? [])) {
    if (!user.UserName || !user.Arn) continue;
    const policies = [
      ...inline(user.UserPolicyList),
      ...attached(user.AttachedManagedPolicies),
      ...(user.GroupList ?? []).flatMap((group) => groups.get(group) ?? []),
    ];
    const verdict = evaluatePrincipal({
      type: 'user',
      name: user.UserName,
      arn: user.Arn,
      policies,
      boundary: boundary(user.PermissionsBoundary),
    });
    add('user', user.UserName, user.Arn, verdict, designatedByPattern(user.UserName, user.Arn));
  }
  for (const role of pages.flatMap((page) => page.RoleDetailList ?? [])) {
    if (!role.RoleName || !role.Arn) continue;
    const verdict = evaluatePrincipal({
      type: 'role',
      name: role.RoleName,
      arn: role.Arn,
      policies: [...inline(role.RolePolicyList), ...attached(role.AttachedManagedPolicies)],
      boundary: boundary(role.PermissionsBoundary),
    });
    const trust = parseTrustPolicy(
      role.AssumeRolePolicyDocument === undefined ? undefined : decode(role.AssumeRolePolicyDocument),
    );
    const builtIn = judgeBuiltInAdminRole({ name: role.RoleName, arn: role.Arn }, trust).kind === 'honoured';
    add('role', role.RoleName, role.Arn, verdict, builtIn || designatedByPattern(role.RoleName, role.Arn));
  }
  return entries;
}

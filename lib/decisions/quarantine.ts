import type { Action, Resource } from '../plan.js';
import { isDesignatedAdminRole } from './admin-policy.js';
import { BUILT_IN_ADMIN_ROLES } from './admin-roles.js';

/** What to do about a principal that keeps re-making a change iam-warden undoes: tell people, or also fence it. */
export const REPEAT_OFFENDER_ACTIONS = ['alert', 'quarantine'] as const;
export type RepeatOffenderAction = (typeof REPEAT_OFFENDER_ACTIONS)[number];

export interface QuarantineInput {
  /** Who made the change, as the event names it. */
  readonly actor: { readonly type: string; readonly arn: string; readonly issuerArn: string | undefined };
  /** The account the change was made in: only its own principals can be quarantined there. */
  readonly account: string;
  /** The stack's deny-all managed policy. */
  readonly policyArn: string;
  readonly ownRoleArns: readonly string[];
  readonly adminRolePatterns: readonly string[];
}

export type QuarantinePlan =
  | {
      readonly kind: 'act';
      readonly action: Extract<Action, { kind: 'quarantine' }>;
      readonly resource: Resource;
    }
  | { readonly kind: 'skip'; readonly reason: string };

/** Role paths AWS manages (service-linked roles, IAM Identity Center): IAM refuses to attach policies to them. */
const AWS_MANAGED_PATHS = ['/aws-service-role/', '/aws-reserved/'] as const;

const PRINCIPAL_ARN = /^arn:aws[\w-]*:iam::(\d{12}):(user|role)(\/(?:[^/]+\/)*)([\w+=,.@-]{1,64})$/;

function parse(arn: string | undefined) {
  const match = arn === undefined ? null : PRINCIPAL_ARN.exec(arn);
  if (match === null) return undefined;
  const [, account = '', type = '', path = '/', name = ''] = match;
  return { account, type: type as 'user' | 'role', path, name, arn: arn as string };
}

/**
 * Whether, and how, to quarantine the principal behind a repeated change: its IAM user, or the role behind its
 * session. Never the root user (policies do not bind it), a role AWS manages, a designated admin role,
 * iam-warden's own roles (that would switch iam-warden off; a grant by them is reported as a hijack), a principal
 * of another account, or an identity with no IAM principal of its own (a service, a federated user).
 */
export function decideQuarantine(input: QuarantineInput): QuarantinePlan {
  const { actor } = input;
  const who = actor.arn;
  let principal: ReturnType<typeof parse>;
  if (actor.type === 'IAMUser') principal = parse(actor.arn);
  else if (actor.type === 'AssumedRole') principal = parse(actor.issuerArn);
  else if (actor.type === 'Root') {
    return {
      kind: 'skip',
      reason: `${who} is the root user: no policy binds it; secure its credentials by hand`,
    };
  } else {
    return {
      kind: 'skip',
      reason: `${who} (${actor.type}) is not an IAM user or role session that can be quarantined`,
    };
  }
  if (principal === undefined || principal.type !== (actor.type === 'IAMUser' ? 'user' : 'role')) {
    return { kind: 'skip', reason: `${who}: the event does not name the IAM principal behind it` };
  }
  if (principal.account !== input.account) {
    return { kind: 'skip', reason: `${principal.arn} belongs to another account than ${input.account}` };
  }
  if (principal.type === 'role') {
    const managed = AWS_MANAGED_PATHS.find((path) => principal.path.startsWith(path));
    if (managed !== undefined) {
      return {
        kind: 'skip',
        reason: `role ${principal.name} is under ${managed}, which AWS manages (for IAM Identity Center, remove the user's permission set assignment instead)`,
      };
    }
    if (input.ownRoleArns.some((arn) => arn.toLowerCase() === principal.arn.toLowerCase())) {
      return {
        kind: 'skip',
        reason: `role ${principal.name} is iam-warden's own role; quarantining it would switch iam-warden off`,
      };
    }
    const pattern = isDesignatedAdminRole(principal, input.adminRolePatterns);
    if (pattern !== undefined) {
      return {
        kind: 'skip',
        reason: `role ${principal.name} is a designated admin role (matches "${pattern}")`,
      };
    }
    // By name alone: not quarantining only leaves people to act; fencing off the organization's own way into the
    // account (OrganizationAccountAccessRole, Control Tower) could lock its administrators out.
    const tool = BUILT_IN_ADMIN_ROLES.find((builtIn) => builtIn.name.test(principal.name));
    if (tool !== undefined) {
      return {
        kind: 'skip',
        reason: `role ${principal.name} is ${tool.tool}'s admin role; a person must act`,
      };
    }
  }
  return {
    kind: 'act',
    action: {
      kind: 'quarantine',
      principalType: principal.type,
      principalName: principal.name,
      policyArn: input.policyArn,
    },
    resource: { type: principal.type, name: principal.name, arn: principal.arn },
  };
}

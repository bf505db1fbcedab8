import { type CredentialReport, type ReportKey, ROOT_ACCOUNT } from '../credential-report.js';
import type { Plan } from '../plan.js';
import { decideAdminPolicy, isAdministratorAccess } from './admin-policy.js';
import { decideInlinePolicy } from './inline-policy.js';

/**
 * What the sweep reads in bulk and decides from, before it looks closer at anyone: pure functions over the
 * credential report and `GetAccountAuthorizationDetails`. They choose *candidates*; each candidate's live state
 * is read again, and decided by the event path's own decision, before anything is changed.
 */

const DAY_MS = 86_400_000;

/** A user as `GetAccountAuthorizationDetails` lists it, inline policy documents URL-decoded. */
export interface UserDetails {
  readonly name: string;
  readonly arn: string;
  readonly createDate: Date | undefined;
  readonly inlinePolicies: readonly { readonly name: string; readonly document: string }[];
}

/** A role as `GetAccountAuthorizationDetails` lists it. */
export interface RoleDetails {
  readonly name: string;
  readonly arn: string;
  readonly path: string;
  readonly attachedPolicyArns: readonly string[];
  /** The trust policy, URL-decoded; undefined when IAM did not list one. */
  readonly trustPolicy: string | undefined;
  /** When the role was created: a role younger than a day holds only fresh grants (see `changeAge`). */
  readonly createDate?: Date | undefined;
}

function ageDays(now: Date, since: Date): number {
  return (now.getTime() - since.getTime()) / DAY_MS;
}

function isStale(key: ReportKey, now: Date, maxKeyAgeDays: number): boolean {
  return key.active && key.lastRotated !== undefined && ageDays(now, key.lastRotated) > maxKeyAgeDays;
}

export interface KeyCandidates {
  /** Users with at least one active key older than the limit, per the report: their keys are listed next. */
  readonly users: readonly string[];
  /** Set when the root user has an active access key (any age): IAM's API cannot act on it; people must. */
  readonly rootPlan: Plan | undefined;
}

/**
 * The users whose keys the sweep must look at: those the report shows with an active key older than
 * `maxKeyAgeDays`, judged by `access_key_N_last_rotated`. The report says nothing of key IDs, and may be up to
 * four hours old; the candidates' keys are listed and judged by `decideAccessKeys` before anything is done.
 */
export function selectKeyCandidates(
  report: Pick<CredentialReport, 'rows'>,
  now: Date,
  maxKeyAgeDays: number,
): KeyCandidates {
  const users: string[] = [];
  let rootPlan: Plan | undefined;
  for (const row of report.rows) {
    if (row.user === ROOT_ACCOUNT) {
      const active = row.keys.filter((key) => key.active);
      if (active.length > 0) {
        const ages = active
          .map((key) =>
            key.lastRotated === undefined
              ? `key ${key.slot}`
              : `key ${key.slot} (${Math.floor(ageDays(now, key.lastRotated))} days old)`,
          )
          .join(', ');
        rootPlan = {
          kind: 'alert',
          reason: `the root user has an active access key: ${ages}; root keys cannot be managed through IAM's API: delete it signed in as root and use roles instead`,
        };
      }
      continue;
    }
    if (row.keys.some((key) => isStale(key, now, maxKeyAgeDays))) users.push(row.user);
  }
  return { users, rootPlan };
}

/**
 * Users that exist but that the report does not describe although they are older than it: rows IAM wrote in a
 * way we could not read. Their keys are listed directly rather than assumed fine. Users created after the
 * report was generated are left out: none of their keys can be older than the report (at most 4 hours).
 */
export function usersMissingFromReport(
  users: readonly UserDetails[],
  report: Pick<CredentialReport, 'rows'>,
  generatedAt: Date,
): string[] {
  const described = new Set(report.rows.map((row) => row.user));
  return users
    .filter((user) => !described.has(user.name))
    .filter((user) => user.createDate === undefined || user.createDate.getTime() <= generatedAt.getTime())
    .map((user) => user.name);
}

/** An active key nearing the limit: its owner is told before iam-warden deactivates it. */
export interface KeyWarning {
  readonly userName: string;
  readonly userArn: string;
  readonly slot: 1 | 2;
  readonly createDate: Date;
  readonly ageDays: number;
  /** When the key turns older than the limit, and the sweep after that deactivates it. */
  readonly deactivateAfter: Date;
}

/**
 * The active keys entering the warning period today: those whose age in whole days is exactly
 * `maxKeyAgeDays - warningDays`. A daily sweep therefore warns about each key once, `warningDays` days ahead;
 * a sweep that runs more often than daily warns more than once that day. `warningDays` 0 turns warnings off.
 */
export function selectKeyWarnings(
  report: Pick<CredentialReport, 'rows'>,
  now: Date,
  maxKeyAgeDays: number,
  warningDays: number,
): KeyWarning[] {
  if (warningDays <= 0 || warningDays >= maxKeyAgeDays) return [];
  const warnAt = maxKeyAgeDays - warningDays;
  return report.rows
    .filter((row) => row.user !== ROOT_ACCOUNT)
    .flatMap((row) =>
      row.keys.flatMap((key) => {
        if (!key.active || key.lastRotated === undefined) return [];
        const age = Math.floor(ageDays(now, key.lastRotated));
        if (age !== warnAt) return [];
        return [
          {
            userName: row.user,
            userArn: row.arn,
            slot: key.slot,
            createDate: key.lastRotated,
            ageDays: age,
            deactivateAfter: new Date(key.lastRotated.getTime() + maxKeyAgeDays * DAY_MS),
          },
        ];
      }),
    );
}

/** A bulk-read finding: what the event path's decision says, from the bulk data alone. */
export interface Finding<T> {
  readonly subject: T;
  readonly plan: Plan;
}

/**
 * Every role holding AdministratorAccess, each with `decideAdminPolicy`'s verdict on the bulk data: `act` for the
 * candidates (re-read before acting), `skip` for designated admin roles and roles AWS reserves.
 */
export function adminPolicyFindings(
  roles: readonly RoleDetails[],
  adminRolePatterns: readonly string[],
): Finding<{ role: RoleDetails; policyArn: string }>[] {
  return roles.flatMap((role) =>
    role.attachedPolicyArns.filter(isAdministratorAccess).map((policyArn) => ({
      subject: { role, policyArn },
      plan: decideAdminPolicy({
        role,
        policyArn,
        attachedPolicyArns: role.attachedPolicyArns,
        adminRolePatterns,
      }),
    })),
  );
}

/**
 * Every inline user policy, each with `decideInlinePolicy`'s verdict on the document listed: `act` for the
 * candidates (re-read before acting), `skip` for deny-only policies and AWS's quarantine policy.
 */
export function inlinePolicyFindings(
  users: readonly UserDetails[],
): Finding<{ user: UserDetails; policyName: string }>[] {
  return users.flatMap((user) =>
    user.inlinePolicies.map((policy) => ({
      subject: { user, policyName: policy.name },
      plan: decideInlinePolicy({
        userName: user.name,
        policyName: policy.name,
        policyDocument: policy.document,
      }),
    })),
  );
}

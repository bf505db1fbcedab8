/**
 * A role's trust policy (its `AssumeRolePolicyDocument`), read for one question: which principals may assume the
 * role. Pure and offline: the document comes from `GetRole` on the event path and from
 * `GetAccountAuthorizationDetails` in the sweep, both URL-decoded by the caller.
 *
 * Only `Allow` statements admit anyone; a `Deny` can only narrow, so it is left out. A `Condition` also only
 * narrows who is admitted, never widens it: principals are listed with a mark saying they are conditional.
 * An `Allow` with `NotPrincipal` admits everyone but the principals it names, so it counts as admitting anyone
 * (`anyone (NotPrincipal)`).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 */

/** Who a principal entry names: the keys of IAM's `Principal` element, or anyone. */
export type PrincipalType = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser' | 'anyone';

/** One principal an `Allow` statement of the trust policy admits. */
export interface TrustedPrincipal {
  readonly type: PrincipalType;
  /** As written in the policy: an ARN, an account ID, a service name, a provider ARN, or `*`. */
  readonly value: string;
  /** True when the statement has a `Condition`, which may narrow who the principal admits in practice. */
  readonly conditional: boolean;
}

/** A trust policy read: the principals it admits, or why it could not be read (then it proves nothing). */
export type TrustPolicy =
  | { readonly ok: true; readonly principals: readonly TrustedPrincipal[] }
  | { readonly ok: false; readonly problem: string };

const PRINCIPAL_TYPES: readonly string[] = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The principals one `Allow` statement admits; undefined when its principal is not one IAM accepts. */
function principalsOf(statement: Record<string, unknown>): TrustedPrincipal[] | undefined {
  const conditional = statement.Condition !== undefined;
  if (statement.NotPrincipal !== undefined) return [{ type: 'anyone', value: 'NotPrincipal', conditional }];
  const principal = statement.Principal;
  if (principal === '*') return [{ type: 'anyone', value: '*', conditional }];
  if (!isObject(principal)) return undefined;
  const principals: TrustedPrincipal[] = [];
  for (const [type, raw] of Object.entries(principal)) {
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    if (!PRINCIPAL_TYPES.includes(type) || values.length === 0) return undefined;
    for (const value of values) {
      if (typeof value !== 'string') return undefined;
      principals.push({ type: value === '*' ? 'anyone' : (type as PrincipalType), value, conditional });
    }
  }
  return principals.length > 0 ? principals : undefined;
}

/**
 * Read a trust policy document (URL-decoded JSON). A missing or malformed document, or a statement whose
 * principal IAM would not accept, is `ok: false`: nothing can be concluded from it.
 */
export function parseTrustPolicy(document: string | undefined): TrustPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document ?? '');
  } catch {
    return { ok: false, problem: 'its trust policy could not be read' };
  }
  const statement = isObject(parsed) ? parsed.Statement : undefined;
  const statements: unknown[] = Array.isArray(statement) ? statement : [statement];
  const principals: TrustedPrincipal[] = [];
  for (const item of statements) {
    const admitted = !isObject(item)
      ? undefined
      : item.Effect === 'Deny'
        ? []
        : item.Effect === 'Allow'
          ? principalsOf(item)
          : undefined;
    if (admitted === undefined)
      return { ok: false, problem: 'its trust policy has a statement IAM would refuse' };
    principals.push(...admitted);
  }
  return { ok: true, principals };
}

/**
 * The principals in words for people, each once: `AWS arn:aws:iam::111122223333:root, Service
 * cloudformation.amazonaws.com`. No cap is needed: IAM caps a trust policy at 2,048 characters (4,096 by quota).
 */
export function describeTrust(trust: TrustPolicy): string {
  if (!trust.ok) return `unknown (${trust.problem})`;
  if (trust.principals.length === 0) return 'no principal';
  const named = [
    ...new Set(
      trust.principals.map((principal) =>
        principal.type === 'anyone'
          ? `anyone (${principal.value})`
          : `${principal.type} ${principal.value}${principal.conditional ? ' (with a condition)' : ''}`,
      ),
    ),
  ];
  return named.join(', ');
}

/** An `AWS` principal taken apart: the account it belongs to and what it is there. */
export interface AwsPrincipal {
  /** Undefined for a bare account ID, which IAM stores as that account's root ARN. */
  readonly partition: string | undefined;
  readonly account: string;
  /** `root` for the account itself; otherwise the ARN's resource type (`role`, `assumed-role`, `user`...). */
  readonly kind: string;
  /** What follows the type: `/path/name` for a role or user, `name/session` for an assumed role. */
  readonly resource: string;
}

const AWS_PRINCIPAL_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):(?:iam|sts)::(\d{12}):([\w+=,.@/-]+)$/;

/**
 * Take an `AWS` principal apart. IAM stores a bare account ID as the account's root ARN; a principal IAM has
 * replaced by a unique ID (`AROA...`, after the role it named was deleted) is not an ARN and gives undefined.
 */
export function parseAwsPrincipal(value: string): AwsPrincipal | undefined {
  if (/^\d{12}$/.test(value)) return { partition: undefined, account: value, kind: 'root', resource: '' };
  const match = AWS_PRINCIPAL_ARN.exec(value);
  if (match === null) return undefined;
  const [, partition, account, rest] = match as unknown as [string, string, string, string];
  if (rest === 'root') return { partition, account, kind: 'root', resource: '' };
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { partition, account, kind: rest.slice(0, slash), resource: rest.slice(slash) };
}

/**
 * A role's trust policy (its `AssumeRolePolicyDocument`), read for one question: which principals may assume the
 * role. Pure and offline: the document comes from `GetRole` on the event path and from
 * `GetAccountAuthorizationDetails` in the sweep, both URL-decoded by the caller.
 *
 * Only `Allow` statements admit anyone; a `Deny` can only narrow, so it is left out. A `Condition` also only
 * narrows who is admitted, never widens it: principals are listed with a mark saying they are conditional.
 * An `Allow` with `NotPrincipal` admits everyone but the principals it names, so it counts as admitting anyone.
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

const PRINCIPAL_TYPES: readonly PrincipalType[] = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A `Principal` element's values: a string or a non-empty array of strings; undefined when it is neither. */
function stringsOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) {
    return value as string[];
  }
  return undefined;
}

/** The principals one `Allow` statement admits, or a problem when its `Principal` is not one IAM accepts. */
function principalsOf(statement: Record<string, unknown>): TrustedPrincipal[] | string {
  const conditional = statement.Condition !== undefined;
  if (statement.NotPrincipal !== undefined) {
    return [{ type: 'anyone', value: 'every principal NotPrincipal does not name', conditional }];
  }
  const principal = statement.Principal;
  if (principal === '*') return [{ type: 'anyone', value: '*', conditional }];
  if (!isObject(principal) || Object.keys(principal).length === 0) {
    return `a statement has no Principal IAM accepts (${JSON.stringify(principal) ?? 'none'})`;
  }
  const principals: TrustedPrincipal[] = [];
  for (const [key, raw] of Object.entries(principal)) {
    const type = PRINCIPAL_TYPES.find((known) => known === key);
    const values = stringsOf(raw);
    if (type === undefined || values === undefined) {
      return `a statement names a principal IAM does not know (${JSON.stringify({ [key]: raw })})`;
    }
    for (const value of values) {
      principals.push({ type: value === '*' ? 'anyone' : type, value, conditional });
    }
  }
  return principals;
}

/**
 * Read a trust policy document (URL-decoded JSON). A missing or malformed document, or a statement whose
 * principal IAM would not accept, is `ok: false`: nothing can be concluded from it.
 */
export function parseTrustPolicy(document: string | undefined): TrustPolicy {
  if (document === undefined || document === '')
    return { ok: false, problem: 'the trust policy could not be read' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return { ok: false, problem: 'the trust policy is not valid JSON' };
  }
  if (!isObject(parsed) || parsed.Statement === undefined) {
    return { ok: false, problem: 'the trust policy has no Statement' };
  }
  const statements: unknown[] = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  const principals: TrustedPrincipal[] = [];
  for (const statement of statements) {
    if (!isObject(statement) || (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')) {
      return { ok: false, problem: 'a statement of the trust policy has no Effect of Allow or Deny' };
    }
    if (statement.Effect === 'Deny') continue;
    const admitted = principalsOf(statement);
    if (typeof admitted === 'string') return { ok: false, problem: admitted };
    principals.push(...admitted);
  }
  return { ok: true, principals };
}

/** At most this many principals are named in a message; the rest are counted. */
const DESCRIBED_PRINCIPALS = 10;

/** The principals in words for people: `AWS arn:aws:iam::111122223333:root, Service cloudformation.amazonaws.com`. */
export function describeTrust(trust: TrustPolicy): string {
  if (!trust.ok) return `unknown (${trust.problem})`;
  if (trust.principals.length === 0) return 'no principal';
  const seen = new Set<string>();
  const named: string[] = [];
  for (const principal of trust.principals) {
    const text =
      principal.type === 'anyone'
        ? `anyone (${principal.value})`
        : `${principal.type} ${principal.value}${principal.conditional ? ' (with a condition)' : ''}`;
    if (!seen.has(text)) named.push(text);
    seen.add(text);
  }
  const more = named.length - DESCRIBED_PRINCIPALS;
  return more > 0 ? `${named.slice(0, DESCRIBED_PRINCIPALS).join(', ')} and ${more} more` : named.join(', ');
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

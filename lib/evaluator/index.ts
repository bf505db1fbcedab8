/**
 * Admin-equivalence: one pure, offline evaluator. Given a principal's identity policies and its permissions
 * boundary, it says whether the principal is `admin`, can escalate (`escalation`, with the primitives), could
 * escalate only under a condition it cannot settle (`conditional`: reported, never enforced), or `none`, and
 * names the policy and statement behind each answer.
 *
 * Semantics:
 * - Identity policies are the principal's inline policies, its attached managed policies at their default
 *   version and, for a user, its groups' inline and attached policies (named with the group they come through).
 * - An explicit `Deny` without a `Condition` wins over every `Allow`; a `Deny` with a `Condition` is not assumed
 *   to apply (the cautious reading for finding admins: it may not hold when the attacker acts).
 * - An `Allow` with a `Condition` grants only `conditional`: the evaluator settles no condition.
 * - `Action`/`NotAction` match case-insensitively with IAM's `*` and `?`; `NotAction` is read against IAM's
 *   real action list and service prefixes (lib/evaluator/iam-actions.ts, generated from the AWS Service
 *   Authorization Reference). Resource ARNs match case-sensitively with the same glob.
 * - `admin` means an unconditional `Allow` of every action (`*`, `*:*`, or a `NotAction` that names nothing
 *   that exists) on every resource (`*`), in the identity policies and in the boundary, with no unconditional
 *   `Deny` taking away an escalation primitive. A `Deny` of unrelated actions leaves the verdict `admin`; a
 *   `NotAction` or `NotResource` that leaves out anything real is judged by the primitives it still grants.
 * - `escalation` means at least one primitive of lib/evaluator/primitives.ts is allowed on a resource of its
 *   type that reaches a principal (any principal, itself included, except for the credential primitives:
 *   `iam:CreateAccessKey`, `CreateLoginProfile`, `UpdateLoginProfile` count only on other users, and
 *   `${aws:username}` resolves to the principal itself). A permissions boundary intersects: a primitive counts
 *   only when the boundary allows it too.
 * - Policy variables: `${aws:username}` is the user's name (for a group, each member; for a role it matches
 *   nothing, as IAM leaves it unresolved); `${*}`, `${?}`, `${$}` are the literal characters; any other
 *   variable could be anything, so a grant through it is `conditional`.
 * - A `NotResource` grant reaches a type when a representative ARN of that type is not excluded.
 * - A statement that grants nothing the evaluator looks for never changes a verdict.
 *
 * Known limits (out of scope): service control policies and resource control policies, resource-based policies
 * (including role trust policies), session policies, and escalation through other services (`iam:PassRole` with
 * a compute service, `sts:AssumeRole` chains); those are the next tools' job (PMapper, pathfinding.cloud).
 */
import { IAM_ACTIONS, SERVICE_PREFIXES } from './iam-actions.js';
import { coversAction, globMatches, parseStatements, type Statement } from './policy.js';
import { ESCALATION_PRIMITIVES, type EscalationPrimitive, type IamResourceType } from './primitives.js';

export { ESCALATION_PRIMITIVES, type EscalationPrimitive } from './primitives.js';

/** One identity policy: its name (inline name or managed ARN), the group it comes through, its document. */
export interface PrincipalPolicy {
  readonly name: string;
  /** The group the policy comes through, for a user's group policies. */
  readonly via?: string | undefined;
  /** The policy document: JSON text (URL-decoded) or the parsed object. */
  readonly document: unknown;
}

export interface PrincipalInput {
  readonly type: 'user' | 'role' | 'group';
  readonly name: string;
  readonly arn: string;
  readonly policies: readonly PrincipalPolicy[];
  readonly boundary?: PrincipalPolicy | undefined;
}

/** The statement of a policy that gives (part of) a verdict. */
export interface Grant {
  readonly policy: string;
  readonly statement: string;
  readonly via?: string | undefined;
}

export interface PrimitiveGrant {
  readonly action: string;
  readonly grants: readonly Grant[];
}

export type Verdict =
  | { readonly kind: 'admin'; readonly grants: readonly Grant[] }
  | { readonly kind: 'escalation'; readonly primitives: readonly PrimitiveGrant[] }
  | { readonly kind: 'conditional'; readonly primitives: readonly PrimitiveGrant[] }
  | { readonly kind: 'none' };

interface Parsed {
  readonly policy: PrincipalPolicy;
  readonly statements: readonly Statement[];
}

interface Context {
  readonly type: PrincipalInput['type'];
  readonly partition: string;
  readonly account: string;
  /** The principal's own user ARN, or a member placeholder for a group; undefined for a role. */
  readonly selfUserArn: string | undefined;
  /** What `${aws:username}` resolves to; undefined when it resolves to nothing (a role). */
  readonly username: string | undefined;
}

/** A member of a group, as `${aws:username}` resolves in the group's own policies. */
const MEMBER = 'iam-warden-group-member';
const PROBE_NAME = 'iam-warden-probe-principal';

function contextOf(input: PrincipalInput): Context {
  const parts = input.arn.split(':');
  const partition = parts[1] ?? 'aws';
  const account = parts[4] ?? '';
  const userArn = (name: string) => `arn:${partition}:iam::${account}:user/${name}`;
  if (input.type === 'user') {
    return { type: 'user', partition, account, selfUserArn: input.arn, username: input.name };
  }
  if (input.type === 'group') {
    return { type: 'group', partition, account, selfUserArn: userArn(MEMBER), username: MEMBER };
  }
  return { type: 'role', partition, account, selfUserArn: undefined, username: undefined };
}

/** A resource pattern with its variables resolved; undefined when it can match nothing. */
function resolve(pattern: string, context: Context): { pattern: string; unsettled: boolean } | undefined {
  let unsettled = false;
  let unresolvable = false;
  const out = pattern.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    if (name === '*') return '\u0001';
    if (name === '?') return '\u0002';
    if (name === '$') return '$';
    if (name.toLowerCase() === 'aws:username') {
      if (context.username === undefined) unresolvable = true;
      return context.username ?? '';
    }
    unsettled = true;
    return '*';
  });
  if (unresolvable) return undefined;
  return { pattern: out, unsettled };
}

/** Glob with the literal `*` and `?` of `${*}` and `${?}` kept literal. */
function resourceMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('\u0001') && !pattern.includes('\u0002')) return globMatches(pattern, value, false);
  const literal = pattern.replaceAll('\u0001', '*').replaceAll('\u0002', '?');
  return literal === value;
}

function probeArn(type: IamResourceType, context: Context): string {
  return `arn:${context.partition}:iam::${context.account}:${type}/${PROBE_NAME}`;
}

/**
 * True when a pattern can match only the given user: it matches its ARN and names it without a wildcard (user
 * names are unique in an account, whatever the path; IAM users are not managed from another account).
 */
function namesOnly(pattern: string, userArn: string): boolean {
  const name = pattern.slice(pattern.lastIndexOf('/') + 1);
  return !/[*?]/.test(name) && resourceMatches(pattern, userArn);
}

/**
 * Whether a resource pattern (resolved) reaches a principal of `type` the primitive can act on: it matches a
 * representative ARN of that type, or it names (possibly with wildcards) an ARN of that type in IAM; for the
 * credential primitives, not the principal's own user.
 */
function reaches(pattern: string, primitive: EscalationPrimitive, context: Context): boolean {
  const type = primitive.resourceType;
  if (primitive.othersOnly && context.selfUserArn !== undefined && namesOnly(pattern, context.selfUserArn)) {
    return false;
  }
  if (resourceMatches(pattern, probeArn(type, context))) return true;
  return new RegExp(`^arn:[^:]*:iam::[^:]*:${type}/`).test(
    pattern.replaceAll('\u0001', '*').replaceAll('\u0002', '*'),
  );
}

/** A resource one Allow statement grants a primitive on; `unsettled` when it goes through an unknown variable. */
interface Reached {
  readonly pattern: string;
  readonly unsettled: boolean;
}

/**
 * A pattern with its partition and account fixed to the principal's when they are wildcards that match them:
 * an identity policy acts on IAM principals of its own account only, so a Deny of `arn:aws:iam::<account>:...`
 * covers an Allow of `arn:aws:iam::*:...`.
 */
function inAccount(pattern: string, context: Context): string {
  const parts = pattern.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return pattern;
  if (globMatches(parts[1] ?? '', context.partition, false)) parts[1] = context.partition;
  if (globMatches(parts[4] ?? '', context.account, false)) parts[4] = context.account;
  return parts.join(':');
}

function allowReach(statement: Statement, primitive: EscalationPrimitive, context: Context): Reached[] {
  const probe = probeArn(primitive.resourceType, context);
  if (statement.resources.not) {
    const excluded = statement.resources.patterns.some((raw) => {
      const resolved = resolve(raw, context);
      return resolved !== undefined && resourceMatches(resolved.pattern, probe);
    });
    return excluded ? [] : [{ pattern: probe, unsettled: false }];
  }
  const reached: Reached[] = [];
  for (const raw of statement.resources.patterns) {
    const resolved = resolve(raw, context);
    if (!resolved || !reaches(resolved.pattern, primitive, context)) continue;
    // A pattern wide enough to match the representative ARN stands for every principal of the type, so a Deny
    // of the whole type (`role/*`) takes it away; a narrower one stands for itself.
    const pattern = resourceMatches(resolved.pattern, probe) ? probe : inAccount(resolved.pattern, context);
    reached.push({ pattern, unsettled: resolved.unsettled });
  }
  return reached;
}

/**
 * True when an unconditional Deny statement takes `pattern` (a granted ARN pattern) away entirely. A `NotResource`
 * Deny spares a grant of the whole type (the representative ARN) when it names any principal of that type.
 */
function denies(
  statement: Statement,
  pattern: string,
  primitive: EscalationPrimitive,
  context: Context,
): boolean {
  const wide = pattern === probeArn(primitive.resourceType, context);
  const listed = statement.resources.patterns.some((raw) => {
    const resolved = resolve(raw, context);
    if (resolved === undefined) return false;
    if (statement.resources.not) {
      return (
        resourceMatches(resolved.pattern, pattern) || (wide && reaches(resolved.pattern, primitive, context))
      );
    }
    return !resolved.unsettled && resourceMatches(resolved.pattern, pattern);
  });
  return statement.resources.not ? !listed : listed;
}

type Level = 'allowed' | 'conditional' | 'denied';

interface PrimitiveResult {
  readonly level: Level;
  readonly grants: Grant[];
}

function grantOf(entry: Parsed, statement: Statement): Grant {
  return entry.policy.via === undefined
    ? { policy: entry.policy.name, statement: statement.id }
    : { policy: entry.policy.name, statement: statement.id, via: entry.policy.via };
}

/** How a set of policies grants one primitive, explicit Denies applied. */
function judgePrimitive(
  policies: readonly Parsed[],
  primitive: EscalationPrimitive,
  context: Context,
): PrimitiveResult {
  const denyStatements = policies.flatMap((entry) =>
    entry.statements.filter(
      (statement) =>
        statement.effect === 'Deny' && !statement.conditional && coversAction(statement, primitive.action),
    ),
  );
  const allowed: Grant[] = [];
  const conditional: Grant[] = [];
  for (const entry of policies) {
    for (const statement of entry.statements) {
      if (statement.effect !== 'Allow' || !coversAction(statement, primitive.action)) continue;
      const left = allowReach(statement, primitive, context).filter(
        (reached) => !denyStatements.some((deny) => denies(deny, reached.pattern, primitive, context)),
      );
      if (left.length === 0) continue;
      const settled = !statement.conditional && left.some((reached) => !reached.unsettled);
      (settled ? allowed : conditional).push(grantOf(entry, statement));
    }
  }
  if (allowed.length > 0) return { level: 'allowed', grants: allowed };
  if (conditional.length > 0) return { level: 'conditional', grants: conditional };
  return { level: 'denied', grants: [] };
}

/** True when an action pattern matches some action that exists (an IAM action, or any action of a known service). */
function namesRealAction(pattern: string): boolean {
  const colon = pattern.indexOf(':');
  if (colon < 0) {
    // A pattern without a colon can still span one (`s3*`): try it on every IAM action and one name per service.
    return (
      IAM_ACTIONS.some((action) => globMatches(pattern, `iam:${action}`, true)) ||
      SERVICE_PREFIXES.some((prefix) => globMatches(pattern, `${prefix}:Action`, true))
    );
  }
  const service = pattern.slice(0, colon);
  const name = pattern.slice(colon + 1);
  if (globMatches(service, 'iam', true) && IAM_ACTIONS.some((action) => globMatches(name, action, true)))
    return true;
  return SERVICE_PREFIXES.some((prefix) => prefix !== 'iam' && globMatches(service, prefix, true));
}

/** An unconditional Allow of every action on every resource. */
function allowsEverything(statement: Statement): boolean {
  if (statement.effect !== 'Allow' || statement.conditional || statement.resources.not) return false;
  if (!statement.resources.patterns.includes('*')) return false;
  return statement.actions.not
    ? !statement.actions.patterns.some(namesRealAction)
    : statement.actions.patterns.some((pattern) => pattern === '*' || pattern === '*:*');
}

function everythingGrants(policies: readonly Parsed[]): Grant[] {
  return policies.flatMap((entry) =>
    entry.statements.filter(allowsEverything).map((statement) => grantOf(entry, statement)),
  );
}

function parse(policies: readonly PrincipalPolicy[]): Parsed[] {
  return policies.map((policy) => ({ policy, statements: parseStatements(policy.document) }));
}

const RANK: Record<Level, number> = { denied: 0, conditional: 1, allowed: 2 };

/**
 * The admin-equivalence verdict of one principal (see the module comment for the semantics and the limits).
 * Pure: no SDK, no clock, no I/O.
 */
export function evaluatePrincipal(input: PrincipalInput): Verdict {
  const context = contextOf(input);
  const identity = parse(input.policies);
  const boundary = input.boundary ? parse([input.boundary]) : undefined;
  const results = ESCALATION_PRIMITIVES.map((primitive) => {
    const own = judgePrimitive(identity, primitive, context);
    if (!boundary) return { primitive, ...own };
    const ceiling = judgePrimitive(boundary, primitive, context);
    const level = RANK[ceiling.level] < RANK[own.level] ? ceiling.level : own.level;
    return { primitive, level, grants: level === 'denied' ? [] : own.grants };
  });
  const adminGrants = everythingGrants(identity);
  const boundaryAdmin = !boundary || everythingGrants(boundary).length > 0;
  if (adminGrants.length > 0 && boundaryAdmin && results.every((result) => result.level === 'allowed')) {
    return { kind: 'admin', grants: adminGrants };
  }
  const at = (level: Level) =>
    results
      .filter((result) => result.level === level)
      .map((result) => ({ action: result.primitive.action, grants: result.grants }));
  const allowed = at('allowed');
  if (allowed.length > 0) return { kind: 'escalation', primitives: allowed };
  const conditional = at('conditional');
  if (conditional.length > 0) return { kind: 'conditional', primitives: conditional };
  return { kind: 'none' };
}
